package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// A wsStream is one WebSocket the emulator opens to an application's transport URL, as ACS
// does for media streaming and for live transcription (streaming/ in the spec folder has the
// messages). It dials with the headers ACS sends (x-ms-call-connection-id,
// x-ms-call-correlation-id, and a bearer JWT signed like the callbacks), sends the metadata
// message first, then what the call's media hub gives it, and, bidirectional, plays what the
// application sends back into the call. Each stream has two goroutines, the writer (which
// dials) and the reader, owned by the emulator's background group: Close ends and waits for them.

// Stream kinds.
const (
	streamMedia         = "media"
	streamTranscription = "transcription"
)

const (
	streamDialTimeout  = 10 * time.Second
	streamWriteTimeout = 5 * time.Second
	// streamBuffer is how many messages wait for the writer: 5 s of frames of one participant.
	// A full buffer drops frames (counted, logged at the stream's end) rather than stall the
	// call's clock, as a real-time stream to a slow receiver loses audio.
	streamBuffer = 250
	// streamReadLimit bounds one message from the application: a frame of 24 kHz audio is
	// 1.3 KB of base64, a second of it 64 KB.
	streamReadLimit = 1 << 20
	// maxReceivedBytes bounds the audio kept of what an application sent (the control API's
	// read-back): ten minutes at 24 kHz.
	maxReceivedBytes = 10 * 60 * 24000 * 2
)

type wsStream struct {
	e              *Emulator
	c              *callConn
	kind           string
	url            string
	subscriptionID string
	// Media streaming: the rate of its audio (16 or 24 kHz), unmixed, bidirectional, DTMF.
	rate          int
	unmixed       bool
	bidirectional bool
	dtmf          bool
	// Transcription.
	locale, model string
	intermediate  bool

	// The start's operation context and callback, for its Started or Failed event.
	operationContext, callback string

	hub      *mediaHub
	hubStart int64 // the hub's frame when the stream began taking audio (under hub.mu)

	out       chan []byte
	closing   chan struct{}
	closeOnce sync.Once
	dropped   atomic.Int64
}

// close ends the stream: the writer sends a normal close and both goroutines end.
func (s *wsStream) close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

func (s *wsStream) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// send queues a message without blocking the caller (the clock).
func (s *wsStream) send(msg []byte) {
	select {
	case s.out <- msg:
	default:
		s.dropped.Add(1)
	}
}

// run dials, sends the metadata, tells the emulator the stream started, and writes until the
// stream closes. It runs on the emulator's background group.
func (s *wsStream) run(ctx context.Context) {
	h := http.Header{}
	h.Set("x-ms-call-connection-id", s.c.id)
	h.Set("x-ms-call-correlation-id", s.c.conv.correlationID)
	if token, err := s.e.signer.sign(s.e.Issuer(), s.e.Audience(), time.Now()); err == nil {
		h.Set("Authorization", "Bearer "+token)
	}
	dctx, cancel := context.WithTimeout(ctx, streamDialTimeout)
	conn, _, err := websocket.Dial(dctx, s.url, &websocket.DialOptions{HTTPHeader: h, HTTPClient: s.e.deliver.client})
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.e.log.Info("stream could not connect", append(s.c.logFields(), zap.String("stream", s.kind), zap.String("transport_url", redactURL(s.url)), zap.Error(stripURL(err)))...)
			s.e.streamEnded(s, false)
		}
		return
	}
	conn.SetReadLimit(streamReadLimit)
	defer func() {
		if n := s.dropped.Load(); n > 0 {
			s.e.log.Warn("stream dropped messages its receiver did not take in time", append(s.c.logFields(), zap.String("stream", s.kind), zap.Int64("dropped", n))...)
		}
	}()
	if err := s.write(ctx, conn, s.metadata()); err != nil {
		conn.CloseNow()
		s.e.streamEnded(s, false)
		return
	}
	if !s.e.streamStarted(s) {
		_ = conn.Close(websocket.StatusNormalClosure, "stopped")
		return
	}
	s.e.inBackground(func(ctx context.Context) { s.read(ctx, conn) })
	for {
		select {
		case msg := <-s.out:
			if err := s.write(ctx, conn, msg); err != nil {
				conn.CloseNow()
				if !s.isClosing() && ctx.Err() == nil {
					s.e.streamEnded(s, true)
				}
				return
			}
		case <-s.closing:
			_ = conn.Close(websocket.StatusNormalClosure, "stopped")
			return
		case <-ctx.Done():
			_ = conn.Close(websocket.StatusGoingAway, "the emulator is closing")
			return
		}
	}
}

func (s *wsStream) write(ctx context.Context, conn *websocket.Conn, msg []byte) error {
	wctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, msg)
}

// read takes what the application sends: on a bidirectional media stream, audio to play into
// the call and stopAudio; anything else is read and dropped, as ACS ignores it.
func (s *wsStream) read(ctx context.Context, conn *websocket.Conn) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if !s.isClosing() && ctx.Err() == nil {
				// The application closed or broke the socket.
				s.e.streamEnded(s, true)
			}
			return
		}
		if s.kind == streamMedia && s.bidirectional {
			s.inbound(data)
		}
	}
}

// inbound reads one outbound message of the application. Keys are read case-insensitively:
// the JS SDK writes {"kind":"audioData","audioData":{"data":...,"isSilent":false},"stopAudio":{}},
// the .NET SDK {"Kind":"AudioData","AudioData":{"Data":...},"StopAudio":null}.
func (s *wsStream) inbound(data []byte) {
	msg := foldKeys(data)
	var kind string
	_ = json.Unmarshal(msg["kind"], &kind)
	switch strings.ToLower(kind) {
	case "audiodata":
		audio := foldKeys(msg["audiodata"])
		var b64 string
		if err := json.Unmarshal(audio["data"], &b64); err != nil {
			return
		}
		pcm, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(pcm) == 0 {
			return
		}
		s.c.received.add(pcm, s.rate)
		if s.hub != nil {
			s.hub.play(s, resample(pcmSamples(pcm), s.rate, mediaRate))
		}
	case "stopaudio":
		if s.hub != nil {
			s.hub.clearPlayed(s)
		}
	}
}

func foldKeys(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// The messages, as ACS writes them (field order included).

type audioMetadata struct {
	SubscriptionID string `json:"subscriptionId"`
	Encoding       string `json:"encoding"`
	SampleRate     int    `json:"sampleRate"`
	Channels       int    `json:"channels"`
	Length         int    `json:"length"`
}

type audioData struct {
	Timestamp        string `json:"timestamp"`
	ParticipantRawID string `json:"participantRawID,omitempty"`
	Data             string `json:"data"`
	Silent           bool   `json:"silent"`
}

type transcriptionMetadata struct {
	SubscriptionID                   string `json:"subscriptionId"`
	Locale                           string `json:"locale"`
	CallConnectionID                 string `json:"callConnectionId"`
	CorrelationID                    string `json:"correlationId"`
	SpeechRecognitionModelEndpointID string `json:"speechRecognitionModelEndpointId,omitempty"`
}

type transcriptionWord struct {
	Text     string `json:"text"`
	Offset   int64  `json:"offset"`
	Duration int64  `json:"duration"`
}

type transcriptionData struct {
	Text             string              `json:"text"`
	Format           string              `json:"format"`
	Confidence       float64             `json:"confidence"`
	Offset           int64               `json:"offset"`
	Duration         int64               `json:"duration"`
	Words            []transcriptionWord `json:"words"`
	ParticipantRawID string              `json:"participantRawID"`
	ResultStatus     string              `json:"resultStatus"`
}

// streamMessage encodes {"kind": kind, "<kind in camelCase>": payload}.
func streamMessage(kind string, payload any) []byte {
	body, _ := json.Marshal(payload)
	member := strings.ToLower(kind[:1]) + kind[1:]
	kindJSON, _ := json.Marshal(kind)
	memberJSON, _ := json.Marshal(member)
	out := make([]byte, 0, len(body)+len(kind)+len(member)+20)
	out = append(out, `{"kind":`...)
	out = append(out, kindJSON...)
	out = append(out, ',')
	out = append(out, memberJSON...)
	out = append(out, ':')
	out = append(out, body...)
	return append(out, '}')
}

func (s *wsStream) metadata() []byte {
	if s.kind == streamTranscription {
		return streamMessage("TranscriptionMetadata", transcriptionMetadata{SubscriptionID: s.subscriptionID, Locale: s.locale, CallConnectionID: s.c.id,
			CorrelationID: s.c.conv.correlationID, SpeechRecognitionModelEndpointID: s.model})
	}
	return streamMessage("AudioMetadata", audioMetadata{SubscriptionID: s.subscriptionID, Encoding: "PCM", SampleRate: s.rate, Channels: 1, Length: s.rate / 50 * 2})
}

func dtmfMessage(key string) []byte {
	return streamMessage("DtmfData", struct {
		Data string `json:"data"`
	}{key})
}

func streamTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// audioFrame sends one frame (under the hub's lock): mixed, one message without a participant;
// unmixed, one message per remote participant.
func (s *wsStream) audioFrame(now time.Time, roster []string, frames map[string][]int16, mixed []int16) {
	ts := streamTimestamp(now)
	if !s.unmixed {
		pcm := decimate(mixed, s.rate)
		s.send(streamMessage("AudioData", audioData{Timestamp: ts, Data: base64.StdEncoding.EncodeToString(pcmBytes(pcm)), Silent: isSilent(pcm)}))
		return
	}
	for _, id := range roster {
		pcm := decimate(frames[id], s.rate)
		s.send(streamMessage("AudioData", audioData{Timestamp: ts, ParticipantRawID: id, Data: base64.StdEncoding.EncodeToString(pcmBytes(pcm)), Silent: isSilent(pcm)}))
	}
}

// ticks converts samples at mediaRate to 100 ns ticks.
func ticks(samples int64) int64 { return samples * 10_000_000 / mediaRate }

// transcript sends one transcription result (under the hub's lock); offsets count from the
// stream's start.
func (s *wsStream) transcript(r pendingResult) {
	if !r.final && !s.intermediate {
		return
	}
	origin := s.hubStart * frameSamples
	rel := func(sample int64) int64 { return ticks(max(sample-origin, 0)) }
	d := transcriptionData{Text: r.text, Format: "display", Confidence: 0.6, Offset: rel(r.start), Duration: ticks(r.length),
		Words: []transcriptionWord{}, ParticipantRawID: r.from, ResultStatus: "Intermediate"}
	if r.final {
		d.Confidence, d.ResultStatus = 0.95, "Final"
	}
	for _, w := range r.words {
		d.Words = append(d.Words, transcriptionWord{Text: w.text, Offset: rel(w.start), Duration: ticks(w.duration)})
	}
	s.send(streamMessage("TranscriptionData", d))
}

// receivedAudio is what the applications of a call connection sent on bidirectional streams,
// for the control API to read back.
type receivedAudio struct {
	mu      sync.Mutex
	rate    int
	data    []byte
	changed chan struct{} // closed and replaced on every add
}

func newReceivedAudio() *receivedAudio { return &receivedAudio{changed: make(chan struct{})} }

func (r *receivedAudio) add(pcm []byte, rate int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rate != 0 && r.rate != rate {
		// A later stream of another rate: its audio goes in at the first one's rate.
		pcm = pcmBytes(resample(pcmSamples(pcm), rate, r.rate))
	}
	if r.rate == 0 {
		r.rate = rate
	}
	if len(r.data)+len(pcm) <= maxReceivedBytes {
		r.data = append(r.data, pcm...)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// wait returns what was received once it is at least minBytes long, or when ctx ends.
func (r *receivedAudio) wait(ctx context.Context, minBytes int) ([]byte, int) {
	for {
		r.mu.Lock()
		data, rate, changed := r.data, r.rate, r.changed
		r.mu.Unlock()
		if len(data) >= minBytes {
			return append([]byte(nil), data...), rate
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return append([]byte(nil), data...), rate
		}
	}
}
