package service_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/tokens"
)

func (s *stack) say(t testing.TB, callID, rawID, text string) {
	t.Helper()
	s.control(t, http.MethodPost, "/calls/"+callID+"/participants/"+escapeRawID(rawID)+"/say", emulator.SayRequest{Text: text}, http.StatusNoContent, nil)
}

// received reads back, as WAV, what the call's application sent on its bidirectional stream,
// once at least n bytes came.
func (s *stack) received(t testing.TB, callID string, n int) []byte {
	t.Helper()
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.ControlURL+"/calls/"+callID+"/media/received?minBytes="+strconv.Itoa(n), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("read-back: %d %s", resp.StatusCode, b)
	}
	return b
}

// streamingCall places a call set up with bidirectional media streaming and transcription, both
// started at set-up, and waits for it to connect.
func (s *stack) streamingCall(t *testing.T, ws *wsReceiver, unmixed bool) (callID, callee string, call *callgatev1.Call) {
	t.Helper()
	callee = s.acsUser()
	channel := callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED
	if unmixed {
		channel = callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_UNMIXED
	}
	res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}, Wait: tenSeconds,
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{TransportUrl: ws.url("/media"), AudioChannel: channel,
			AudioFormat: callgatev1.AudioFormat_AUDIO_FORMAT_PCM_16K_MONO, StartMediaStreaming: proto.Bool(true),
			EnableBidirectional: proto.Bool(true), EnableDtmfTones: proto.Bool(true)},
		TranscriptionOptions: &callgatev1.TranscriptionOptions{TransportUrl: ws.url("/transcription"), Locale: "en-US",
			StartTranscription: proto.Bool(true), EnableIntermediateResults: proto.Bool(true)},
	})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	return res.GetCall().GetCallConnectionId(), callee, res.GetCall()
}

// conns takes the emulator's media and transcription connections, in whatever order they came.
func conns(t *testing.T, ctx context.Context, ws *wsReceiver) (media, transcription *wsConn) {
	t.Helper()
	for range 2 {
		c := ws.accept(t, ctx)
		if c.path == "/media" {
			media = c
		} else {
			transcription = c
		}
	}
	if media == nil || transcription == nil {
		t.Fatal("want one media and one transcription connection")
	}
	return media, transcription
}

// A call set up with bidirectional streaming and transcription started: the emulator connects
// to both transport URLs with ACS's headers and a token signed like the callbacks, sends the
// metadata first, then 20 ms frames (silent until someone speaks), the DTMF of keys pressed,
// the transcription of what is said (intermediate, then final, the text as given), and plays
// and keeps what the application sends back. Stop closes the socket after MediaStreamingStopped;
// a new start opens a new connection that begins with the metadata.
func TestMediaStreamingAndTranscription(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	ws := newWSReceiver(t)
	callID, callee, call := s.streamingCall(t, ws, false)
	if ev := s.waitEvent(t, callID, "Microsoft.Communication.MediaStreamingStarted", ""); ev.GetMediaStreamingStarted().GetMediaStreamingUpdate().GetMediaStreamingStatus() != callgatev1.MediaStreamingStatus_MEDIA_STREAMING_STATUS_MEDIA_STREAMING_STARTED {
		t.Errorf("MediaStreamingStarted typed as %v", ev)
	}
	s.waitEvent(t, callID, "Microsoft.Communication.TranscriptionStarted", "")
	media, tr := conns(t, ctx, ws)

	verifier, err := tokens.New(ctx, tokens.Config{JWKSURL: s.Emulator.JWKSURL(), Issuer: s.Emulator.Issuer(), Audience: s.Emulator.Audience()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*wsConn{media, tr} {
		if c.header.Get("x-ms-call-connection-id") != callID || c.header.Get("x-ms-call-correlation-id") != call.GetCorrelationId() {
			t.Errorf("%s: upgrade headers %v", c.path, c.header)
		}
		if _, err := verifier.Verify(ctx, strings.TrimPrefix(c.header.Get("Authorization"), "Bearer ")); err != nil {
			t.Errorf("%s: the bearer token does not verify: %v", c.path, err)
		}
	}
	meta := media.next(t, ctx)
	if meta.Kind != "AudioMetadata" || meta.AudioMeta.SampleRate != 16000 || meta.AudioMeta.Channels != 1 || meta.AudioMeta.Length != 640 ||
		meta.AudioMeta.Encoding != "PCM" || meta.AudioMeta.SubscriptionID != call.GetMediaStreamingSubscription().GetId() {
		t.Errorf("first media message %s", meta.raw)
	}
	tmeta := tr.next(t, ctx)
	if tmeta.Kind != "TranscriptionMetadata" || tmeta.TranscriptionMeta.Locale != "en-US" || tmeta.TranscriptionMeta.CallConnectionID != callID {
		t.Errorf("first transcription message %s", tmeta.raw)
	}
	got, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: callID})
	if err != nil || got.GetCall().GetMediaStreamingSubscription().GetState() != callgatev1.SubscriptionState_SUBSCRIPTION_STATE_ACTIVE {
		t.Errorf("GetCall while streaming: %v %v", got, err)
	}
	// Silence first: mixed frames without a participant, 640 bytes, all zero, flagged.
	for range 5 {
		f := media.next(t, ctx)
		if f.Kind != "AudioData" || f.Audio.Participant != "" || !f.Audio.Silent || len(pcm(f)) != 320 || f.Audio.Timestamp == "" {
			t.Fatalf("a silent frame: %s", f.raw)
		}
	}

	s.say(t, callID, callee, "Hello agent")
	intermediate, _ := tr.until(t, ctx, func(m streamMsg) bool { return m.Kind == "TranscriptionData" })
	if intermediate.Transcript.Status != "Intermediate" || intermediate.Transcript.Text != "Hello" || intermediate.Transcript.Participant != callee {
		t.Errorf("first result %s", intermediate.raw)
	}
	final, _ := tr.until(t, ctx, func(m streamMsg) bool { return m.Transcript.Status == "Final" })
	w := final.Transcript.Words
	if final.Transcript.Text != "Hello agent" || len(w) != 2 || w[0].Text != "Hello" || w[1].Text != "agent" || w[1].Offset <= w[0].Offset+w[0].Duration-1 ||
		final.Transcript.Offset != w[0].Offset || final.Transcript.Duration < w[0].Duration+w[1].Duration || final.Transcript.Confidence <= 0 {
		t.Errorf("final result %s", final.raw)
	}
	// The words lie where the voice is in the audio: the frame at the first word's offset is
	// not silent.
	voiced, frames := media.until(t, ctx, func(m streamMsg) bool { return m.Kind == "AudioData" && !m.Audio.Silent })
	if frames == 0 || len(pcm(voiced)) != 320 {
		t.Errorf("the voice did not reach the media stream: %s", voiced.raw)
	}

	s.press(t, callID, callee, "5#")
	d1, _ := media.until(t, ctx, func(m streamMsg) bool { return m.Kind == "DtmfData" })
	d2, _ := media.until(t, ctx, func(m streamMsg) bool { return m.Kind == "DtmfData" })
	if d1.Dtmf.Data != "5" || d2.Dtmf.Data != "#" {
		t.Errorf("DTMF %s %s", d1.raw, d2.raw)
	}

	// Bidirectional: 10 frames of a tone go into the call and can be read back.
	sent := tone(3200, 440, 16000)
	for i := 0; i < len(sent); i += 640 {
		media.send(t, ctx, outboundAudio(sent[i:i+640]))
	}
	media.send(t, ctx, map[string]any{"Kind": "StopAudio", "AudioData": nil, "StopAudio": map[string]any{}}) // the .NET SDK's casing
	wav := s.received(t, callID, len(sent))
	if !bytes.Equal(wav[44:], sent) || string(wav[:4]) != "RIFF" || binary.LittleEndian.Uint32(wav[24:]) != 16000 {
		t.Errorf("read back %d bytes, want the %d sent at 16 kHz", len(wav)-44, len(sent))
	}

	res, err := s.Media.StopMediaStreaming(ctx, &callgatev1.StopMediaStreamingRequest{CallConnectionId: callID, Wait: tenSeconds})
	if err != nil || res.GetResultEvent().GetMediaStreamingStopped() == nil || res.GetOperationContext() == "" {
		t.Fatalf("StopMediaStreaming: %v %v", res, err)
	}
	media.waitClosed(t, ctx)
	if _, err := s.Media.StopMediaStreaming(ctx, &callgatev1.StopMediaStreamingRequest{CallConnectionId: callID}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("stopping a stopped stream: %v", err)
	}
	started, err := s.Media.StartMediaStreaming(ctx, &callgatev1.StartMediaStreamingRequest{CallConnectionId: callID, OperationContext: "again", Wait: tenSeconds})
	if err != nil || started.GetResultEvent().GetMediaStreamingStarted() == nil || started.GetOperationContext() != "again" {
		t.Fatalf("StartMediaStreaming: %v %v", started, err)
	}
	again := ws.accept(t, ctx)
	if m := again.next(t, ctx); m.Kind != "AudioMetadata" {
		t.Errorf("a new connection began with %s", m.raw)
	}

	up, err := s.Media.UpdateTranscription(ctx, &callgatev1.UpdateTranscriptionRequest{CallConnectionId: callID, Locale: "en-GB", Wait: tenSeconds})
	if u := up.GetResultEvent().GetTranscriptionUpdated().GetTranscriptionUpdate(); err != nil ||
		u.GetTranscriptionStatusDetails() != callgatev1.TranscriptionStatusDetails_TRANSCRIPTION_STATUS_DETAILS_TRANSCRIPTION_LOCALE_UPDATED {
		t.Errorf("UpdateTranscription: %v %v", up, err)
	}
	if _, err := s.Media.StopTranscription(ctx, &callgatev1.StopTranscriptionRequest{CallConnectionId: callID, Wait: tenSeconds}); err != nil {
		t.Fatalf("StopTranscription: %v", err)
	}
	tr.waitClosed(t, ctx)
	got, err = s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: callID})
	if ts := got.GetCall().GetTranscriptionSubscription(); err != nil || ts.GetState() != callgatev1.SubscriptionState_SUBSCRIPTION_STATE_INACTIVE || ts.GetLocale() != "en-GB" {
		t.Errorf("GetCall after stopping transcription: %v %v", got, err)
	}
}

// Unmixed: a frame per participant every 20 ms, each naming its participant.
func TestUnmixedMediaStreaming(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	ws := newWSReceiver(t)
	_, callee, _ := s.streamingCall(t, ws, true)
	media, _ := conns(t, ctx, ws)
	if m := media.next(t, ctx); m.Kind != "AudioMetadata" {
		t.Fatalf("first message %s", m.raw)
	}
	for range 5 {
		if f := media.next(t, ctx); f.Kind != "AudioData" || f.Audio.Participant != callee {
			t.Fatalf("unmixed frame %s, want one of %s", f.raw, callee)
		}
	}
}

// Streaming fails when set-up gave no transport URL, or the URL cannot be reached; it cannot
// start on a call set up without it.
func TestMediaStreamingFailures(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	res, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: tenSeconds,
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{AudioChannel: callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED},
		TranscriptionOptions:  &callgatev1.TranscriptionOptions{Locale: "en-US", TransportUrl: "ws://127.0.0.1:1/closed"}})
	if err != nil {
		t.Fatal(err)
	}
	callID := res.GetCall().GetCallConnectionId()
	_, err = s.Media.StartMediaStreaming(ctx, &callgatev1.StartMediaStreamingRequest{CallConnectionId: callID, Wait: tenSeconds})
	if ev := aborted(t, err, "MEDIA_STREAMING_FAILED", 400, 8582); ev.GetMediaStreamingFailed().GetMediaStreamingUpdate().GetMediaStreamingStatusDetails() !=
		callgatev1.MediaStreamingStatusDetails_MEDIA_STREAMING_STATUS_DETAILS_STREAM_URL_MISSING {
		t.Errorf("MediaStreamingFailed %v", ev)
	}
	_, err = s.Media.StartTranscription(ctx, &callgatev1.StartTranscriptionRequest{CallConnectionId: callID, Wait: tenSeconds})
	if ev := aborted(t, err, "TRANSCRIPTION_FAILED", 400, 8581); ev.GetTranscriptionFailed().GetTranscriptionUpdate().GetTranscriptionStatusDetails() !=
		callgatev1.TranscriptionStatusDetails_TRANSCRIPTION_STATUS_DETAILS_STREAM_CONNECTION_UNSUCCESSFUL {
		t.Errorf("TranscriptionFailed %v", ev)
	}
	plain, _ := s.mediaCall(t, false)
	if _, err := s.Media.StartTranscription(ctx, &callgatev1.StartTranscriptionRequest{CallConnectionId: plain}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("transcription on a call set up without it: %v", err)
	}
}

// Transcription without enableIntermediateResults sends final results only; a WAV given through
// the control API is streamed as the participant's voice.
func TestFinalResultsOnlyAndWAVVoice(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	ws := newWSReceiver(t)
	callee := s.acsUser()
	res, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}, Wait: tenSeconds,
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{TransportUrl: ws.url("/media"),
			AudioChannel: callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED,
			AudioFormat:  callgatev1.AudioFormat_AUDIO_FORMAT_PCM_16K_MONO, StartMediaStreaming: proto.Bool(true)},
		TranscriptionOptions: &callgatev1.TranscriptionOptions{TransportUrl: ws.url("/transcription"), Locale: "en-US", StartTranscription: proto.Bool(true)},
	})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	callID := res.GetCall().GetCallConnectionId()
	media, tr := conns(t, ctx, ws)

	s.say(t, callID, callee, "Hello agent")
	first, _ := tr.until(t, ctx, func(m streamMsg) bool { return m.Kind == "TranscriptionData" })
	if first.Transcript.Status != "Final" || first.Transcript.Text != "Hello agent" {
		t.Errorf("without intermediate results, the first result is %s", first.raw)
	}

	// Once the spoken words passed (half a second of silence after voice), the WAV's voice.
	heard, quiet := false, 0
	media.until(t, ctx, func(m streamMsg) bool {
		if m.Kind != "AudioData" {
			return false
		}
		if !m.Audio.Silent {
			heard, quiet = true, 0
			return false
		}
		quiet++
		return heard && quiet == 25
	})
	body := append(wavHeader(16000, 8000), tone(8000, 700, 16000)...)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, s.ControlURL+"/calls/"+callID+"/participants/"+escapeRawID(callee)+"/audio", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PUT audio: %d", resp.StatusCode)
	}
	voiced, _ := media.until(t, ctx, func(m streamMsg) bool { return m.Kind == "AudioData" && !m.Audio.Silent })
	if len(pcm(voiced)) != 320 {
		t.Errorf("a voiced frame of %d samples", len(pcm(voiced)))
	}
}

// wavHeader is the 44-byte header of a mono 16-bit PCM WAV of n samples at rate.
func wavHeader(rate, n int) []byte {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+2*n))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(2*n))
	return h
}
