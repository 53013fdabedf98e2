package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Close ends the call's streams and its clock while a stream runs and a recording records, and
// waits for every goroutine of theirs.
func TestCloseEndsStreamsAndRecordings(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		frames := make(chan struct{}, 1024)
		ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
				select {
				case frames <- struct{}{}:
				default:
				}
			}
		}))
		defer ws.Close()
		env := newEnv(t, nil)
		call := env.connectedCall(user("streamed"), map[string]any{"mediaStreamingOptions": map[string]any{
			"transportType": "websocket", "audioChannelType": "unmixed", "transportUrl": "ws" + strings.TrimPrefix(ws.URL, "http"), "startMediaStreaming": true,
		}})
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/recordings", map[string]any{"callConnectionId": call.CallConnectionID}, nil)
		for range 5 { // the metadata, then frames: the clock runs
			select {
			case <-frames:
			case <-time.After(waitTimeout):
				t.Fatal("no frames came")
			}
		}
		if err := env.srv.Close(); err != nil {
			t.Fatal(err)
		}
		env.recv.close()
		env.client.CloseIdleConnections()
	}()
	waitGoroutines(t, before)
}

// Synthesised speech: a tone per word where the words say they are, silence between, audible.
func TestSynthesize(t *testing.T) {
	u := synthesize("hello  big world")
	if len(u.words) != 3 || u.words[1].text != "big" {
		t.Fatalf("words %+v", u.words)
	}
	for i, w := range u.words {
		if w.duration != samplesOf(minWord) && w.text != "hello" && w.text != "world" {
			t.Errorf("word %d lasts %d samples", i, w.duration)
		}
		mid := u.samples[w.start+w.duration/2-100 : w.start+w.duration/2+100]
		if isSilent(mid) {
			t.Errorf("word %q is silent", w.text)
		}
		if i > 0 {
			gap := u.samples[u.words[i-1].start+u.words[i-1].duration : w.start]
			if len(gap) != samplesOf(wordGap) || !isSilent(gap) {
				t.Errorf("the gap before %q: %d samples, silent %v", w.text, len(gap), isSilent(gap))
			}
		}
	}
	peak := 0
	for _, s := range u.samples {
		peak = max(peak, int(s), -int(s))
	}
	if peak < 5000 {
		t.Errorf("peak %d: not audible", peak)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	tone := keyTones([]string{"five"})
	at16 := decimate(tone[:len(tone)/frameSamples*frameSamples], 16000)
	back, err := parseWAV(wavFile(at16, 1, 16000))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(at16)*3 {
		t.Errorf("%d samples at 48 kHz from %d at 16 kHz", len(back), len(at16))
	}
	stereo := make([]int16, 0, 2*len(at16))
	for _, s := range at16 {
		stereo = append(stereo, s, s)
	}
	if mono, err := parseWAV(wavFile(stereo, 2, 16000)); err != nil || len(mono) != len(back) {
		t.Errorf("stereo: %d samples, %v", len(mono), err)
	}
	for _, bad := range [][]byte{nil, []byte("RIFF0000WAVE"), wavFile(at16, 3, 16000), wavFile(at16, 1, 4000)} {
		if _, err := parseWAV(bad); err == nil {
			t.Errorf("accepted %q", bad[:min(len(bad), 16)])
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		h        string
		from, to int
		ok       bool
	}{
		{"bytes=0-", 0, 99, true}, {"bytes=10-19", 10, 19, true}, {"bytes=90-200", 90, 99, true},
		{"bytes=100-", 0, 0, false}, {"bytes=5-4", 0, 0, false}, {"bytes=0-1,4-5", 0, 0, false}, {"items=0-1", 0, 0, false}, {"bytes=-5", 0, 0, false},
	} {
		from, to, err := parseRange(c.h, 100)
		if (err == nil) != c.ok || (c.ok && (from != c.from || to != c.to)) {
			t.Errorf("%s: %d-%d %v", c.h, from, to, err)
		}
	}
}
