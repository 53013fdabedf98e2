package service_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const cognitiveEndpoint = "https://callgate-test.cognitiveservices.azure.com/"

func fileSource(uri string) *callgatev1.PlaySource {
	return &callgatev1.PlaySource{Source: &callgatev1.PlaySource_File{File: &callgatev1.FileSource{Uri: uri}}}
}

func fileSources(n int) []*callgatev1.PlaySource {
	out := make([]*callgatev1.PlaySource, n)
	for i := range out {
		out[i] = fileSource("https://media.example/prompt.wav")
	}
	return out
}

func textSource(text string) *callgatev1.PlaySource {
	return &callgatev1.PlaySource{Source: &callgatev1.PlaySource_Text{Text: &callgatev1.TextSource{Text: text, VoiceName: "en-US-JennyNeural"}}}
}

// mediaCall places a call to a new ACS user, with Cognitive Services when cognitive is set, and
// waits until it is connected.
func (s *stack) mediaCall(t testing.TB, cognitive bool) (callID, callee string) {
	t.Helper()
	callee = s.acsUser()
	req := &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}, Wait: tenSeconds}
	if cognitive {
		req.CallIntelligenceOptions = &callgatev1.CallIntelligenceOptions{CognitiveServicesEndpoint: cognitiveEndpoint}
	}
	res, err := s.Calls.CreateCall(testContext(t), req)
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	return res.GetCall().GetCallConnectionId(), callee
}

// file scripts how the emulator plays an audio file.
func (s *stack) file(t testing.TB, f emulator.File) {
	t.Helper()
	s.control(t, http.MethodPut, "/files", f, http.StatusOK, nil)
}

func (s *stack) press(t testing.TB, callID, rawID, tones string) {
	t.Helper()
	s.control(t, http.MethodPost, "/calls/"+callID+"/participants/"+escapeRawID(rawID)+"/sendTones", emulator.SendTonesRequest{Tones: tones}, http.StatusNoContent, nil)
}

func escapeRawID(raw string) string {
	return strings.NewReplacer(":", "%3A", "+", "%2B").Replace(raw)
}

// aborted checks a wait that a failure event ended: ABORTED, the reason, and the event's codes.
func aborted(t *testing.T, err error, reason string, code, subCode int32) *callgatev1.CallEvent {
	t.Helper()
	info, ev := outcomeOf(t, err)
	if info.GetReason() != reason || ev.GetResultInformation().GetCode() != code || ev.GetResultInformation().GetSubCode() != subCode {
		t.Fatalf("ABORTED %s with %d/%d, want %s with %d/%d: %v", info.GetReason(), ev.GetResultInformation().GetCode(),
			ev.GetResultInformation().GetSubCode(), reason, code, subCode, err)
	}
	if info.GetMetadata()["result_sub_code"] == "" || info.GetMetadata()["operation_context"] == "" {
		t.Errorf("ErrorInfo metadata %v", info.GetMetadata())
	}
	return ev
}

func TestPlay(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	call, callee := s.mediaCall(t, true)
	s.file(t, emulator.File{URL: "https://media.example/short.wav", Duration: &emulator.Duration{D: 50 * time.Millisecond}})

	// To everyone, waited for: the gateway makes up an operation context to match the outcome.
	res, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call,
		PlaySources: []*callgatev1.PlaySource{fileSource("https://media.example/short.wav"), textSource("Welcome")}, Wait: tenSeconds})
	if err != nil {
		t.Fatalf("Play: %v", err)
	}
	if ev := res.GetResultEvent(); ev.GetPlayCompleted() == nil || ev.GetOperationContext() != res.GetOperationContext() || len(res.GetOperationContext()) != 36 {
		t.Errorf("Play answered %v", res)
	}
	// To one participant, with the caller's context.
	res, err = s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call, PlaySources: fileSources(1),
		PlayTo: []*callgatev1.CommunicationIdentifier{rawOnly(callee)}, OperationContext: "to-one", Wait: tenSeconds})
	if err != nil || res.GetOperationContext() != "to-one" || res.GetResultEvent().GetPlayCompleted() == nil {
		t.Errorf("Play to one: %v %v", res, err)
	}

	// A file ACS cannot play: ABORTED with the event, which names the source.
	_, err = s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call,
		PlaySources: []*callgatev1.PlaySource{fileSource("https://media.example/short.wav"), fileSource("https://media.example/notes.txt")}, Wait: tenSeconds})
	if ev := aborted(t, err, "PLAY_FAILED", 400, 8535); ev.GetPlayFailed().GetFailedPlaySourceIndex() != 1 {
		t.Errorf("PlayFailed %v", ev.GetPlayFailed())
	}

	// A play cancelled while it is waited for ends its wait as a failure.
	s.file(t, emulator.File{URL: "https://media.example/long.wav", Duration: &emulator.Duration{D: time.Minute}})
	errs := make(chan error, 1)
	go func() {
		_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call, PlaySources: []*callgatev1.PlaySource{fileSource("https://media.example/long.wav")},
			OperationContext: "long", Wait: tenSeconds})
		errs <- err
	}()
	s.waitEvent(t, call, "Microsoft.Communication.PlayStarted", "long")
	if _, err := s.Media.CancelAllMediaOperations(ctx, &callgatev1.CancelAllMediaOperationsRequest{CallConnectionId: call}); err != nil {
		t.Fatalf("CancelAllMediaOperations: %v", err)
	}
	aborted(t, <-errs, "PLAY_CANCELED", 400, 8508)

	// A looped play plays on until cancelled; it has nothing to wait for.
	_, err = s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call, PlaySources: fileSources(1), Loop: true, Wait: tenSeconds})
	if f := badRequestFields(t, err); !slices.Equal(f, []string{"wait"}) {
		t.Errorf("loop with wait: %v", f)
	}
	res, err = s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call, PlaySources: fileSources(1), Loop: true, InterruptCallMediaOperation: proto.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Media.CancelAllMediaOperations(ctx, &callgatev1.CancelAllMediaOperationsRequest{CallConnectionId: call}); err != nil {
		t.Fatal(err)
	}
	if ev := s.waitEvent(t, call, "Microsoft.Communication.PlayCanceled", res.GetOperationContext()); ev.GetPlayCanceled() == nil {
		t.Errorf("PlayCanceled not typed: %v", ev)
	}
}

// ACS takes Cognitive Services only at call set-up: a call set up without them cannot speak, and
// the gateway passes ACS's refusal on.
func TestMediaNeedsCognitiveServicesAtSetUp(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	plain, callee := s.mediaCall(t, false)
	_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: plain, PlaySources: []*callgatev1.PlaySource{textSource("Hello")}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "Cognitive Service Configuration not set during call setup") {
		t.Errorf("text on a call without Cognitive Services: %v", err)
	}
	_, err = s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: plain, TargetParticipant: rawOnly(callee),
		InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("speech on a call without Cognitive Services: %v", err)
	}

	// Answered with them, the call speaks.
	in, _ := s.incomingCall(t, "4:+14255550100", "8:acs:"+s.Emulator.ResourceID()+"_ivr")
	answered, err := s.Calls.AnswerCall(ctx, &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext(), Wait: tenSeconds,
		CallIntelligenceOptions: &callgatev1.CallIntelligenceOptions{CognitiveServicesEndpoint: cognitiveEndpoint}})
	if err != nil {
		t.Fatalf("AnswerCall: %v", err)
	}
	res, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: answered.GetCall().GetCallConnectionId(),
		PlaySources: []*callgatev1.PlaySource{textSource("Thanks for calling")}, Wait: tenSeconds})
	if err != nil || res.GetResultEvent().GetPlayCompleted() == nil {
		t.Errorf("text on an answered call with Cognitive Services: %v %v", res, err)
	}
}

func TestRecognize(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	call, callee := s.mediaCall(t, true)
	s.script(t, callee, map[string]any{"recognize": []any{
		map[string]any{"tones": "12"}, map[string]any{"choice": "Billing"}, map[string]any{"speech": "I want an agent"},
	}})
	dtmf := &callgatev1.RecognizeRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee), Wait: tenSeconds,
		InputType:   callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF,
		PlayPrompt:  textSource("Enter your two-digit code"),
		DtmfOptions: &callgatev1.DtmfOptions{MaxTonesToCollect: 2, StopTones: []callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_POUND}}}
	res, err := s.Media.Recognize(ctx, dtmf)
	if err != nil {
		t.Fatalf("Recognize DTMF: %v", err)
	}
	rc := res.GetResultEvent().GetRecognizeCompleted()
	if rc.GetRecognitionType() != callgatev1.RecognitionType_RECOGNITION_TYPE_DTMF ||
		!slices.Equal(rc.GetDtmfResult().GetTones(), []callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_ONE, callgatev1.DtmfTone_DTMF_TONE_TWO}) ||
		res.GetResultEvent().GetResultInformation().GetSubCode() != 8531 {
		t.Errorf("DTMF result %v", res.GetResultEvent())
	}

	choices := []*callgatev1.RecognitionChoice{
		{Label: "Sales", Phrases: []string{"sales", "buy"}, Tone: callgatev1.DtmfTone_DTMF_TONE_ONE},
		{Label: "Billing", Phrases: []string{"billing", "pay"}, Tone: callgatev1.DtmfTone_DTMF_TONE_TWO},
	}
	res, err = s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee), Wait: tenSeconds,
		InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_CHOICES, Choices: choices, OperationContext: "menu"})
	if err != nil || res.GetOperationContext() != "menu" {
		t.Fatalf("Recognize choices: %v %v", res, err)
	}
	if c := res.GetResultEvent().GetRecognizeCompleted().GetChoiceResult(); c.GetLabel() != "Billing" || c.GetRecognizedPhrase() != "billing" {
		t.Errorf("choice result %v", res.GetResultEvent())
	}
	res, err = s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee), Wait: tenSeconds,
		InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH, SpeechLanguage: "en-US"})
	if err != nil || res.GetResultEvent().GetRecognizeCompleted().GetSpeechResult().GetSpeech() != "I want an agent" {
		t.Errorf("speech: %v %v", res, err)
	}

	// Keys pressed while the wait runs (the control API), without a script: they cut the prompt
	// short, and count from its start (PlayStarted).
	s.file(t, emulator.File{URL: "https://media.example/menu.wav", Duration: &emulator.Duration{D: time.Minute}})
	errs := make(chan error, 1)
	var pressed *callgatev1.RecognizeResponse
	go func() {
		var err error
		pressed, err = s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee), Wait: tenSeconds,
			InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH_OR_DTMF, OperationContext: "either",
			PlayPrompts: []*callgatev1.PlaySource{fileSource("https://media.example/menu.wav")},
			DtmfOptions: &callgatev1.DtmfOptions{MaxTonesToCollect: 3, StopTones: []callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_POUND}}})
		errs <- err
	}()
	s.waitEvent(t, call, "Microsoft.Communication.PlayStarted", "either")
	s.press(t, call, callee, "7#")
	if err := <-errs; err != nil {
		t.Fatalf("speech-or-DTMF: %v", err)
	}
	if rc := pressed.GetResultEvent().GetRecognizeCompleted(); !slices.Equal(rc.GetDtmfResult().GetTones(), []callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_SEVEN}) ||
		pressed.GetResultEvent().GetResultInformation().GetSubCode() != 8514 {
		t.Errorf("speech-or-DTMF result %v", pressed.GetResultEvent())
	}

	// No input: RecognizeFailed, ABORTED with its codes.
	_, err = s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee), Wait: tenSeconds,
		InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF, InitialSilenceTimeoutSeconds: proto.Int32(0),
		DtmfOptions: &callgatev1.DtmfOptions{MaxTonesToCollect: 1}})
	aborted(t, err, "RECOGNIZE_FAILED", 400, 8510)
}

func TestContinuousDtmfAndSendTones(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	call, callee := s.mediaCall(t, false)
	if _, err := s.Media.StartContinuousDtmfRecognition(ctx, &callgatev1.StartContinuousDtmfRecognitionRequest{CallConnectionId: call,
		TargetParticipant: userID(callee), OperationContext: "keys"}); err != nil {
		t.Fatal(err)
	}
	s.press(t, call, callee, "9*")
	if _, err := s.Media.StopContinuousDtmfRecognition(ctx, &callgatev1.StopContinuousDtmfRecognitionRequest{CallConnectionId: call,
		TargetParticipant: userID(callee), OperationContext: "keys-done"}); err != nil {
		t.Fatal(err)
	}
	s.waitEvent(t, call, "Microsoft.Communication.ContinuousDtmfRecognitionStopped", "keys-done")
	stream, err := s.Calls.WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: call,
		EventTypes: []string{"Microsoft.Communication.ContinuousDtmfRecognitionToneReceived", "Microsoft.Communication.ContinuousDtmfRecognitionStopped"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		ev := msg.GetEvent()
		if ev == nil {
			continue
		}
		if r := ev.GetContinuousDtmfRecognitionToneReceived(); r != nil {
			got = append(got, r.GetTone().String()+"#"+string(rune('0'+r.GetSequenceId())))
		} else if ev.GetContinuousDtmfRecognitionStopped() != nil {
			got = append(got, "stopped")
		}
	}
	if want := []string{"DTMF_TONE_NINE#1", "DTMF_TONE_ASTERISK#2", "stopped"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}

	res, err := s.Media.SendDtmfTones(ctx, &callgatev1.SendDtmfTonesRequest{CallConnectionId: call, TargetParticipant: userID(callee),
		Tones: []callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_ONE, callgatev1.DtmfTone_DTMF_TONE_POUND}, RequestId: acs.NewUUID(), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("SendDtmfTones: %v", err)
	}
	if res.GetResultEvent().GetSendDtmfTonesCompleted() == nil || res.GetOperationContext() == "" {
		t.Errorf("SendDtmfTones answered %v", res)
	}
}

func TestHoldAndUnhold(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	call, callee := s.mediaCall(t, false)
	res, err := s.Media.Hold(ctx, &callgatev1.HoldRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee),
		PlaySource: fileSource("https://media.example/hold-music.wav"), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	held := false
	for _, p := range res.GetResultEvent().GetParticipantsUpdated().GetParticipants() {
		held = held || (p.GetIdentifier().GetRawId() == callee && p.GetIsOnHold())
	}
	if !held {
		t.Errorf("Hold answered %v, want the roster with %s on hold", res.GetResultEvent(), callee)
	}
	if _, err := s.Media.Unhold(ctx, &callgatev1.UnholdRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Participants.GetParticipant(ctx, &callgatev1.GetParticipantRequest{CallConnectionId: call, RawId: callee})
	if err != nil || p.GetParticipant().GetIsOnHold() {
		t.Errorf("after Unhold: %v %v", p, err)
	}
	_, err = s.Media.Hold(ctx, &callgatev1.HoldRequest{CallConnectionId: call, TargetParticipant: rawOnly(callee),
		PlaySource: fileSource("https://media.example/hold-music.ogg"), Wait: tenSeconds})
	if ev := aborted(t, err, "HOLD_FAILED", 400, 8535); ev.GetHoldFailed() == nil {
		t.Errorf("HoldFailed not typed: %v", ev)
	}
}

func TestMoveParticipants(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	here, host := s.mediaCall(t, false)
	there, mover := s.mediaCall(t, false)
	res, err := s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: here, FromCall: there,
		TargetParticipants: []*callgatev1.CommunicationIdentifier{userID(mover)}, RequestId: acs.NewUUID(), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("MoveParticipants: %v", err)
	}
	if m := res.GetResultEvent().GetMoveParticipantSucceeded(); m.GetParticipant().GetRawId() != mover || m.GetFromCall() != there || res.GetFromCall() != there {
		t.Errorf("MoveParticipants answered %v", res)
	}
	var ids []string
	for _, p := range res.GetParticipants() {
		ids = append(ids, p.GetIdentifier().GetRawId())
	}
	if !slices.Contains(ids, mover) || !slices.Contains(ids, host) {
		t.Errorf("participants after the move: %v", ids)
	}
	// The call it came from had no one else: it ended.
	s.waitEvent(t, there, "Microsoft.Communication.CallDisconnected", "")

	// One of two cannot be moved: the wait sees both outcomes and fails with the failure.
	third, other := s.mediaCall(t, false)
	_, err = s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: here, FromCall: third,
		TargetParticipants: []*callgatev1.CommunicationIdentifier{userID(other), userID(s.acsUser())}, Wait: tenSeconds})
	if ev := aborted(t, err, "MOVE_PARTICIPANT_FAILED", 404, 8522); ev.GetMoveParticipantFailed().GetFromCall() != third {
		t.Errorf("MoveParticipantFailed %v", ev)
	}

	_, err = s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: here, FromCall: here,
		TargetParticipants: []*callgatev1.CommunicationIdentifier{userID(host), userID(host)}})
	if f := badRequestFields(t, err); !slices.Equal(f, []string{"target_participants[1]", "from_call"}) {
		t.Errorf("violations %v", f)
	}
}

func TestMediaOptionsAtSetUp(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	res, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets:                 []*callgatev1.CommunicationIdentifier{userID(s.acsUser())},
		CallIntelligenceOptions: &callgatev1.CallIntelligenceOptions{CognitiveServicesEndpoint: cognitiveEndpoint},
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{TransportUrl: "wss://media.example/stream", Content: callgatev1.MediaStreamingContent_MEDIA_STREAMING_CONTENT_AUDIO,
			AudioChannel: callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_UNMIXED, AudioFormat: callgatev1.AudioFormat_AUDIO_FORMAT_PCM_24K_MONO,
			StartMediaStreaming: proto.Bool(false)},
		TranscriptionOptions: &callgatev1.TranscriptionOptions{Locale: "en-GB", EnableIntermediateResults: proto.Bool(true)},
		TeamsAppSource:       &callgatev1.MicrosoftTeamsApp{AppId: "00000000-0000-0000-0000-0000000000aa"},
	})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	ms, tr := res.GetCall().GetMediaStreamingSubscription(), res.GetCall().GetTranscriptionSubscription()
	if ms.GetState() != callgatev1.SubscriptionState_SUBSCRIPTION_STATE_INACTIVE || ms.GetId() == "" ||
		!slices.Equal(ms.GetSubscribedContentTypes(), []callgatev1.MediaStreamingContent{callgatev1.MediaStreamingContent_MEDIA_STREAMING_CONTENT_AUDIO}) {
		t.Errorf("media streaming subscription %v", ms)
	}
	if tr.GetLocale() != "en-GB" || !slices.Equal(tr.GetSubscribedResultTypes(), []callgatev1.TranscriptionResultType{
		callgatev1.TranscriptionResultType_TRANSCRIPTION_RESULT_TYPE_FINAL, callgatev1.TranscriptionResultType_TRANSCRIPTION_RESULT_TYPE_INTERMEDIATE}) {
		t.Errorf("transcription subscription %v", tr)
	}
	got, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: res.GetCall().GetCallConnectionId()})
	if err != nil || !proto.Equal(got.GetCall().GetTranscriptionSubscription(), tr) {
		t.Errorf("GetCall: %v %v", got, err)
	}

	conn, err := s.Calls.ConnectCall(ctx, &callgatev1.ConnectCallRequest{CallLocator: &callgatev1.ConnectCallRequest_RoomId{RoomId: "99411735203453399"},
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{AudioChannel: callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED}, Wait: tenSeconds})
	if err != nil || conn.GetCall().GetMediaStreamingSubscription() == nil {
		t.Errorf("ConnectCall: %v %v", conn, err)
	}
}

// Every media RPC and MoveParticipants over REST, at the paths ACS names them by, Play and
// Recognize waiting for their outcome.
func TestMediaREST(t *testing.T) {
	s := newStack(t)
	call, callee := s.mediaCall(t, true)
	post := func(t *testing.T, path, body string) map[string]any {
		t.Helper()
		code, out := s.rest(t, "POST", "/v1/calls/"+call+path, body)
		if code != http.StatusOK {
			t.Fatalf("POST %s: %d %v", path, code, out)
		}
		return out
	}
	target := `{"rawId":"` + callee + `"}`

	out := post(t, ":play", `{"playSources":[{"text":{"text":"Hello","voiceName":"en-US-JennyNeural"}}],"operationContext":"rest-play","wait":"10s"}`)
	if str(out, "operationContext") != "rest-play" || field(out, "resultEvent", "playCompleted") == nil {
		t.Errorf(":play answered %v", out)
	}
	s.script(t, callee, map[string]any{"recognize": []any{map[string]any{"tones": "5"}}})
	out = post(t, ":recognize", `{"inputType":"RECOGNIZE_INPUT_TYPE_DTMF","targetParticipant":`+target+`,"playPrompt":{"file":{"uri":"https://media.example/menu.wav"}},"dtmfOptions":{"maxTonesToCollect":1},"wait":"10s"}`)
	if str(out, "resultEvent", "recognizeCompleted", "dtmfResult", "tones", 0) != "DTMF_TONE_FIVE" ||
		str(out, "resultEvent", "recognizeCompleted", "recognitionType") != "RECOGNITION_TYPE_DTMF" {
		t.Errorf(":recognize answered %v", out)
	}
	post(t, ":startContinuousDtmfRecognition", `{"targetParticipant":`+target+`}`)
	post(t, ":stopContinuousDtmfRecognition", `{"targetParticipant":`+target+`}`)
	if out := post(t, ":sendDtmfTones", `{"targetParticipant":`+target+`,"tones":["DTMF_TONE_ONE","DTMF_TONE_POUND"],"wait":"10s"}`); field(out, "resultEvent", "sendDtmfTonesCompleted") == nil {
		t.Errorf(":sendDtmfTones answered %v", out)
	}
	if out := post(t, ":hold", `{"targetParticipant":`+target+`,"wait":"10s"}`); field(out, "resultEvent", "participantsUpdated") == nil {
		t.Errorf(":hold answered %v", out)
	}
	post(t, ":unhold", `{"targetParticipant":`+target+`}`)
	post(t, ":cancelAllMediaOperations", `{}`)

	other, mover := s.mediaCall(t, false)
	out = post(t, "/participants:moveHere", `{"fromCall":"`+other+`","targetParticipants":[{"rawId":"`+mover+`"}],"wait":"10s"}`)
	if str(out, "fromCall") != other || str(out, "resultEvent", "moveParticipantSucceeded", "participant", "rawId") != mover {
		t.Errorf(":moveHere answered %v", out)
	}

	code, out := s.rest(t, "POST", "/v1/calls/"+call+":play", `{"playSources":[]}`)
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "play_sources") {
		t.Errorf(":play without sources: %d %v", code, out)
	}
}
