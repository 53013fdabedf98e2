package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsReceiver is an application's WebSocket server, as ACS connects to it for media streaming
// and transcription: every connection is handed to the test with its upgrade headers, its
// messages in order, and a way to send.
type wsReceiver struct {
	srv   *httptest.Server
	conns chan *wsConn
}

type wsConn struct {
	path    string
	header  http.Header
	conn    *websocket.Conn
	msgs    chan streamMsg
	closed  chan struct{} // closed when the emulator closed (or broke) the socket
	readErr error
}

// streamMsg is one message the emulator sent, with its kind and payload decoded.
type streamMsg struct {
	raw   []byte
	Kind  string `json:"kind"`
	Audio struct {
		Timestamp   string `json:"timestamp"`
		Participant string `json:"participantRawID"`
		Data        string `json:"data"`
		Silent      bool   `json:"silent"`
	} `json:"audioData"`
	AudioMeta struct {
		SubscriptionID string `json:"subscriptionId"`
		Encoding       string `json:"encoding"`
		SampleRate     int    `json:"sampleRate"`
		Channels       int    `json:"channels"`
		Length         int    `json:"length"`
	} `json:"audioMetadata"`
	Dtmf struct {
		Data string `json:"data"`
	} `json:"dtmfData"`
	TranscriptionMeta struct {
		SubscriptionID   string `json:"subscriptionId"`
		Locale           string `json:"locale"`
		CallConnectionID string `json:"callConnectionId"`
		CorrelationID    string `json:"correlationId"`
	} `json:"transcriptionMetadata"`
	Transcript struct {
		Text        string  `json:"text"`
		Format      string  `json:"format"`
		Confidence  float64 `json:"confidence"`
		Offset      int64   `json:"offset"`
		Duration    int64   `json:"duration"`
		Participant string  `json:"participantRawID"`
		Status      string  `json:"resultStatus"`
		Words       []struct {
			Text     string `json:"text"`
			Offset   int64  `json:"offset"`
			Duration int64  `json:"duration"`
		} `json:"words"`
	} `json:"transcriptionData"`
}

// msgBuffer is generous: a connection's test reads as it goes, and the emulator sends 50
// frames a second; a full buffer fails the test rather than hide frames.
const msgBuffer = 4096

func newWSReceiver(t *testing.T) *wsReceiver {
	t.Helper()
	r := &wsReceiver{conns: make(chan *wsConn, 16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		conn, err := websocket.Accept(w, req, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		c := &wsConn{path: req.URL.Path, header: req.Header.Clone(), conn: conn, msgs: make(chan streamMsg, msgBuffer), closed: make(chan struct{})}
		r.conns <- c
		// The handler returns once the socket is done: the server's Close waits for it.
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				c.readErr = err
				close(c.closed)
				return
			}
			var m streamMsg
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("a message that is not JSON: %q", data)
			}
			m.raw = data
			select {
			case c.msgs <- m:
			default:
				t.Errorf("the test did not read the stream's messages")
			}
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// url is the ws:// transport URL of path.
func (r *wsReceiver) url(path string) string {
	return "ws" + strings.TrimPrefix(r.srv.URL, "http") + path
}

// accept waits for the emulator's next connection.
func (r *wsReceiver) accept(t *testing.T, ctx context.Context) *wsConn {
	t.Helper()
	select {
	case c := <-r.conns:
		return c
	case <-ctx.Done():
		t.Fatal("the emulator did not connect")
		return nil
	}
}

// next waits for the connection's next message.
func (c *wsConn) next(t *testing.T, ctx context.Context) streamMsg {
	t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-c.closed:
		t.Fatalf("the socket closed (%v) while a message was awaited", c.readErr)
	case <-ctx.Done():
		t.Fatal("no message came")
	}
	return streamMsg{}
}

// until reads messages until one satisfies match, counting the audio frames on the way.
func (c *wsConn) until(t *testing.T, ctx context.Context, match func(streamMsg) bool) (streamMsg, int) {
	t.Helper()
	frames := 0
	for {
		m := c.next(t, ctx)
		if m.Kind == "AudioData" {
			frames++
		}
		if match(m) {
			return m, frames
		}
	}
}

func (c *wsConn) send(t *testing.T, ctx context.Context, msg any) {
	t.Helper()
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// waitClosed waits for the emulator to close the socket.
func (c *wsConn) waitClosed(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		select {
		case <-c.closed:
			return
		case <-c.msgs:
		case <-ctx.Done():
			t.Fatal("the emulator did not close the socket")
		}
	}
}

func pcm(m streamMsg) []int16 {
	b, _ := base64.StdEncoding.DecodeString(m.Audio.Data)
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return out
}

// tone is n samples of a sine at f Hz, at rate.
func tone(n int, f float64, rate int) []byte {
	b := make([]byte, 2*n)
	for i := range n {
		v := int16(0.3 * math.MaxInt16 * math.Sin(2*math.Pi*f*float64(i)/float64(rate)))
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return b
}

// outboundAudio is what the JS SDK's createOutboundAudioData builds.
func outboundAudio(pcm []byte) map[string]any {
	return map[string]any{"kind": "audioData", "audioData": map[string]any{"data": base64.StdEncoding.EncodeToString(pcm), "isSilent": false}, "stopAudio": map[string]any{}}
}

var _ = time.Second
