package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBounds sends one request past each bound of limits.go: a 400 naming
// the field, and nothing done.
func TestBounds(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("x"), nil)
	id := call.CallConnectionID
	cb := env.recv.url("/cb")
	create := func(extra map[string]any) map[string]any {
		body := map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": cb}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	add := func(extra map[string]any) map[string]any {
		body := map[string]any{"participantToAdd": acsUser(user("b"))}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	sip := func(headers map[string]string) map[string]any {
		return map[string]any{"customCallingContext": map[string]any{"sipHeaders": headers}}
	}
	manySIP := map[string]string{}
	for i := range maxSIPXHeaders + 1 {
		manySIP[fmt.Sprintf("X-MS-Custom-h%d", i)] = "v"
	}
	manyVoIP := map[string]string{}
	for i := range maxVoIPHeaders + 1 {
		manyVoIP[fmt.Sprintf("h%d", i)] = "v"
	}
	long := func(n int) string { return strings.Repeat("é", n) } // two bytes, one code point
	longURI := cb + "?q=" + strings.Repeat("a", maxCallbackURIBytes)
	createPath, addPath := "/calling/callConnections", "/calling/callConnections/"+id+"/participants:add"
	playPath, recognizePath := "/calling/callConnections/"+id+":play", "/calling/callConnections/"+id+":recognize"
	play := func(sources []any) map[string]any { return map[string]any{"playSources": sources, "playTo": []any{}} }
	sources := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fileSrc("https://media.example/a.wav")
		}
		return out
	}
	recognize := func(options map[string]any) map[string]any {
		options["targetParticipant"] = kindless(acsUser(user("x")))
		return map[string]any{"recognizeInputType": "dtmf", "recognizeOptions": options}
	}
	var manyChoices []any
	for i := range maxChoices + 1 {
		manyChoices = append(manyChoices, map[string]any{"label": fmt.Sprint(i), "phrases": []string{fmt.Sprint(i)}})
	}
	cases := []struct {
		name, path string
		body       any
		target     string
	}{
		{"no targets", createPath, create(map[string]any{"targets": []any{}}), "targets"},
		{"101 targets", createPath, create(map[string]any{"targets": targetsOf(maxCreateTargets + 1)}), "targets"},
		{"display name of 257 characters", createPath, create(map[string]any{"sourceDisplayName": long(maxDisplayNameRunes + 1)}), "sourceDisplayName"},
		{"operation context of 4097 characters", createPath, create(map[string]any{"operationContext": long(maxOperationContextRunes + 1)}), "operationContext"},
		{"callback URI over 2048 bytes", createPath, create(map[string]any{"callbackUri": longURI}), "callbackUri"},
		{"source that is no ACS user", createPath, create(map[string]any{"source": map[string]string{"id": "8:orgid:u"}}), "source.id"},
		{"caller ID that is no number", createPath, create(map[string]any{"sourceCallerIdNumber": map[string]string{"value": "555"}}), "sourceCallerIdNumber.value"},
		{"operation callback URI over 2048 bytes", addPath, add(map[string]any{"operationCallbackUri": longURI}), "operationCallbackUri"},
		{"add display name of 257 characters", addPath, add(map[string]any{"sourceDisplayName": long(maxDisplayNameRunes + 1)}), "sourceDisplayName"},
		{"six SIP X headers", addPath, add(sip(manySIP)), "customCallingContext.sipHeaders"},
		{"SIP header name of 65 bytes", addPath, add(sip(map[string]string{"X-MS-Custom-" + strings.Repeat("n", maxSIPHeaderNameBytes-11): "v"})), "customCallingContext.sipHeaders"},
		{"SIP header not custom", addPath, add(sip(map[string]string{"Via": "v"})), "customCallingContext.sipHeaders"},
		{"SIP value of 257 characters", addPath, add(sip(map[string]string{"X-MS-Custom-a": long(maxSIPHeaderValueRunes + 1)})), "customCallingContext.sipHeaders"},
		{"UUI of 257 characters", addPath, add(sip(map[string]string{"User-To-User": long(maxSIPHeaderValueRunes + 1)})), "customCallingContext.sipHeaders"},
		{"SIP value with a line break", addPath, add(sip(map[string]string{"X-MS-Custom-a": "v\r\nVia: x"})), "customCallingContext.sipHeaders"},
		{"1001 VoIP headers", addPath, add(map[string]any{"customCallingContext": map[string]any{"voipHeaders": manyVoIP}}), "customCallingContext.voipHeaders"},
		{"VoIP name of 65 bytes", addPath, add(map[string]any{"customCallingContext": map[string]any{"voipHeaders": map[string]string{strings.Repeat("n", maxVoIPHeaderNameBytes+1): "v"}}}), "customCallingContext.voipHeaders"},
		{"VoIP value of 1025 characters", addPath, add(map[string]any{"customCallingContext": map[string]any{"voipHeaders": map[string]string{"n": long(maxVoIPHeaderValueRunes + 1)}}}), "customCallingContext.voipHeaders"},
		{"invitation ID over 256 bytes", "/calling/callConnections/" + id + "/participants:cancelAddParticipant", map[string]any{"invitationId": strings.Repeat("i", maxInvitationIDBytes+1)}, "invitationId"},
		{"fromCall over 256 bytes", "/calling/callConnections/" + id + "/participants:moveHere", map[string]any{"fromCall": strings.Repeat("c", maxCallConnectionIDBytes+1), "targetParticipants": []any{acsUser(user("b"))}}, "fromCall"},
		{"101 participants to mute", "/calling/callConnections/" + id + "/participants:mute", map[string]any{"targetParticipants": targetsOf(maxCallParticipants + 1)}, "targetParticipants"},
		{"incoming call context over 16384 bytes", "/calling/callConnections:answer", map[string]any{"incomingCallContext": strings.Repeat("c", maxIncomingCallContextBytes+1), "callbackUri": cb}, "incomingCallContext"},
		{"call connection ID over 256 bytes", "/calling/callConnections/" + strings.Repeat("c", maxCallConnectionIDBytes+1) + "/participants:add", add(nil), "callConnectionId"},
		{"group call ID that is no UUID", "/calling/callConnections:connect", map[string]any{"callLocator": map[string]any{"kind": "groupCallLocator", "groupCallId": "group-1"}, "callbackUri": cb}, "callLocator.groupCallId"},
		{"room ID over 256 bytes", "/calling/callConnections:connect", map[string]any{"callLocator": map[string]any{"kind": "roomCallLocator", "roomId": strings.Repeat("1", maxRoomIDBytes+1)}, "callbackUri": cb}, "callLocator.roomId"},
		{"server call ID over 2048 bytes", "/calling/callConnections:connect", map[string]any{"callLocator": map[string]any{"kind": "serverCallLocator", "serverCallId": strings.Repeat("a", maxServerCallIDBytes+1)}, "callbackUri": cb}, "callLocator.serverCallId"},
		{"11 play sources", playPath, play(sources(maxPlaySources + 1)), "playSources"},
		{"no play sources", playPath, play(nil), "playSources"},
		{"text of 4001 characters", playPath, play([]any{textSrc(long(maxTextRunes + 1))}), "playSources[0].text.text"},
		{"SSML of 16385 characters", playPath, play([]any{map[string]any{"kind": "ssml", "ssml": map[string]any{"ssmlText": long(maxSSMLRunes + 1)}}}), "playSources[0].ssml.ssmlText"},
		{"file URI over 2048 bytes", playPath, play([]any{fileSrc("https://media.example/" + strings.Repeat("a", maxURIBytes) + ".wav")}), "playSources[0].file.uri"},
		{"voice name over 256 bytes", playPath, play([]any{map[string]any{"kind": "text", "text": map[string]any{"text": "hi", "voiceName": strings.Repeat("v", maxMediaIDBytes+1)}}}), "playSources[0].text.voiceName"},
		{"101 play targets", playPath, map[string]any{"playSources": sources(1), "playTo": targetsOf(maxCallParticipants + 1)}, "playTo"},
		{"19 tones to send", "/calling/callConnections/" + id + ":sendDtmfTones", map[string]any{"tones": strings.Split(strings.Repeat("one,", maxSendTones)+"one", ","), "targetParticipant": acsUser(user("x"))}, "tones"},
		{"initial silence of 301 s", recognizePath, recognize(map[string]any{"initialSilenceTimeoutInSeconds": maxInitialSilenceSeconds + 1}), "recognizeOptions.initialSilenceTimeoutInSeconds"},
		{"inter-tone timeout of 0 s", recognizePath, recognize(map[string]any{"dtmfOptions": map[string]any{"interToneTimeoutInSeconds": 0}}), "recognizeOptions.dtmfOptions.interToneTimeoutInSeconds"},
		{"101 tones to collect", recognizePath, recognize(map[string]any{"dtmfOptions": map[string]any{"maxTonesToCollect": maxTonesToCollect + 1}}), "recognizeOptions.dtmfOptions.maxTonesToCollect"},
		{"21 choices", recognizePath, recognize(map[string]any{"choices": manyChoices}), "recognizeOptions.choices"},
		{"speech language over 35 bytes", recognizePath, recognize(map[string]any{"speechLanguage": strings.Repeat("e", maxLocaleBytes+1)}), "recognizeOptions.speechLanguage"},
		{"transcription locale over 35 bytes", createPath, create(map[string]any{"transcriptionOptions": map[string]any{"transportType": "websocket", "locale": strings.Repeat("e", maxLocaleBytes+1)}}), "transcriptionOptions.locale"},
	}
	before := env.callCount()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := env.do(http.MethodPost, tc.path, tc.body)
			wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, tc.target)
		})
	}
	if n := env.callCount(); n != before {
		t.Errorf("refused requests made %d calls", n-before)
	}
	// The largest request within the bounds goes through.
	props := env.createCall(cb, map[string]any{"sourceDisplayName": long(maxDisplayNameRunes), "operationContext": long(maxOperationContextRunes)},
		targetsOf(maxCreateTargets)...)
	if props.SourceDisplayName == nil || *props.SourceDisplayName != long(maxDisplayNameRunes) {
		t.Errorf("display name %v", props.SourceDisplayName)
	}
}

func TestRequestBodyTooLarge(t *testing.T) {
	env := newEnv(t, nil)
	body := `{"targets":[],"callbackUri":"` + strings.Repeat("a", maxRequestBody) + `"}`
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections", body)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(out), "RequestEntityTooLarge") {
		t.Errorf("REST API: %d %s", status, out)
	}
	if status, out := env.control(http.MethodPost, "/emulator/v1/incomingCalls", map[string]any{"from": strings.Repeat("a", maxRequestBody)}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("control API: %d %s", status, out)
	}
}

// TestCallParticipantLimit: a call holds at most maxCallParticipants remote
// participants, those being invited included.
func TestCallParticipantLimit(t *testing.T) {
	env := newEnv(t, nil)
	env.script(user("t0"), Behavior{Answer: AnswerNoAnswer}) // still being invited: it counts
	props := env.createCall(env.recv.url("/cb"), nil, targetsOf(maxCreateTargets)...)
	id := props.CallConnectionID
	env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{"participantToAdd": acsUser(user("one-too-many"))})
	wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, "participantToAdd")
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:remove", map[string]any{"participantToRemove": acsUser(user("t1"))}, nil)
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{"participantToAdd": acsUser(user("next"))}, nil)
}
