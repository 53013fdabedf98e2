// Command voiceagent is the skeleton of an AI voice agent on callgate: it answers the calls to a
// number with bidirectional media streaming and live transcription to its own WebSocket server,
// receives the call's audio frames, sends audio back into the call (a short tone where a model's
// speech would go), and prints what the caller says as it is transcribed. It uses callgate's Go
// client and the generated stubs alone.
//
// Against `callgate dev` (the emulated resource owns +18005550100):
//
//	go run ./examples/voiceagent -target 127.0.0.1:9090 -insecure
//
// then ring it, and say something as the caller:
//
//	curl -X POST 127.0.0.1:8090/emulator/v1/incomingCalls -d '{"from":"4:+14255550100","to":"4:+18005550100"}'
//	curl -X POST 127.0.0.1:8090/emulator/v1/calls/<call>/participants/4%3A%2B14255550100/say -d '{"text":"I need help with my bill"}'
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "voiceagent:", err)
		os.Exit(1)
	}
}

type config struct {
	target   string
	insecure bool
	number   string
	listen   string // the WebSocket server's address
	calls    int    // stop after this many calls ended; 0: run until interrupted
}

// agent is the program's state: its output and the calls it answered.
type agent struct {
	cfg  config
	c    *client.Client
	out  io.Writer
	outM sync.Mutex
}

func (a *agent) say(format string, args ...any) {
	a.outM.Lock()
	defer a.outM.Unlock()
	fmt.Fprintf(a.out, format+"\n", args...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("voiceagent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.target, "target", "127.0.0.1:9090", "the gateway's gRPC target")
	fs.BoolVar(&cfg.insecure, "insecure", false, "plaintext, for callgate dev; otherwise TLS, and $CALLGATE_API_KEY if set")
	fs.StringVar(&cfg.number, "number", "+18005550100", "the number callers dial")
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:0", "address of the WebSocket server ACS streams to (wss behind a TLS proxy in production)")
	fs.IntVar(&cfg.calls, "calls", 0, "stop after this many calls ended (0: run until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts []client.Option
	if cfg.insecure {
		opts = append(opts, client.WithInsecure())
	} else if key := os.Getenv("CALLGATE_API_KEY"); key != "" {
		opts = append(opts, client.WithAPIKey(key))
	}
	c, err := client.New(ctx, cfg.target, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	a := &agent{cfg: cfg, c: c, out: stdout}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(a.serveStream), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	defer func() {
		_ = srv.Shutdown(context.Background())
		wg.Wait()
	}()
	base := "ws://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ended := make(chan struct{}, 16)
	var calls sync.WaitGroup
	defer calls.Wait()
	go func() {
		for n := 0; cfg.calls == 0 || n < cfg.calls; n++ {
			select {
			case <-ended:
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	// A heartbeat proves the stream is open (a call ringing before it opened is not seen), so
	// "ready" waits for the first.
	var ready sync.Once
	for in, err := range c.WatchIncoming(ctx, client.To(client.Phone(cfg.number)), client.OnHeartbeat(func(*callgatev1.Heartbeat) {
		ready.Do(func() { a.say("ready: streams to %s", base) })
	})) {
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		calls.Go(func() {
			a.handle(ctx, in, base)
			ended <- struct{}{}
		})
	}
	return nil
}

// handle answers a call with its media and transcription streamed to this program, and follows
// it until it ends.
func (a *agent) handle(ctx context.Context, in *callgatev1.IncomingCall, base string) {
	answered, err := a.c.Answer(ctx, &callgatev1.AnswerCallRequest{
		IncomingCallContext: in.GetIncomingCallContext(),
		MediaStreamingOptions: &callgatev1.MediaStreamingOptions{TransportUrl: base + "/media",
			AudioChannel: callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED, AudioFormat: callgatev1.AudioFormat_AUDIO_FORMAT_PCM_16K_MONO,
			StartMediaStreaming: proto.Bool(true), EnableBidirectional: proto.Bool(true)},
		TranscriptionOptions: &callgatev1.TranscriptionOptions{TransportUrl: base + "/transcription", Locale: "en-US", StartTranscription: proto.Bool(true)},
	}, client.Wait(30*time.Second))
	if err != nil {
		a.say("call from %s: not answered: %v", in.GetFrom().GetRawId(), err)
		return
	}
	callID := answered.GetCall().GetCallConnectionId()
	a.say("call %s from %s: answered", callID, in.GetFrom().GetRawId())
	for ev, err := range a.c.Watch(ctx, callID, client.EventTypes(client.EventType(&callgatev1.CallDisconnected{}))) {
		if err != nil {
			return
		}
		ri := ev.GetResultInformation()
		a.say("call %s: ended (%d/%d)", callID, ri.GetCode(), ri.GetSubCode())
		return
	}
}

// streamMessage is what ACS sends on the WebSockets: audio metadata and frames, transcription.
type streamMessage struct {
	Kind          string `json:"kind"`
	AudioMetadata struct {
		SampleRate int `json:"sampleRate"`
	} `json:"audioMetadata"`
	AudioData struct {
		Data   string `json:"data"`
		Silent bool   `json:"silent"`
	} `json:"audioData"`
	TranscriptionData struct {
		Text         string `json:"text"`
		ResultStatus string `json:"resultStatus"`
	} `json:"transcriptionData"`
}

// serveStream takes one of ACS's WebSockets: the call is named by x-ms-call-connection-id. (A
// production agent also checks the bearer token ACS sends, as callgate checks its callbacks.)
func (a *agent) serveStream(w http.ResponseWriter, r *http.Request) {
	callID := r.Header.Get("x-ms-call-connection-id")
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := r.Context()
	frames, voiced, replied := 0, 0, false
	defer func() {
		if r.URL.Path == "/media" {
			a.say("call %s: media stream closed after %d frames (%d with voice)", callID, frames, voiced)
		}
	}()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var m streamMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		switch m.Kind {
		case "AudioMetadata":
			a.say("call %s: audio at %d Hz", callID, m.AudioMetadata.SampleRate)
		case "AudioData":
			frames++
			if !m.AudioData.Silent {
				voiced++
			}
			// A model would listen here and speak; the skeleton answers the caller's first
			// words with a short tone, in 20 ms frames as ACS takes them.
			if voiced == 1 && !replied {
				replied = true
				if err := reply(ctx, conn); err != nil {
					return
				}
				a.say("call %s: sent %d ms of audio back", callID, replyMs)
			}
		case "TranscriptionData":
			if m.TranscriptionData.ResultStatus == "Final" {
				a.say("call %s: caller said: %s", callID, m.TranscriptionData.Text)
			}
		}
	}
}

const replyMs = 200

// reply sends replyMs of a 440 Hz tone at 16 kHz, as the JS SDK's createOutboundAudioData builds
// its messages.
func reply(ctx context.Context, conn *websocket.Conn) error {
	const rate, frame = 16000, 320
	for f := 0; f < replyMs/20; f++ {
		pcm := make([]byte, 2*frame)
		for i := range frame {
			n := f*frame + i
			binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(8000*math.Sin(2*math.Pi*440*float64(n)/rate))))
		}
		msg, _ := json.Marshal(map[string]any{"kind": "audioData", "audioData": map[string]any{"data": base64.StdEncoding.EncodeToString(pcm), "isSilent": false}, "stopAudio": map[string]any{}})
		if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
			return errors.Join(errors.New("sending audio"), err)
		}
	}
	return nil
}
