package callbacks

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// mediaSamples are the media events recorded from the live service: hold music interrupted by a
// play (the HoldAudio* events of a preview api-version), a play cancelled by
// cancelAllMediaOperations, sent and continuously recognized DTMF of an older version.
func mediaSamples(t *testing.T) []map[string]any {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(samplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var out []map[string]any
	var byType map[string]map[string]any
	if err := json.Unmarshal(read("python-live-2024-09-01-preview_interrupt-audio-and-announce.event.json"), &byType); err != nil {
		t.Fatal(err)
	}
	for typ, ev := range byType {
		if typ != "IncomingCall" {
			out = append(out, ev)
		}
	}
	var recording []json.RawMessage
	if err := json.Unmarshal(read("js-live-2024-09-01-preview_cancel-all-media-operations.recording.json"), &recording); err != nil {
		t.Fatal(err)
	}
	for _, body := range recording[1:] { // element 0 is the IncomingCall's data
		var evs []map[string]any
		if err := json.Unmarshal(body, &evs); err != nil {
			t.Fatal(err)
		}
		if evs[0]["type"] == "Microsoft.Communication.PlayCanceled" {
			out = append(out, evs...)
		}
	}
	var dtmf []map[string]any
	if err := json.Unmarshal(read("python-live-2023-10-03-preview_dtmf-actions.extracted.json"), &dtmf); err != nil {
		t.Fatal(err)
	}
	for _, ev := range dtmf {
		if typ := ev["type"]; typ == "Microsoft.Communication.SendDtmfTonesCompleted" || typ == "Microsoft.Communication.ContinuousDtmfRecognitionStopped" {
			out = append(out, ev)
		}
	}
	return out
}

func TestLiveMediaSamplesComeOutTyped(t *testing.T) {
	f := newFixture(t, false)
	samples := mediaSamples(t)
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, samples)); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	byCall := map[string]int{}
	for _, e := range samples {
		byCall[e["data"].(map[string]any)["callConnectionId"].(string)]++
	}
	var types []string
	for callID, n := range byCall {
		for _, ev := range f.readCall(t, callID, n) {
			types = append(types, ev.GetType())
			if ev.GetEvent() == nil {
				t.Errorf("%s is not typed", ev.GetType())
			}
			switch ev.GetEvent().(type) {
			case *callgatev1.CallEvent_HoldAudioCompleted, *callgatev1.CallEvent_PlayCanceled:
				if ri := ev.GetResultInformation(); ri.GetCode() != 400 || ri.GetSubCode() != 8508 {
					t.Errorf("%s: result %v", ev.GetType(), ri)
				}
			case *callgatev1.CallEvent_HoldAudioStarted:
				if ev.GetOperationContext() != "hold_add_target_participant" {
					t.Errorf("HoldAudioStarted: operation context %q", ev.GetOperationContext())
				}
			}
		}
	}
	for _, want := range []string{"HoldAudioStarted", "HoldAudioPaused", "HoldAudioResumed", "HoldAudioCompleted", "PlayStarted",
		"PlayCompleted", "PlayCanceled", "SendDtmfTonesCompleted", "ContinuousDtmfRecognitionStopped"} {
		if !slices.Contains(types, "Microsoft.Communication."+want) {
			t.Errorf("no %s among the samples' events %v", want, types)
		}
	}
}

// Every media and move event is typed, each field from its ACS JSON name, old api-versions'
// names and fields included.
func TestEveryMediaEventIsTyped(t *testing.T) {
	f := newFixture(t, false)
	user := map[string]any{"kind": "communicationUser", "rawId": "8:acs:u1", "communicationUser": map[string]any{"id": "8:acs:u1"}}
	ok := map[string]any{"resultInformation": map[string]any{"code": 200, "subCode": 8531, "message": "Action completed, max digits received."}}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{"operationContext": "op-m"}
		for k, v := range ok {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tones := func(ts []callgatev1.DtmfTone, want ...callgatev1.DtmfTone) bool { return slices.Equal(ts, want) }
	cases := []struct {
		typ   string
		data  map[string]any
		check func(*callgatev1.CallEvent) bool
	}{
		{"PlayStarted", nil, func(e *callgatev1.CallEvent) bool { return e.GetPlayStarted() != nil }},
		{"PlayCompleted", nil, func(e *callgatev1.CallEvent) bool { return e.GetPlayCompleted() != nil }},
		{"PlayFailed", map[string]any{"failedPlaySourceIndex": 2}, func(e *callgatev1.CallEvent) bool { return e.GetPlayFailed().GetFailedPlaySourceIndex() == 2 }},
		{"PlayCanceled", nil, func(e *callgatev1.CallEvent) bool { return e.GetPlayCanceled() != nil }},
		{"RecognizeCompleted", map[string]any{"recognitionType": "dtmf", "dtmfResult": map[string]any{"tones": []any{"one", "pound", "asterisk", "d"}}},
			func(e *callgatev1.CallEvent) bool {
				r := e.GetRecognizeCompleted()
				return r.GetRecognitionType() == callgatev1.RecognitionType_RECOGNITION_TYPE_DTMF && tones(r.GetDtmfResult().GetTones(),
					callgatev1.DtmfTone_DTMF_TONE_ONE, callgatev1.DtmfTone_DTMF_TONE_POUND, callgatev1.DtmfTone_DTMF_TONE_ASTERISK, callgatev1.DtmfTone_DTMF_TONE_D)
			}},
		{"RecognizeCompleted", map[string]any{"recognitionType": "choices", "choiceResult": map[string]any{"label": "Confirm", "recognizedPhrase": "yes", "confidence": 0.87}},
			func(e *callgatev1.CallEvent) bool {
				c := e.GetRecognizeCompleted().GetChoiceResult()
				return e.GetRecognizeCompleted().GetRecognitionType() == callgatev1.RecognitionType_RECOGNITION_TYPE_CHOICES &&
					c.GetLabel() == "Confirm" && c.GetRecognizedPhrase() == "yes" && c.GetConfidence() == 0.87
			}},
		{"RecognizeCompleted", map[string]any{"recognitionType": "speech", "speechResult": map[string]any{"speech": "pay my bill", "confidence": 0.5}},
			func(e *callgatev1.CallEvent) bool {
				s := e.GetRecognizeCompleted().GetSpeechResult()
				return e.GetRecognizeCompleted().GetRecognitionType() == callgatev1.RecognitionType_RECOGNITION_TYPE_SPEECH && s.GetSpeech() == "pay my bill" && s.GetConfidence() == 0.5
			}},
		{"RecognizeCompleted", map[string]any{"recognitionType": "dtmf", "collectTonesResult": map[string]any{"tones": []any{"nine", "zero"}}},
			func(e *callgatev1.CallEvent) bool {
				return tones(e.GetRecognizeCompleted().GetCollectTonesResult().GetTones(), callgatev1.DtmfTone_DTMF_TONE_NINE, callgatev1.DtmfTone_DTMF_TONE_ZERO)
			}},
		{"RecognizeFailed", map[string]any{"failedPlaySourceIndex": 0}, func(e *callgatev1.CallEvent) bool {
			return e.GetRecognizeFailed().FailedPlaySourceIndex != nil && e.GetRecognizeFailed().GetFailedPlaySourceIndex() == 0
		}},
		{"RecognizeFailed", nil, func(e *callgatev1.CallEvent) bool {
			return e.GetRecognizeFailed() != nil && e.GetRecognizeFailed().FailedPlaySourceIndex == nil
		}},
		{"RecognizeCanceled", nil, func(e *callgatev1.CallEvent) bool { return e.GetRecognizeCanceled() != nil }},
		{"ContinuousDtmfRecognitionToneReceived", map[string]any{"sequenceId": 3, "tone": "asterisk"}, func(e *callgatev1.CallEvent) bool {
			r := e.GetContinuousDtmfRecognitionToneReceived()
			return r.GetSequenceId() == 3 && r.GetTone() == callgatev1.DtmfTone_DTMF_TONE_ASTERISK
		}},
		{"ContinuousDtmfRecognitionToneReceived", map[string]any{"toneInfo": map[string]any{"sequenceId": 4, "tone": "seven"}}, func(e *callgatev1.CallEvent) bool {
			ti := e.GetContinuousDtmfRecognitionToneReceived().GetToneInfo()
			return ti.GetSequenceId() == 4 && ti.GetTone() == callgatev1.DtmfTone_DTMF_TONE_SEVEN
		}},
		{"ContinuousDtmfRecognitionToneFailed", nil, func(e *callgatev1.CallEvent) bool { return e.GetContinuousDtmfRecognitionToneFailed() != nil }},
		{"ContinuousDtmfRecognitionStopped", nil, func(e *callgatev1.CallEvent) bool { return e.GetContinuousDtmfRecognitionStopped() != nil }},
		{"SendDtmfTonesCompleted", nil, func(e *callgatev1.CallEvent) bool { return e.GetSendDtmfTonesCompleted() != nil }},
		{"SendDtmfTonesFailed", nil, func(e *callgatev1.CallEvent) bool { return e.GetSendDtmfTonesFailed() != nil }},
		{"SendDtmfCompleted", nil, func(e *callgatev1.CallEvent) bool { return e.GetSendDtmfCompleted() != nil }},
		{"SendDtmfFailed", nil, func(e *callgatev1.CallEvent) bool { return e.GetSendDtmfFailed() != nil }},
		{"HoldFailed", nil, func(e *callgatev1.CallEvent) bool { return e.GetHoldFailed() != nil }},
		{"HoldAudioStarted", nil, func(e *callgatev1.CallEvent) bool { return e.GetHoldAudioStarted() != nil }},
		{"HoldAudioPaused", nil, func(e *callgatev1.CallEvent) bool { return e.GetHoldAudioPaused() != nil }},
		{"HoldAudioResumed", nil, func(e *callgatev1.CallEvent) bool { return e.GetHoldAudioResumed() != nil }},
		{"HoldAudioCompleted", nil, func(e *callgatev1.CallEvent) bool { return e.GetHoldAudioCompleted() != nil }},
		{"MoveParticipantSucceeded", map[string]any{"participant": user, "fromCall": "call-from"}, func(e *callgatev1.CallEvent) bool {
			m := e.GetMoveParticipantSucceeded()
			return m.GetParticipant().GetCommunicationUser().GetId() == "8:acs:u1" && m.GetFromCall() == "call-from"
		}},
		{"MoveParticipantFailed", map[string]any{"participant": user, "fromCall": "call-from"}, func(e *callgatev1.CallEvent) bool {
			m := e.GetMoveParticipantFailed()
			return m.GetParticipant().GetRawId() == "8:acs:u1" && m.GetFromCall() == "call-from"
		}},
	}
	var batch []map[string]any
	for i, c := range cases {
		batch = append(batch, event("media-"+string(rune('a'+i)), "call-media", c.typ, with(c.data)))
	}
	if resp := f.post(t, f.callsURL(), "application/cloudevents-batch+json", "", mustJSON(t, batch)); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	for i, ev := range f.readCall(t, "call-media", len(cases)) {
		c := cases[i]
		if ev.GetType() != "Microsoft.Communication."+c.typ || !c.check(ev) {
			t.Errorf("%s %v: got %v", c.typ, c.data, ev.GetEvent())
		}
		if ev.GetOperationContext() != "op-m" || ev.GetResultInformation().GetSubCode() != 8531 {
			t.Errorf("%s: shared fields %q %v", c.typ, ev.GetOperationContext(), ev.GetResultInformation())
		}
	}
}
