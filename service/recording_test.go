package service_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// wavInfo is what a test reads of a WAV: its format and samples.
type wavInfo struct {
	channels, rate, bits int
	samples              []int16
}

func parseWAVFile(t *testing.T, b []byte) wavInfo {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a canonical WAV: % x", b[:min(len(b), 44)])
	}
	if f := binary.LittleEndian.Uint16(b[20:]); f != 1 {
		t.Fatalf("WAV format %d, want PCM", f)
	}
	w := wavInfo{channels: int(binary.LittleEndian.Uint16(b[22:])), rate: int(binary.LittleEndian.Uint32(b[24:])), bits: int(binary.LittleEndian.Uint16(b[34:]))}
	n := int(binary.LittleEndian.Uint32(b[40:]))
	if n != len(b)-44 || int(binary.LittleEndian.Uint32(b[4:])) != len(b)-8 {
		t.Fatalf("WAV sizes: data %d of %d bytes, RIFF %d", n, len(b)-44, binary.LittleEndian.Uint32(b[4:]))
	}
	for i := 44; i+1 < len(b); i += 2 {
		w.samples = append(w.samples, int16(binary.LittleEndian.Uint16(b[i:])))
	}
	return w
}

// voicedMs is how much of mono audio is not silent, in milliseconds.
func (w wavInfo) voicedMs() int {
	n := 0
	for _, s := range w.samples {
		if s > 200 || s < -200 {
			n++
		}
	}
	return n * 1000 / w.rate
}

// hasTone reports a 20 ms window of the audio whose energy is mostly at f Hz (Goertzel).
func (w wavInfo) hasTone(f float64) bool {
	n := w.rate / 50
	for start := 0; start+n <= len(w.samples); start += n {
		var s1, s2, total float64
		k := 2 * math.Cos(2*math.Pi*f/float64(w.rate))
		for _, x := range w.samples[start : start+n] {
			v := float64(x)
			s1, s2 = v+k*s1-s2, s1
			total += v * v
		}
		power := s1*s1 + s2*s2 - k*s1*s2
		if total > 0 && power/(total*float64(n)/2) > 0.5 {
			return true
		}
	}
	return false
}

// download reads a recording file whole over gRPC.
func (s *stack) download(t *testing.T, req *callgatev1.DownloadRecordingRequest) ([]byte, string) {
	t.Helper()
	stream, err := s.Recordings.DownloadRecording(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	contentType := ""
	for i := 0; ; i++ {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, contentType
		}
		if err != nil {
			t.Fatalf("DownloadRecording: %v", err)
		}
		if len(msg.GetData()) > 64<<10 {
			t.Fatalf("a message of %d bytes: over the 64 KiB bound", len(msg.GetData()))
		}
		if i == 0 {
			contentType = msg.GetContentType()
		} else if msg.GetContentType() != "" {
			t.Errorf("message %d repeats the content type", i)
		}
		out = append(out, msg.GetData()...)
	}
}

// A recording of a call with bidirectional streaming and transcription: started (its wait
// answers RecordingStateChanged active), paused and resumed (state events each; what is said
// while paused is not in the file), stopped (inactive); its files are announced by Event Grid,
// WatchRecordings and GetRecording show them, and DownloadRecording (gRPC, resumed by offset,
// and REST) returns a WAV as long as the recorded time that holds what was said and played.
func TestRecording(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	ws := newWSReceiver(t)
	callID, callee, _ := s.streamingCall(t, ws, false)
	media, tr := conns(t, ctx, ws)
	transcribed := func(text string) {
		t.Helper()
		if m, _ := tr.until(t, ctx, func(m streamMsg) bool { return m.Transcript.Status == "Final" }); m.Transcript.Text != text {
			t.Fatalf("transcribed %q, want %q", m.Transcript.Text, text)
		}
	}
	watch, err := s.Recordings.WatchRecordings(ctx, &callgatev1.WatchRecordingsRequest{})
	if err != nil {
		t.Fatal(err)
	}

	started, err := s.Recordings.StartRecording(ctx, &callgatev1.StartRecordingRequest{CallLocator: &callgatev1.StartRecordingRequest_CallConnectionId{CallConnectionId: callID},
		Content: callgatev1.RecordingContent_RECORDING_CONTENT_AUDIO, Channel: callgatev1.RecordingChannel_RECORDING_CHANNEL_MIXED,
		Format: callgatev1.RecordingFormat_RECORDING_FORMAT_WAV, Wait: tenSeconds})
	if err != nil {
		t.Fatalf("StartRecording: %v", err)
	}
	id := started.GetRecordingId()
	rsc := started.GetResultEvent().GetRecordingStateChanged()
	if !strings.Contains(id, "=") || rsc.GetRecordingId() != id || rsc.GetState() != callgatev1.RecordingState_RECORDING_STATE_ACTIVE || started.GetKind() != callgatev1.RecordingKind_RECORDING_KIND_AZURE_COMMUNICATION_SERVICES {
		t.Fatalf("StartRecording answered %v", started)
	}
	got, err := s.Recordings.GetRecording(ctx, &callgatev1.GetRecordingRequest{RecordingId: id})
	if err != nil || got.GetRecording().GetState() != callgatev1.RecordingState_RECORDING_STATE_ACTIVE || got.GetRecording().GetCallConnectionId() != callID {
		t.Fatalf("GetRecording while active: %v %v", got, err)
	}

	s.say(t, callID, callee, "alpha")
	transcribed("alpha")
	if _, err := s.Recordings.PauseRecording(ctx, &callgatev1.PauseRecordingRequest{RecordingId: id}); err != nil {
		t.Fatal(err)
	}
	s.say(t, callID, callee, "bravo")
	transcribed("bravo")
	if _, err := s.Recordings.ResumeRecording(ctx, &callgatev1.ResumeRecordingRequest{RecordingId: id}); err != nil {
		t.Fatal(err)
	}
	// Played by the application: 10 frames of a tone, then something said after it.
	played := tone(3200, 1000, 16000)
	for i := 0; i < len(played); i += 640 {
		media.send(t, ctx, outboundAudio(played[i:i+640]))
	}
	s.received(t, callID, len(played))
	s.say(t, callID, callee, "charlie")
	transcribed("charlie")
	if _, err := s.Recordings.StopRecording(ctx, &callgatev1.StopRecordingRequest{RecordingId: id}); err != nil {
		t.Fatal(err)
	}

	// The stream announces the states and then the files.
	var states []callgatev1.RecordingState
	var files *callgatev1.RecordingEvent
	for files == nil {
		msg, err := watch.Recv()
		if err != nil {
			t.Fatal(err)
		}
		ev := msg.GetEvent()
		switch {
		case ev == nil:
		case ev.GetRecordingId() != id:
			t.Errorf("an event of another recording: %v", ev)
		case ev.GetRecordingStateChanged() != nil:
			states = append(states, ev.GetRecordingStateChanged().GetState())
		case ev.GetRecordingFileStatusUpdated() != nil:
			files = ev
		}
	}
	const active, inactive = callgatev1.RecordingState_RECORDING_STATE_ACTIVE, callgatev1.RecordingState_RECORDING_STATE_INACTIVE
	if want := []callgatev1.RecordingState{active, inactive, active, inactive}; len(states) != 4 || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] || states[3] != want[3] {
		t.Errorf("states %v, want %v", states, want)
	}
	if strings.Contains(string(mustMarshal(t, files)), "Location") {
		t.Errorf("WatchRecordings answered a location: %v", files.GetData())
	}
	chunks := files.GetRecordingFileStatusUpdated().GetRecordingStorageInfo().GetRecordingChunks()
	if len(chunks) != 1 || files.GetSequence() == 0 {
		t.Fatalf("files %v", files)
	}
	doc := chunks[0].GetDocumentId()
	got, err = s.Recordings.GetRecording(ctx, &callgatev1.GetRecordingRequest{RecordingId: id})
	rec := got.GetRecording()
	if err != nil || rec.GetState() != inactive || len(rec.GetChunks()) != 1 || rec.GetChunks()[0].GetDocumentId() != doc || rec.GetDurationMs() != files.GetRecordingFileStatusUpdated().GetRecordingDurationMs() {
		t.Fatalf("GetRecording after stop: %v %v", got, err)
	}

	content, contentType := s.download(t, &callgatev1.DownloadRecordingRequest{RecordingId: id, DocumentId: doc})
	w := parseWAVFile(t, content)
	if contentType != "audio/wav" || w.channels != 1 || w.rate != 16000 || w.bits != 16 {
		t.Fatalf("content %s: %d channels at %d Hz, %d bits", contentType, w.channels, w.rate, w.bits)
	}
	if ms := int64(len(w.samples)) * 1000 / 16000; ms != rec.GetDurationMs() || ms == 0 {
		t.Errorf("the file lasts %d ms, the recording %d ms", ms, rec.GetDurationMs())
	}
	// alpha (300 ms) and charlie (420 ms), with the tone (200 ms, played while charlie began);
	// bravo (300 ms), said while paused, is not there.
	if v := w.voicedMs(); v < 650 || v > 950 {
		t.Errorf("%d ms of the file are not silent, want 700 to 920 (alpha, charlie, the tone: not bravo)", v)
	}
	if !w.hasTone(1000) {
		t.Error("the tone the application played is not in the file")
	}

	// Resumed from an offset, and over REST as the file itself.
	tail, _ := s.download(t, &callgatev1.DownloadRecordingRequest{RecordingId: id, DocumentId: doc, Offset: 1000})
	if !bytes.Equal(tail, content[1000:]) {
		t.Errorf("from offset 1000: %d bytes, want %d", len(tail), len(content)-1000)
	}
	resp, err := http.Get(s.RESTURL + "/v1/recordings/" + url.PathEscape(id) + "/chunks/" + doc + ":download")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" || !bytes.Equal(body, content) {
		t.Errorf("REST download: %d %s, %d bytes (equal %v)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), bytes.Equal(body, content))
	}
	metaJSON, metaType := s.download(t, &callgatev1.DownloadRecordingRequest{RecordingId: id, DocumentId: doc, File: callgatev1.RecordingFile_RECORDING_FILE_METADATA})
	var meta struct {
		ChunkDocumentID string `json:"chunkDocumentId"`
		ChunkDuration   int64  `json:"chunkDuration"`
		Pauses          []struct {
			Duration int64 `json:"duration"`
		} `json:"pauseResumeIntervals"`
		Participants []struct {
			ID string `json:"participantId"`
		} `json:"participants"`
	}
	if err := json.Unmarshal(metaJSON, &meta); err != nil || metaType != "application/json" || meta.ChunkDocumentID != doc || meta.ChunkDuration != rec.GetDurationMs() || len(meta.Pauses) != 1 {
		t.Errorf("metadata %s (%s): %v", metaJSON, metaType, err)
	}

	if _, err := s.Recordings.DeleteRecording(ctx, &callgatev1.DeleteRecordingRequest{RecordingId: id, DocumentId: doc}); err != nil {
		t.Fatalf("DeleteRecording: %v", err)
	}
	stream, err := s.Recordings.DownloadRecording(ctx, &callgatev1.DownloadRecordingRequest{RecordingId: id, DocumentId: doc})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Errorf("download after delete: %v", err)
	}
	// A chunk ACS never announced is not fetched.
	stream, err = s.Recordings.DownloadRecording(ctx, &callgatev1.DownloadRecordingRequest{RecordingId: id, DocumentId: "0-eus-d1-unknown"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Errorf("download of an unknown chunk: %v", err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Recording requests equal the SDK's choices, and the format rules ACS documents are checked
// before anything reaches ACS; a format the emulator cannot make downloads as a clear 400.
func TestRecordingOptions(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	call, _ := s.mediaCall(t, false)
	loc := &callgatev1.StartRecordingRequest_CallConnectionId{CallConnectionId: call}
	for _, c := range []struct {
		req   *callgatev1.StartRecordingRequest
		field string
	}{
		{&callgatev1.StartRecordingRequest{CallLocator: loc, Content: callgatev1.RecordingContent_RECORDING_CONTENT_AUDIO_VIDEO, Format: callgatev1.RecordingFormat_RECORDING_FORMAT_WAV}, "format"},
		{&callgatev1.StartRecordingRequest{CallLocator: loc, Channel: callgatev1.RecordingChannel_RECORDING_CHANNEL_UNMIXED, Format: callgatev1.RecordingFormat_RECORDING_FORMAT_MP3}, "format"},
		{&callgatev1.StartRecordingRequest{CallLocator: loc, ChannelAffinity: []*callgatev1.ChannelAffinity{{Channel: 1, Participant: rawOnly(s.acsUser())}}}, "channel_affinity"},
		{&callgatev1.StartRecordingRequest{CallLocator: &callgatev1.StartRecordingRequest_ServerCallId{ServerCallId: "c2VydmVy"}, Wait: tenSeconds}, "wait"},
		{&callgatev1.StartRecordingRequest{CallLocator: loc, ExternalStorage: &callgatev1.ExternalStorage{BlobContainerUrl: "http://insecure.example/c"}}, "external_storage.blob_container_url"},
		{&callgatev1.StartRecordingRequest{}, "call_locator"},
	} {
		if f := badRequestFields(t, func() error { _, err := s.Recordings.StartRecording(ctx, c.req); return err }()); len(f) != 1 || f[0] != c.field {
			t.Errorf("%v: violations %v, want %s", c.req, f, c.field)
		}
	}
	started, err := s.Recordings.StartRecording(ctx, &callgatev1.StartRecordingRequest{CallLocator: loc, Format: callgatev1.RecordingFormat_RECORDING_FORMAT_MP3, PauseOnStart: boolPtr(true), Wait: tenSeconds})
	if err != nil || started.GetResultEvent().GetRecordingStateChanged().GetState() != callgatev1.RecordingState_RECORDING_STATE_INACTIVE {
		t.Fatalf("paused on start: %v %v", started, err)
	}
	w, err := s.Recordings.WatchRecordings(ctx, &callgatev1.WatchRecordingsRequest{RecordingId: started.GetRecordingId()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recordings.StopRecording(ctx, &callgatev1.StopRecordingRequest{RecordingId: started.GetRecordingId()}); err != nil {
		t.Fatal(err)
	}
	var doc string
	for doc == "" {
		msg, err := w.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if f := msg.GetEvent().GetRecordingFileStatusUpdated(); f != nil {
			doc = f.GetRecordingStorageInfo().GetRecordingChunks()[0].GetDocumentId()
		}
	}
	stream, err := s.Recordings.DownloadRecording(ctx, &callgatev1.DownloadRecordingRequest{RecordingId: started.GetRecordingId(), DocumentId: doc})
	if err == nil {
		_, err = stream.Recv()
	}
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "cannot make mp3") {
		t.Errorf("an mp3 download: %v", err)
	}
	// ACS forgot the stopped recording; the gateway still answers it from its log.
	got, err := s.Recordings.GetRecording(ctx, &callgatev1.GetRecordingRequest{RecordingId: started.GetRecordingId()})
	if err != nil || got.GetRecording().GetState() != callgatev1.RecordingState_RECORDING_STATE_INACTIVE || len(got.GetRecording().GetChunks()) != 1 {
		t.Errorf("GetRecording of a stopped recording: %v %v", got, err)
	}
	if _, err := s.Recordings.GetRecording(ctx, &callgatev1.GetRecordingRequest{RecordingId: "eyJub25lIjoiMSJ9"}); status.Code(err) != codes.NotFound {
		t.Errorf("an unknown recording: %v", err)
	}
}

func boolPtr(b bool) *bool { return &b }

// The streaming and recording RPCs over REST, at the paths ACS names them by; a recording ID
// (base64, with '=' and possibly '/') path-escaped.
func TestStreamingAndRecordingREST(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	ws := newWSReceiver(t)
	code, out := s.rest(t, "POST", "/v1/calls", `{"targets":[{"rawId":"`+s.acsUser()+`"}],"wait":"10s",
		"transcriptionOptions":{"transportUrl":"`+ws.url("/t")+`","locale":"en-US"},
		"mediaStreamingOptions":{"transportUrl":"`+ws.url("/m")+`","audioChannel":"MEDIA_STREAMING_AUDIO_CHANNEL_MIXED"}}`)
	if code != http.StatusOK {
		t.Fatalf("create: %d %v", code, out)
	}
	call := str(out, "call", "callConnectionId")
	post := func(path, body string) map[string]any {
		t.Helper()
		code, out := s.rest(t, "POST", path, body)
		if code != http.StatusOK {
			t.Fatalf("POST %s: %d %v", path, code, out)
		}
		return out
	}
	if out := post("/v1/calls/"+call+":startTranscription", `{"locale":"en-US","wait":"10s"}`); field(out, "resultEvent", "transcriptionStarted") == nil {
		t.Errorf(":startTranscription answered %v", out)
	}
	ws.accept(t, ctx)
	if out := post("/v1/calls/"+call+":updateTranscription", `{"locale":"fr-FR","wait":"10s"}`); field(out, "resultEvent", "transcriptionUpdated") == nil {
		t.Errorf(":updateTranscription answered %v", out)
	}
	post("/v1/calls/"+call+":stopTranscription", `{"operationContext":"rest-stop"}`)
	if out := post("/v1/calls/"+call+":startMediaStreaming", `{"wait":"10s"}`); field(out, "resultEvent", "mediaStreamingStarted") == nil {
		t.Errorf(":startMediaStreaming answered %v", out)
	}
	ws.accept(t, ctx)
	if out := post("/v1/calls/"+call+":stopMediaStreaming", `{"wait":"10s"}`); field(out, "resultEvent", "mediaStreamingStopped") == nil {
		t.Errorf(":stopMediaStreaming answered %v", out)
	}

	out = post("/v1/recordings", `{"callConnectionId":"`+call+`","wait":"10s"}`)
	id := str(out, "recordingId")
	if id == "" || str(out, "resultEvent", "recordingStateChanged", "state") != "RECORDING_STATE_ACTIVE" {
		t.Fatalf("start recording answered %v", out)
	}
	escaped := strings.NewReplacer("=", "%3D", "/", "%2F", "+", "%2B").Replace(id)
	if !strings.Contains(escaped, "%3D") {
		t.Fatalf("%s is not escaped as the SDK escapes it", escaped)
	}
	code, out = s.rest(t, "GET", "/v1/recordings/"+escaped, "")
	if code != http.StatusOK || str(out, "recording", "recordingId") != id || str(out, "recording", "state") != "RECORDING_STATE_ACTIVE" {
		t.Errorf("GET recording: %d %v", code, out)
	}
	post("/v1/recordings/"+escaped+":pause", `{}`)
	post("/v1/recordings/"+escaped+":resume", `{}`)
	post("/v1/recordings/"+escaped+":stop", `{}`)

	// WatchRecordings over REST: newline-delimited results, until the files.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.RESTURL+"/v1/recordings:watch?recordingId="+url.QueryEscape(id), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("watch: %v", err)
		}
		if doc := str(line, "result", "event", "recordingFileStatusUpdated", "recordingStorageInfo", "recordingChunks", 0, "documentId"); doc != "" {
			code, out := s.rest(t, "POST", "/v1/recordings/"+escaped+"/chunks/"+doc+":delete", `{}`)
			if code != http.StatusOK {
				t.Errorf("delete: %d %v", code, out)
			}
			break
		}
	}
}
