package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// withCognitive sets a call up with Cognitive Services, as text-to-speech and speech need.
var withCognitive = map[string]any{"callIntelligenceOptions": map[string]any{"cognitiveServicesEndpoint": "https://ai.example.cognitiveservices.azure.com/"}}

func fileSrc(uri string) map[string]any {
	return map[string]any{"kind": "file", "file": map[string]any{"uri": uri}}
}

func textSrc(text string) map[string]any {
	return map[string]any{"kind": "text", "text": map[string]any{"text": text, "voiceName": "en-US-JennyNeural"}}
}

// kindless is an identifier as the SDK's CallMedia class sends it: no kind.
func kindless(id map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range id {
		if k != "kind" {
			out[k] = v
		}
	}
	return out
}

// media posts a media operation of call and checks its status.
func (env *testEnv) media(call, verb string, want int, body any) []byte {
	env.t.Helper()
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+call+":"+verb, body)
	if status != want {
		env.t.Fatalf("%s: status %d, want %d: %s", verb, status, want, out)
	}
	return out
}

// press makes a participant of call press keys, or say text, through the control API.
func (env *testEnv) press(call, rawID, tones string) {
	env.t.Helper()
	if status, out := env.control(http.MethodPost, "/emulator/v1/calls/"+call+"/participants/"+url.PathEscape(rawID)+"/sendTones", SendTonesRequest{Tones: tones}); status != http.StatusNoContent {
		env.t.Fatalf("sendTones: %d %s", status, out)
	}
}

func (env *testEnv) say(call, rawID, text string) {
	env.t.Helper()
	if status, out := env.control(http.MethodPost, "/emulator/v1/calls/"+call+"/participants/"+url.PathEscape(rawID)+"/say", SayRequest{Text: text}); status != http.StatusNoContent {
		env.t.Fatalf("say: %d %s", status, out)
	}
}

func (env *testEnv) file(f File) {
	env.t.Helper()
	if status, out := env.control(http.MethodPut, "/emulator/v1/files", f); status != http.StatusOK {
		env.t.Fatalf("files: %d %s", status, out)
	}
}

// waitEvent waits for the call's first event of kind whose operation context is opContext.
func (r *receiver) waitEvent(callID, kind, opContext string) received {
	r.t.Helper()
	var found received
	r.waitFor(callID, kind+" "+opContext, func(evs []received) bool {
		for _, e := range evs {
			if e.kind() == kind && e.event.Data["operationContext"] == opContext {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// opEvents are the call's events of operation context opContext, in order, waiting until the
// last one is of kind last.
func (r *receiver) opEvents(callID, opContext, last string) []string {
	r.t.Helper()
	r.waitEvent(callID, last, opContext)
	var out []string
	for _, e := range r.events(callID) {
		if e.event.Data["operationContext"] == opContext {
			out = append(out, e.kind())
		}
	}
	return out
}

func wantKinds(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: events %v, want %v", what, got, want)
	}
}

func wantResult(t *testing.T, ev received, code, subCode int) {
	t.Helper()
	if c, s := resultOf(t, ev); c != code || s != subCode {
		t.Errorf("%s: result %d/%d, want %d/%d (%s)", ev.kind(), c, s, code, subCode, ev.raw)
	}
}

func TestPlay(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("listener"), withCognitive).CallConnectionID
	env.file(File{URL: "https://media.example/short.wav", Duration: &Duration{D: 50 * time.Millisecond}})

	env.media(call, "play", http.StatusAccepted, map[string]any{
		"playSources": []any{fileSrc("https://media.example/short.wav"), textSrc("Hi")}, "playTo": []any{}, "playOptions": map[string]any{"loop": false},
		"operationContext": "p1"})
	wantKinds(t, "play", env.recv.opEvents(call, "p1", evPlayCompleted), evPlayStarted, evPlayCompleted)
	for _, e := range env.recv.events(call) {
		if e.kind() == evPlayCompleted || e.kind() == evPlayStarted {
			wantResult(t, e, 200, 0)
			checkEnvelope(t, e, call)
		}
	}

	// A file it cannot play fails the play at once, naming the source.
	env.media(call, "play", http.StatusAccepted, map[string]any{
		"playSources": []any{fileSrc("https://media.example/short.wav"), fileSrc("https://media.example/notes.txt")}, "playTo": []any{}, "operationContext": "p2"})
	wantKinds(t, "unplayable", env.recv.opEvents(call, "p2", evPlayFailed), evPlayFailed)
	failed := env.recv.waitEvent(call, evPlayFailed, "p2")
	wantResult(t, failed, 400, 8535)
	if failed.event.Data["failedPlaySourceIndex"] != float64(1) {
		t.Errorf("failedPlaySourceIndex %v, want 1", failed.event.Data["failedPlaySourceIndex"])
	}
	env.file(File{URL: "https://media.example/broken.wav", Unplayable: true})
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/broken.wav")}, "playTo": []any{}, "operationContext": "p3"})
	if f := env.recv.waitEvent(call, evPlayFailed, "p3"); f.event.Data["failedPlaySourceIndex"] != float64(0) {
		t.Errorf("failedPlaySourceIndex %v, want 0", f.event.Data["failedPlaySourceIndex"])
	}

	// A looped play plays until it is cancelled; a play queued behind it is cancelled too; an
	// interrupting play cancels the one running and plays at once.
	loop := map[string]any{"playSources": []any{fileSrc("https://media.example/music.mp3")}, "playTo": []any{}, "playOptions": map[string]any{"loop": true}}
	loop["operationContext"] = "loop1"
	env.media(call, "play", http.StatusAccepted, loop)
	env.recv.waitEvent(call, evPlayStarted, "loop1")
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/short.wav")}, "playTo": []any{}, "operationContext": "queued"})
	env.media(call, "cancelAllMediaOperations", http.StatusAccepted, nil)
	canceled := env.recv.waitEvent(call, evPlayCanceled, "loop1")
	wantResult(t, canceled, 400, 8508)
	if msg := canceled.event.Data["resultInformation"].(map[string]any)["message"]; msg != "Action failed, the operation was canceled." {
		t.Errorf("canceled message %q", msg)
	}
	wantKinds(t, "queued", env.recv.opEvents(call, "queued", evPlayCanceled), evPlayCanceled)

	loop["operationContext"] = "loop2"
	env.media(call, "play", http.StatusAccepted, loop)
	env.recv.waitEvent(call, evPlayStarted, "loop2")
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/short.wav")}, "playTo": []any{kindless(acsUser(user("listener")))},
		"interruptCallMediaOperation": true, "operationContext": "barge"})
	wantKinds(t, "interrupted", env.recv.opEvents(call, "loop2", evPlayCanceled), evPlayStarted, evPlayCanceled)
	wantKinds(t, "barge-in", env.recv.opEvents(call, "barge", evPlayCompleted), evPlayStarted, evPlayCompleted)

	// Plays run one after the other.
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/short.wav")}, "playTo": []any{}, "operationContext": "first"})
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/short.wav")}, "playTo": []any{}, "operationContext": "second"})
	env.recv.waitEvent(call, evPlayCompleted, "second")
	var order []string
	for _, e := range env.recv.events(call) {
		if c := e.event.Data["operationContext"]; c == "first" || c == "second" {
			order = append(order, c.(string)+" "+e.kind())
		}
	}
	wantKinds(t, "order", order, "first PlayStarted", "first PlayCompleted", "second PlayStarted", "second PlayCompleted")
}

func TestMediaNeedsCognitiveServices(t *testing.T) {
	env := newEnv(t, nil)
	callee := user("plain")
	call := env.connectedCall(callee, nil).CallConnectionID
	target := map[string]any{"targetParticipant": kindless(acsUser(callee))}
	for name, c := range map[string]struct {
		verb string
		body map[string]any
	}{
		"text":   {"play", map[string]any{"playSources": []any{textSrc("Hello")}, "playTo": []any{}}},
		"ssml":   {"play", map[string]any{"playSources": []any{map[string]any{"kind": "ssml", "ssml": map[string]any{"ssmlText": "<speak>Hi</speak>"}}}, "playTo": []any{}}},
		"speech": {"recognize", map[string]any{"recognizeInputType": "speech", "recognizeOptions": target}},
		"choices": {"recognize", map[string]any{"recognizeInputType": "choices", "recognizeOptions": map[string]any{
			"targetParticipant": kindless(acsUser(callee)), "choices": []any{map[string]any{"label": "Yes", "phrases": []string{"yes"}}}}}},
		"text prompt": {"recognize", map[string]any{"recognizeInputType": "dtmf", "playPrompt": textSrc("Press one"), "recognizeOptions": target}},
		"hold music":  {"hold", map[string]any{"targetParticipant": kindless(acsUser(callee)), "playSourceInfo": textSrc("Please wait")}},
	} {
		t.Run(name, func(t *testing.T) {
			status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+call+":"+c.verb, c.body)
			var eb errorBody
			_ = json.Unmarshal(out, &eb)
			if status != http.StatusBadRequest || eb.Error.Code != "8522" || eb.Error.Message != "Request not allowed when Cognitive Service Configuration not set during call setup." {
				t.Errorf("answer %d %s", status, out)
			}
		})
	}
	// DTMF with a file prompt needs none.
	env.media(call, "recognize", http.StatusAccepted, map[string]any{"recognizeInputType": "dtmf", "playPrompt": fileSrc("https://media.example/menu.wav"),
		"recognizeOptions": target, "operationContext": "dtmf"})
	env.media(call, "cancelAllMediaOperations", http.StatusAccepted, nil)
	env.recv.waitEvent(call, evRecognizeCanceled, "dtmf")
}

func recognizeDTMF(target string, maxTones int, extra map[string]any) map[string]any {
	opts := map[string]any{"targetParticipant": kindless(phone(target)), "initialSilenceTimeoutInSeconds": 1,
		"dtmfOptions": map[string]any{"maxTonesToCollect": maxTones, "interToneTimeoutInSeconds": 1, "stopTones": []string{"pound"}}}
	body := map[string]any{"recognizeInputType": "dtmf", "recognizeOptions": opts}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

func TestRecognizeDTMF(t *testing.T) {
	env := newEnv(t, nil)
	caller := "+14255550100"
	call := env.connectedCall(user("host"), nil).CallConnectionID
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call+"/participants:add",
		map[string]any{"participantToAdd": phone(caller), "sourceCallerIdNumber": map[string]any{"value": testCallerIDs[0]}}, nil)
	env.recv.waitFor(call, "the caller joins", func(evs []received) bool {
		for _, e := range evs {
			if e.kind() == evAddParticipantSucceeded {
				return true
			}
		}
		return false
	})

	// Keys pressed with nothing listening are dropped.
	env.press(call, "4:"+caller, "9")

	check := func(opContext, kind string, code, subCode int, tones ...string) {
		t.Helper()
		ev := env.recv.waitEvent(call, kind, opContext)
		wantResult(t, ev, code, subCode)
		if kind != evRecognizeCompleted {
			return
		}
		if ev.event.Data["recognitionType"] != "dtmf" {
			t.Errorf("%s: recognitionType %v", opContext, ev.event.Data["recognitionType"])
		}
		var got []string
		for _, x := range ev.event.Data["dtmfResult"].(map[string]any)["tones"].([]any) {
			got = append(got, x.(string))
		}
		if !reflect.DeepEqual(got, tones) {
			t.Errorf("%s: tones %v, want %v", opContext, got, tones)
		}
	}
	// Scripted keys answer as soon as the recognize listens.
	env.script("4:"+caller, Behavior{Recognize: []RecognizeAnswer{{Tones: "123"}, {Tones: "4#"}, {Silence: true}, {Tones: "5"}}})
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 3, map[string]any{"operationContext": "max"}))
	check("max", evRecognizeCompleted, 200, 8531, "one", "two", "three")
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 3, map[string]any{"operationContext": "stop"}))
	check("stop", evRecognizeCompleted, 200, 8514, "four")
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 3, map[string]any{"operationContext": "silence"}))
	check("silence", evRecognizeFailed, 400, 8510)
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 3, map[string]any{"operationContext": "inter-digit"}))
	check("inter-digit", evRecognizeFailed, 400, 8532)

	// Keys from the control API, one press at a time.
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 2, map[string]any{"operationContext": "live"}))
	env.press(call, "4:"+caller, "7")
	env.press(call, "4:"+caller, "*")
	check("live", evRecognizeCompleted, 200, 8531, "seven", "asterisk")

	// While a prompt that cannot be interrupted plays, keys are dropped; one that can be is cut
	// short by them.
	env.file(File{URL: "https://media.example/long.wav", Duration: &Duration{D: time.Minute}})
	prompt := fileSrc("https://media.example/long.wav")
	body := recognizeDTMF(caller, 1, map[string]any{"operationContext": "polite", "playPrompt": prompt})
	body["recognizeOptions"].(map[string]any)["interruptPrompt"] = false
	env.media(call, "recognize", http.StatusAccepted, body)
	env.recv.waitEvent(call, evPlayStarted, "polite")
	env.press(call, "4:"+caller, "1")
	env.media(call, "cancelAllMediaOperations", http.StatusAccepted, nil)
	wantKinds(t, "uninterruptible prompt", env.recv.opEvents(call, "polite", evRecognizeCanceled), evPlayStarted, evRecognizeCanceled)
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 1, map[string]any{"operationContext": "barge", "playPrompt": prompt}))
	env.recv.waitEvent(call, evPlayStarted, "barge")
	env.press(call, "4:"+caller, "8")
	check("barge", evRecognizeCompleted, 200, 8531, "eight")

	// A prompt it cannot play fails the recognize.
	env.media(call, "recognize", http.StatusAccepted, recognizeDTMF(caller, 1, map[string]any{"operationContext": "bad-prompt", "playPrompts": []any{prompt, fileSrc("https://media.example/menu.ogg")}}))
	bad := env.recv.waitEvent(call, evRecognizeFailed, "bad-prompt")
	wantResult(t, bad, 500, 8511)
	if bad.event.Data["failedPlaySourceIndex"] != float64(1) {
		t.Errorf("failedPlaySourceIndex %v", bad.event.Data["failedPlaySourceIndex"])
	}

	// The target must be in the call; the control API refuses a key outside the alphabet.
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+call+":recognize", recognizeDTMF("+14255550199", 1, nil))
	if status != http.StatusNotFound {
		t.Errorf("recognize of a stranger: %d %s", status, out)
	}
	if status, _ := env.control(http.MethodPost, "/emulator/v1/calls/"+call+"/participants/"+url.PathEscape("4:"+caller)+"/sendTones", SendTonesRequest{Tones: "1x"}); status != http.StatusBadRequest {
		t.Errorf("sendTones 1x: %d", status)
	}
}

func TestRecognizeSpeechAndChoices(t *testing.T) {
	env := newEnv(t, nil)
	callee := user("speaker")
	call := env.connectedCall(callee, withCognitive).CallConnectionID
	target := kindless(acsUser(callee))
	choices := []any{
		map[string]any{"label": "Confirm", "phrases": []string{"Confirm", "Yes"}, "tone": "one"},
		map[string]any{"label": "Cancel", "phrases": []string{"Cancel", "No"}, "tone": "two"},
	}
	recognize := func(opContext, inputType string) {
		t.Helper()
		env.media(call, "recognize", http.StatusAccepted, map[string]any{"recognizeInputType": inputType, "operationContext": opContext,
			"recognizeOptions": map[string]any{"targetParticipant": target, "initialSilenceTimeoutInSeconds": 5, "choices": choices,
				"dtmfOptions": map[string]any{"maxTonesToCollect": 1}}})
	}
	wantChoice := func(opContext string, subCode int, label, phrase string) {
		t.Helper()
		ev := env.recv.waitEvent(call, evRecognizeCompleted, opContext)
		wantResult(t, ev, 200, subCode)
		cr, _ := ev.event.Data["choiceResult"].(map[string]any)
		if ev.event.Data["recognitionType"] != "choices" || cr["label"] != label || (phrase != "" && cr["recognizedPhrase"] != phrase) {
			t.Errorf("%s: %s", opContext, ev.raw)
		}
	}

	recognize("speech", "speech")
	env.say(call, callee, "I would like to pay my bill")
	ev := env.recv.waitEvent(call, evRecognizeCompleted, "speech")
	wantResult(t, ev, 200, 8569)
	if sr, _ := ev.event.Data["speechResult"].(map[string]any); ev.event.Data["recognitionType"] != "speech" || sr["speech"] != "I would like to pay my bill" {
		t.Errorf("speech: %s", ev.raw)
	}

	recognize("said", "choices")
	env.say(call, callee, "yes")
	wantChoice("said", 8545, "Confirm", "Yes")
	recognize("pressed", "choices")
	env.press(call, callee, "2")
	wantChoice("pressed", 8533, "Cancel", "")
	recognize("nonsense", "choices")
	env.say(call, callee, "maybe")
	wantResult(t, env.recv.waitEvent(call, evRecognizeFailed, "nonsense"), 400, 8547)

	env.script(callee, Behavior{Recognize: []RecognizeAnswer{{Choice: "Cancel"}, {Speech: "agent"}, {Tones: "3"}}})
	recognize("scripted", "choices")
	wantChoice("scripted", 8545, "Cancel", "Cancel")
	recognize("either speech", "speechOrDtmf")
	if ev := env.recv.waitEvent(call, evRecognizeCompleted, "either speech"); ev.event.Data["recognitionType"] != "speech" {
		t.Errorf("speechOrDtmf spoken: %s", ev.raw)
	}
	recognize("either keys", "speechOrDtmf")
	if ev := env.recv.waitEvent(call, evRecognizeCompleted, "either keys"); ev.event.Data["recognitionType"] != "dtmf" {
		t.Errorf("speechOrDtmf pressed: %s", ev.raw)
	}
}

func TestContinuousDTMF(t *testing.T) {
	env := newEnv(t, nil)
	callee := user("keypad")
	call := env.connectedCall(callee, nil).CallConnectionID
	target := map[string]any{"targetParticipant": kindless(acsUser(callee)), "operationContext": "cdtmf"}
	env.media(call, "startContinuousDtmfRecognition", http.StatusOK, target)
	env.press(call, callee, "12#")
	evs := env.recv.waitFor(call, "three tones", func(evs []received) bool {
		n := 0
		for _, e := range evs {
			if e.kind() == evContinuousDtmfRecognitionToneReceived {
				n++
			}
		}
		return n == 3
	})
	var got []string
	for _, e := range evs {
		if e.kind() == evContinuousDtmfRecognitionToneReceived {
			got = append(got, e.event.Data["tone"].(string)+"/"+jsonNumber(e.event.Data["sequenceId"]))
			wantResult(t, e, 200, 0)
			if e.event.Data["operationContext"] != "cdtmf" {
				t.Errorf("tone event context %v", e.event.Data["operationContext"])
			}
		}
	}
	wantKinds(t, "tones", got, "one/1", "two/2", "pound/3")

	stop := map[string]any{"targetParticipant": kindless(acsUser(callee)), "operationContext": "stop", "operationCallbackUri": env.recv.url("/op")}
	env.media(call, "stopContinuousDtmfRecognition", http.StatusOK, stop)
	stopped := env.recv.waitEvent(call, evContinuousDtmfRecognitionStopped, "stop")
	if stopped.path != "/op" {
		t.Errorf("stopped went to %s", stopped.path)
	}
	// Stopped: the next keys are dropped, and stopping again raises nothing. Started again,
	// the sequence goes on.
	env.press(call, callee, "4")
	env.media(call, "stopContinuousDtmfRecognition", http.StatusOK, stop)
	env.media(call, "startContinuousDtmfRecognition", http.StatusOK, target)
	env.press(call, callee, "5")
	env.recv.waitFor(call, "the fourth tone", func(evs []received) bool {
		return evs[len(evs)-1].kind() == evContinuousDtmfRecognitionToneReceived && evs[len(evs)-1].event.Data["tone"] == "five"
	})
	var after []string
	seenStop := false
	for _, e := range env.recv.events(call) {
		if e.kind() == evContinuousDtmfRecognitionStopped {
			seenStop = true
			continue
		}
		if seenStop {
			after = append(after, e.kind()+" "+jsonNumber(e.event.Data["sequenceId"]))
		}
	}
	wantKinds(t, "after stop", after, evContinuousDtmfRecognitionToneReceived+" 4")
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSendDtmfTones(t *testing.T) {
	env := newEnv(t, nil)
	callee := "+14255550142"
	call := env.connectedCall(user("host"), nil).CallConnectionID
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call+"/participants:add",
		map[string]any{"participantToAdd": phone(callee), "sourceCallerIdNumber": map[string]any{"value": testCallerIDs[0]}}, nil)
	env.recv.waitFor(call, "join", func(evs []received) bool {
		return evs[len(evs)-1].kind() == evParticipantsUpdated && len(participantIDs(t, evs[len(evs)-1])) == 3
	})
	var res operationContextResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call+":sendDtmfTones", map[string]any{
		"tones": []string{"one", "two", "pound"}, "targetParticipant": kindless(phone(callee)), "operationContext": "send"}, &res)
	if res.OperationContext != "send" {
		t.Errorf("answer %+v", res)
	}
	wantResult(t, env.recv.waitEvent(call, evSendDtmfTonesCompleted, "send"), 200, 0)
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+call+":sendDtmfTones", map[string]any{
		"tones": []string{"one", "eleven"}, "targetParticipant": kindless(phone(callee))})
	wantRefused(t, status, out, http.StatusBadRequest, "8523", "tones[1]")
}

func TestHoldAndUnhold(t *testing.T) {
	env := newEnv(t, nil)
	callee := user("held")
	call := env.connectedCall(callee, nil).CallConnectionID
	onHold := func(seq int) bool {
		t.Helper()
		var last received
		env.recv.waitFor(call, "ParticipantsUpdated", func(evs []received) bool {
			for _, e := range evs {
				if e.kind() == evParticipantsUpdated && e.event.Data["sequenceNumber"] == float64(seq) {
					last = e
					return true
				}
			}
			return false
		})
		for _, p := range last.event.Data["participants"].([]any) {
			pm := p.(map[string]any)
			if pm["identifier"].(map[string]any)["rawId"] == callee {
				return pm["isOnHold"].(bool)
			}
		}
		t.Fatalf("%s is not in %s", callee, last.raw)
		return false
	}
	env.media(call, "hold", http.StatusOK, map[string]any{"targetParticipant": kindless(acsUser(callee)), "playSourceInfo": fileSrc("https://media.example/music.wav")})
	if !onHold(2) {
		t.Error("hold: not on hold")
	}
	var p callParticipant
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+call+"/participants/"+url.PathEscape(callee), nil, &p)
	if !p.IsOnHold {
		t.Error("get participant: not on hold")
	}
	env.media(call, "unhold", http.StatusOK, map[string]any{"targetParticipant": kindless(acsUser(callee)), "operationContext": "unhold"})
	if onHold(3) {
		t.Error("unhold: still on hold")
	}
	// Music it cannot play fails the hold, which does not happen.
	env.media(call, "hold", http.StatusOK, map[string]any{"targetParticipant": kindless(acsUser(callee)), "playSourceInfo": fileSrc("https://media.example/music.flac"), "operationContext": "bad-music"})
	wantResult(t, env.recv.waitEvent(call, evHoldFailed, "bad-music"), 400, 8535)
	env.media(call, "hold", http.StatusOK, map[string]any{"targetParticipant": kindless(acsUser(callee))})
	if !onHold(4) {
		t.Error("hold after a failed one: not on hold")
	}
	for _, e := range env.recv.events(call) {
		if strings.HasPrefix(e.kind(), "HoldAudio") {
			t.Errorf("%s at api-version %s", e.kind(), DefaultAPIVersion)
		}
	}
}

func TestMediaOptionsAtSetUp(t *testing.T) {
	env := newEnv(t, nil)
	options := map[string]any{
		"callIntelligenceOptions": map[string]any{"cognitiveServicesEndpoint": "https://ai.example.cognitiveservices.azure.com/"},
		"mediaStreamingOptions":   map[string]any{"transportType": "websocket", "audioChannelType": "mixed", "transportUrl": "wss://app.example/media", "audioFormat": "pcm24KMono"},
		"transcriptionOptions":    map[string]any{"transportType": "websocket", "locale": "en-US", "enableIntermediateResults": true},
		"teamsAppSource":          map[string]any{"appId": "00000000-0000-0000-0000-0000000000aa"},
	}
	props := env.createCall(env.recv.url("/cb"), options, acsUser(user("streamed")))
	if ms := props.MediaStreaming; ms == nil || ms.State != "inactive" || ms.ID == "" || !reflect.DeepEqual(ms.SubscribedContentTypes, []string{"audio"}) {
		t.Errorf("mediaStreamingSubscription %+v", ms)
	}
	if tr := props.Transcription; tr == nil || tr.Locale != "en-US" || !reflect.DeepEqual(tr.SubscribedResultTypes, []string{"final", "intermediate"}) {
		t.Errorf("transcriptionSubscription %+v", tr)
	}
	env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	// A call set up with Cognitive Services speaks.
	env.media(props.CallConnectionID, "play", http.StatusAccepted, map[string]any{"playSources": []any{textSrc("Welcome")}, "playTo": []any{}, "operationContext": "tts"})
	env.recv.waitEvent(props.CallConnectionID, evPlayCompleted, "tts")

	for field, bad := range map[string]map[string]any{
		"mediaStreamingOptions.audioChannelType":            {"mediaStreamingOptions": map[string]any{"transportType": "websocket"}},
		"mediaStreamingOptions.transportUrl":                {"mediaStreamingOptions": map[string]any{"transportType": "websocket", "audioChannelType": "mixed", "transportUrl": "https://app.example/media"}},
		"transcriptionOptions.locale":                       {"transcriptionOptions": map[string]any{"transportType": "websocket"}},
		"callIntelligenceOptions.cognitiveServicesEndpoint": {"callIntelligenceOptions": map[string]any{"cognitiveServicesEndpoint": "http://ai.example/"}},
	} {
		body := map[string]any{"targets": []any{acsUser(user("x"))}, "callbackUri": env.recv.url("/cb")}
		for k, v := range bad {
			body[k] = v
		}
		status, out, _ := env.do(http.MethodPost, "/calling/callConnections", body)
		wantRefused(t, status, out, http.StatusBadRequest, "8523", field)
	}
}

// Close stops media timers: a looped play, a recognize waiting for input, tones being sent.
func TestCloseStopsMedia(t *testing.T) {
	env := newEnv(t, nil)
	callee := user("busy-line")
	call := env.connectedCall(callee, nil).CallConnectionID
	env.media(call, "play", http.StatusAccepted, map[string]any{"playSources": []any{fileSrc("https://media.example/a.wav")}, "playTo": []any{}, "playOptions": map[string]any{"loop": true}})
	env.media(call, "recognize", http.StatusAccepted, map[string]any{"recognizeInputType": "dtmf", "recognizeOptions": map[string]any{"targetParticipant": kindless(acsUser(callee))}})
	env.media(call, "sendDtmfTones", http.StatusAccepted, map[string]any{"tones": []string{"one"}, "targetParticipant": kindless(acsUser(callee))})
	if err := env.srv.Close(); err != nil {
		t.Fatal(err)
	}
	env.srv.Emulator.sched.mu.Lock()
	n := len(env.srv.Emulator.sched.timers)
	env.srv.Emulator.sched.mu.Unlock()
	if n != 0 {
		t.Errorf("%d timers left after Close", n)
	}
}
