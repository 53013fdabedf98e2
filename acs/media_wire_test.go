package acs_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/callgate/callgate/acs"
)

// The inputs that made the media, move and set-up captures of sdk-wire/ (its README lists the
// SDK calls), given to the client as the gateway gives them: the SDK's defaults (5 s initial
// silence, 2 s between tones, 2000 ms end silence, a fresh operation context) are filled in by
// its caller, here by hand with the values the SDK sent.
func mediaWireCases() []wireCase {
	const (
		conn   = "conn-1"
		phone  = "+16041234567"
		prompt = "https://media.example/prompt.wav"
		ssml   = `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US"><voice name="en-US-JennyNeural">Hello</voice></speak>`
		hello  = "Hello, thanks for calling."
	)
	pstn := acs.CallMediaIdentifier(acs.PhoneNumber(phone))
	user := acs.CallMediaIdentifier(acs.CommunicationUser("8:acs:target"))
	file := acs.PlaySource{Kind: acs.PlaySourceFile, File: &acs.FileSource{URI: prompt}}
	text := acs.PlaySource{Kind: acs.PlaySourceText, Text: &acs.TextSource{Text: hello, SourceLocale: "en-US", VoiceName: "en-US-JennyNeural"}}
	ssmlSource := acs.PlaySource{Kind: acs.PlaySourceSSML, SSML: &acs.SSMLSource{SSMLText: ssml}}
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	play := func(file string, req acs.PlayRequest) wireCase {
		return wireCase{file: file, status: 202, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			req.CallConnectionID = conn
			return c.Play(ctx, &req)
		}}
	}
	recognize := func(file string, req acs.RecognizeRequest) wireCase {
		return wireCase{file: file, status: 202, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			req.CallConnectionID = conn
			return c.Recognize(ctx, &req)
		}}
	}
	hold := func(file string, req acs.HoldRequest) wireCase {
		return wireCase{file: file, status: 200, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			req.CallConnectionID = conn
			return c.Hold(ctx, &req)
		}}
	}
	cognitive := &acs.CallIntelligenceOptions{CognitiveServicesEndpoint: "https://cognitive.example.cognitiveservices.azure.com/"}
	streaming := func(channel, format string, on bool) *acs.MediaStreamingOptions {
		return &acs.MediaStreamingOptions{TransportType: acs.TransportWebSocket, AudioChannelType: channel, TransportURL: "wss://app.example/media",
			ContentType: "audio", StartMediaStreaming: acs.Bool(on), EnableBidirectional: acs.Bool(on), AudioFormat: format, EnableDtmfTones: acs.Bool(on)}
	}
	transcription := func(locale string, on bool) *acs.TranscriptionOptions {
		return &acs.TranscriptionOptions{TransportType: acs.TransportWebSocket, Locale: locale, TransportURL: "wss://app.example/transcription",
			SpeechModelEndpointID: "speech-model-endpoint-1", StartTranscription: acs.Bool(on), EnableIntermediateResults: acs.Bool(on)}
	}
	wantSubscriptions := func(t *testing.T, got *acs.CallConnectionProperties, err error) error {
		t.Helper()
		if err != nil {
			return err
		}
		if ms := got.MediaStreamingSubscription; ms == nil || ms.State != "active" || len(ms.SubscribedContentTypes) != 1 || ms.SubscribedContentTypes[0] != "audio" {
			t.Errorf("MediaStreamingSubscription = %+v", ms)
		}
		if ts := got.TranscriptionSubscription; ts == nil || ts.ID == "" || len(ts.SubscribedResultTypes) != 1 || ts.SubscribedResultTypes[0] != "final" {
			t.Errorf("TranscriptionSubscription = %+v", ts)
		}
		return nil
	}
	return []wireCase{
		play("play-file-all.json", acs.PlayRequest{PlaySources: []acs.PlaySource{file}, OperationContext: "bf98e922-d7f2-4f78-9dfa-78a290038aa0"}),
		play("play-file-all-loop-interrupt.json", acs.PlayRequest{
			PlaySources:                 []acs.PlaySource{{Kind: acs.PlaySourceFile, PlaySourceCacheID: "prompt-cache-1", File: &acs.FileSource{URI: prompt}}},
			InterruptCallMediaOperation: acs.Bool(true), PlayOptions: acs.PlayOptions{Loop: true},
			OperationContext: "play-ctx", OperationCallbackURI: otherCB,
		}),
		play("play-text-all.json", acs.PlayRequest{PlaySources: []acs.PlaySource{text}, OperationContext: "tts-ctx"}),
		play("play-ssml-all.json", acs.PlayRequest{
			PlaySources:      []acs.PlaySource{{Kind: acs.PlaySourceSSML, SSML: &acs.SSMLSource{SSMLText: ssml, CustomVoiceEndpointID: "custom-voice-endpoint-1"}}},
			OperationContext: "c8e785bc-188f-4c63-b7c4-15491bb316f6",
		}),
		play("play-multi-all.json", acs.PlayRequest{PlaySources: []acs.PlaySource{file, text, ssmlSource}, OperationContext: "multi-ctx"}),
		play("play-file-participant.json", acs.PlayRequest{PlaySources: []acs.PlaySource{file}, PlayTo: []acs.CallMediaIdentifier{pstn}}),
		play("play-text-participant.json", acs.PlayRequest{
			PlaySources: []acs.PlaySource{{Kind: acs.PlaySourceText, Text: &acs.TextSource{
				Text: "Please hold.", SourceLocale: "en-GB", VoiceKind: acs.VoiceMale, CustomVoiceEndpointID: "custom-voice-endpoint-1"}}},
			PlayTo: []acs.CallMediaIdentifier{user}, PlayOptions: acs.PlayOptions{Loop: true},
			OperationContext: "tts-p-ctx", OperationCallbackURI: otherCB,
		}),
		play("play-ssml-participant.json", acs.PlayRequest{PlaySources: []acs.PlaySource{ssmlSource}, PlayTo: []acs.CallMediaIdentifier{user, pstn}, OperationContext: "ssml-p-ctx"}),
		recognize("recognize-dtmf.json", acs.RecognizeRequest{
			RecognizeInputType: acs.RecognizeDTMF, PlayPrompt: &file, InterruptCallMediaOperation: acs.Bool(true),
			RecognizeOptions: acs.RecognizeOptions{
				InterruptPrompt: acs.Bool(true), InitialSilenceTimeoutInSeconds: i32(10), TargetParticipant: pstn,
				DtmfOptions: &acs.DtmfOptions{InterToneTimeoutInSeconds: i32(3), MaxTonesToCollect: i32(4), StopTones: []acs.Tone{acs.TonePound, acs.ToneAsterisk}},
			},
			OperationContext: "dtmf-ctx", OperationCallbackURI: otherCB,
		}),
		recognize("recognize-dtmf-defaults.json", acs.RecognizeRequest{
			RecognizeInputType: acs.RecognizeDTMF,
			RecognizeOptions: acs.RecognizeOptions{InitialSilenceTimeoutInSeconds: i32(5), TargetParticipant: pstn,
				DtmfOptions: &acs.DtmfOptions{InterToneTimeoutInSeconds: i32(2), MaxTonesToCollect: i32(1)}},
			OperationContext: "b76c04ee-5a3b-4451-bc86-aa76580ff933",
		}),
		recognize("recognize-speech.json", acs.RecognizeRequest{
			RecognizeInputType: acs.RecognizeSpeech, PlayPrompt: &text,
			RecognizeOptions: acs.RecognizeOptions{
				InterruptPrompt: acs.Bool(false), InitialSilenceTimeoutInSeconds: i32(8), TargetParticipant: user,
				SpeechLanguage: "en-US", SpeechRecognitionModelEndpointID: "speech-model-endpoint-1",
				SpeechOptions: &acs.SpeechOptions{EndSilenceTimeoutInMs: i64(1000)},
			},
			OperationContext: "speech-ctx",
		}),
		recognize("recognize-speechOrDtmf.json", acs.RecognizeRequest{
			RecognizeInputType: acs.RecognizeSpeechOrDTMF, PlayPrompts: []acs.PlaySource{text, file},
			RecognizeOptions: acs.RecognizeOptions{
				InterruptPrompt: acs.Bool(true), InitialSilenceTimeoutInSeconds: i32(6), TargetParticipant: pstn, SpeechLanguage: "es-ES",
				DtmfOptions:   &acs.DtmfOptions{InterToneTimeoutInSeconds: i32(4), MaxTonesToCollect: i32(2), StopTones: []acs.Tone{acs.TonePound}},
				SpeechOptions: &acs.SpeechOptions{EndSilenceTimeoutInMs: i64(3000)},
			},
			OperationContext: "sod-ctx", OperationCallbackURI: otherCB,
		}),
		recognize("recognize-choices.json", acs.RecognizeRequest{
			RecognizeInputType: acs.RecognizeChoices, PlayPrompt: &ssmlSource,
			RecognizeOptions: acs.RecognizeOptions{
				InterruptPrompt: acs.Bool(true), InitialSilenceTimeoutInSeconds: i32(7), TargetParticipant: pstn, SpeechLanguage: "en-US",
				Choices: []acs.RecognitionChoice{
					{Label: "Confirm", Phrases: []string{"Confirm", "First", "One"}, Tone: acs.ToneOne},
					{Label: "Cancel", Phrases: []string{"Cancel", "Second", "Two"}, Tone: acs.ToneTwo},
				},
			},
			OperationContext: "choice-ctx",
		}),
		{file: "startContinuousDtmfRecognition.json", status: 200, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.StartContinuousDtmfRecognition(ctx, &acs.ContinuousDtmfRecognitionRequest{CallConnectionID: conn, TargetParticipant: pstn, OperationContext: "cdtmf-ctx"})
		}},
		{file: "stopContinuousDtmfRecognition.json", status: 200, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.StopContinuousDtmfRecognition(ctx, &acs.ContinuousDtmfRecognitionRequest{CallConnectionID: conn, TargetParticipant: pstn, OperationContext: "cdtmf-ctx", OperationCallbackURI: otherCB})
		}},
		{file: "sendDtmfTones.json", status: 202, example: "CallMedia_SendDtmfTones.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.SendDtmfTones(ctx, &acs.SendDtmfTonesRequest{CallConnectionID: conn,
				Tones:             []acs.Tone{acs.ToneOne, acs.ToneTwo, acs.ToneThree, acs.TonePound},
				TargetParticipant: pstn, OperationContext: "send-dtmf-ctx", OperationCallbackURI: otherCB})
			if err == nil && got.OperationContext != "sendDtmf operation context" {
				t.Errorf("OperationContext = %q", got.OperationContext)
			}
			return err
		}},
		hold("hold.json", acs.HoldRequest{TargetParticipant: pstn}),
		hold("hold-music.json", acs.HoldRequest{TargetParticipant: pstn,
			PlaySourceInfo:   &acs.PlaySource{Kind: acs.PlaySourceFile, File: &acs.FileSource{URI: "https://media.example/hold-music.wav"}},
			OperationContext: "hold-ctx", OperationCallbackURI: otherCB}),
		hold("hold-text.json", acs.HoldRequest{TargetParticipant: user,
			PlaySourceInfo: &acs.PlaySource{Kind: acs.PlaySourceText, Text: &acs.TextSource{Text: "Please wait.", VoiceName: "en-US-JennyNeural"}}}),
		{file: "unhold.json", status: 200, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.Unhold(ctx, &acs.UnholdRequest{CallConnectionID: conn, TargetParticipant: pstn, OperationContext: "unhold-ctx", OperationCallbackURI: otherCB})
		}},
		{file: "cancelAllMediaOperations.json", status: 202, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.CancelAllMediaOperations(ctx, &acs.CancelAllMediaOperationsRequest{CallConnectionID: conn})
		}},
		{file: "moveParticipants.json", status: 202, example: "CallConnection_MoveParticipants.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.MoveParticipants(ctx, &acs.MoveParticipantsRequest{CallConnectionID: conn,
				TargetParticipants: []acs.Identifier{acs.CommunicationUser("8:acs:target"), acs.PhoneNumber(phone)},
				OperationContext:   "move-ctx", OperationCallbackURI: otherCB, FromCall: "conn-from"})
			if err == nil && (got.FromCall != "28dea47f-b081-4107-9a5c-4300819d2c6c" || len(got.Participants) != 1 || got.Participants[0].Identifier.Kind != acs.KindCommunicationUser) {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "moveParticipants-default.json", status: 202, example: "CallConnection_MoveParticipants.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.MoveParticipants(ctx, &acs.MoveParticipantsRequest{CallConnectionID: conn,
				TargetParticipants: []acs.Identifier{acs.CommunicationUser("8:acs:target")},
				OperationContext:   "03c0cae0-a0a8-4746-81c2-1ef22d890770", FromCall: "conn-from"})
			return err
		}},
		{file: "createCall-streaming.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets: []acs.Identifier{acs.CommunicationUser("8:acs:target")}, OperationContext: "create-ctx", CallbackURI: callbackURI,
				CallIntelligenceOptions: cognitive, MediaStreamingOptions: streaming("mixed", "pcm24KMono", true),
				TranscriptionOptions: transcription("en-US", true),
			})
			return wantSubscriptions(t, got, err)
		}},
		{file: "createCall-pstn-streaming-minimal.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets: []acs.Identifier{acs.PhoneNumber(phone)}, SourceCallerIDNumber: acs.CallerID("+18001234567"), CallbackURI: callbackURI,
				MediaStreamingOptions: &acs.MediaStreamingOptions{TransportType: acs.TransportWebSocket, AudioChannelType: "unmixed"},
				TranscriptionOptions:  &acs.TranscriptionOptions{TransportType: acs.TransportWebSocket, Locale: "en-GB"},
			})
			return err
		}},
		{file: "createCall-teamsAppSource.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets: []acs.Identifier{acs.PhoneNumber(phone)}, SourceCallerIDNumber: acs.CallerID("+18001234567"), CallbackURI: callbackURI,
				TeamsAppSource: &acs.MicrosoftTeamsAppModel{AppID: "00000000-0000-0000-0000-0000000000aa"},
			})
			return err
		}},
		{file: "answerCall-streaming.json", status: 200, example: "AnswerCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.AnswerCall(ctx, &acs.AnswerCallRequest{IncomingCallContext: incomingCtx, CallbackURI: callbackURI, OperationContext: "answer-ctx",
				CallIntelligenceOptions: cognitive, MediaStreamingOptions: streaming("unmixed", "pcm16KMono", false),
				TranscriptionOptions: transcription("en-CA", false)})
			return err
		}},
		{file: "connectCall-streaming.json", status: 200, example: "Connect.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.Connect(ctx, &acs.ConnectRequest{CallLocator: acs.RoomCallLocator("99411735203453342"), CallbackURI: callbackURI, OperationContext: "connect-ctx",
				CallIntelligenceOptions: cognitive, MediaStreamingOptions: streaming("mixed", "pcm24KMono", true),
				TranscriptionOptions: transcription("en-US", true)})
			return err
		}},
	}
}

// A CallMedia identifier is the identifier without its kind, and reads back with it.
func TestCallMediaIdentifierHasNoKind(t *testing.T) {
	for _, id := range []acs.Identifier{
		acs.PhoneNumber("+16041234567"), acs.CommunicationUser("8:acs:r_u"), acs.MicrosoftTeamsUser("u", acs.CloudGCCH),
		acs.MicrosoftTeamsApp("a", ""), acs.TeamsExtensionUser("u", "t", "r", ""), {PhoneNumber: &acs.PhoneNumberModel{Value: "+16041234567"}},
	} {
		got, err := json.Marshal(acs.CallMediaIdentifier(id))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["kind"]; ok || m["rawId"] != id.Raw() {
			t.Errorf("%v encodes as %s: want rawId and no kind", id, got)
		}
		var back acs.CallMediaIdentifier
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if b := acs.Identifier(back); b.Kind != id.ObjectKind() || b.Raw() != id.Raw() {
			t.Errorf("%s reads back as %+v", got, b)
		}
		// The identifier itself still carries its kind.
		with, _ := json.Marshal(id)
		var wm map[string]any
		_ = json.Unmarshal(with, &wm)
		if wm["kind"] != string(id.ObjectKind()) {
			t.Errorf("Identifier %v lost its kind: %s", id, with)
		}
	}
}
