package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/callgate/callgate/gcdefaults"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The floor of the event path: what the same benchmarks cost with none of callgate's code, so
// that a run says how much of a replica's CPU and of a delivery's latency is the parts any
// gateway of this design pays. The floor replica is the same child process with the same wires:
// an HTTP POST is published to a JetStream file stream (R1, with the event's ID for
// deduplication) and answered once the server acknowledged it; one ordered consumer hands each
// stored message to the WatchCall streams of its call (a goroutine per stream, a bounded
// channel, grpc-go's SendMsg of one encoding shared by the call's watchers). The stream is
// served under callgate's own method name, so the benchmarks' watchers are the same code.
// Left out: authentication of the callback, its parse and validation, the event's translation,
// replay, heartbeats, metrics and logs.
//
//	go test -run '^$' -bench 'BenchmarkCallbacksFloor' -benchtime=20000x ./service/

// benchFloorEnv, with benchReplicaEnv, makes the child process a floor replica.
const benchFloorEnv = "CALLGATE_BENCH_FLOOR"

// BenchmarkCallbacksFloor runs BenchmarkCallbacksToWatchers and BenchmarkCallbacksIngest, with
// their load and watchers, against a floor replica.
func BenchmarkCallbacksFloor(b *testing.B) {
	b.Run("to-watchers", func(b *testing.B) {
		callbacksToWatchers(b, []*benchReplica{startFloorReplica(b)}, 100, 10, 2000)
	})
	b.Run("ingest", func(b *testing.B) {
		callbacksIngest(b, []*benchReplica{startFloorReplica(b)})
	})
}

func startFloorReplica(b *testing.B) *benchReplica {
	b.Setenv(benchFloorEnv, "1")
	return startBenchReplica(b, 0)
}

func serveFloorReplica(dir string) int {
	if stop := profileReplica(); stop != nil {
		defer stop()
	}
	gcdefaults.Apply(os.LookupEnv)
	ns, err := server.NewServer(&server.Options{DontListen: true, JetStream: true, StoreDir: dir, NoSigs: true})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		fmt.Println("error: NATS not ready")
		return 1
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FLOOR", Subjects: []string{"floor.>"},
		Storage: jetstream.FileStorage, MaxBytes: 1 << 30, Duplicates: 2 * time.Minute})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	f := &floorFanout{byCall: make(map[string][]chan []byte)}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"floor.>"}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	cc, err := cons.Consume(f.dispatch, jetstream.PullMaxMessages(1000))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer cc.Stop()

	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(floorCodec{encoding.GetCodecV2(grpcproto.Name)}))
	gs.RegisterService(&grpc.ServiceDesc{
		ServiceName: "callgate.v1.CallService",
		HandlerType: (*any)(nil),
		Streams:     []grpc.StreamDesc{{StreamName: "WatchCall", ServerStreams: true, Handler: f.watch}},
	}, struct{}{})
	go func() { _ = gs.Serve(grpcLn) }()
	defer gs.Stop()

	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		callID, id := jsonString(body, "callConnectionId"), jsonString(body, "id")
		if err != nil || callID == "" {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if _, err := js.Publish(r.Context(), "floor."+callID, body, jetstream.WithMsgID(id)); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = hs.Serve(httpLn) }()
	defer hs.Close()

	fmt.Printf("grpc %s callbacks %s\n", grpcLn.Addr(), "http://"+httpLn.Addr().String()+"/")
	answerControl()
	return 0
}

// floorFanout is the floor's live fan-out: each call's watchers, a channel each.
type floorFanout struct {
	mu     sync.RWMutex
	byCall map[string][]chan []byte
}

// dispatch encodes a stored message once, as a WatchCallResponse carrying its sequence, the
// event's time and its bytes, and offers it to the call's watchers without waiting.
func (f *floorFanout) dispatch(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		return
	}
	data := msg.Data()
	callID := strings.TrimPrefix(msg.Subject(), "floor.")
	due, _ := time.Parse(time.RFC3339Nano, jsonString(data, "time"))
	ts := protowire.AppendTag(nil, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(due.Unix()))
	ts = protowire.AppendTag(ts, 2, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(due.Nanosecond()))
	event := protowire.AppendTag(nil, 1, protowire.VarintType)
	event = protowire.AppendVarint(event, meta.Sequence.Stream)
	event = protowire.AppendBytes(protowire.AppendTag(event, 2, protowire.BytesType), data)
	event = protowire.AppendBytes(protowire.AppendTag(event, 4, protowire.BytesType), ts)
	resp := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), event)
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, ch := range f.byCall[callID] {
		select {
		case ch <- resp:
		default: // a slow watcher loses the event; callgate would cut it off
		}
	}
}

// watch serves one WatchCall stream: a first (empty) message once it is registered, then the
// call's events.
func (f *floorFanout) watch(_ any, ss grpc.ServerStream) error {
	var req callgatev1.WatchCallRequest
	if err := ss.RecvMsg(&req); err != nil {
		return err
	}
	ch := make(chan []byte, 64)
	callID := req.GetCallConnectionId()
	f.mu.Lock()
	f.byCall[callID] = append(f.byCall[callID], ch)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		chans := f.byCall[callID]
		for i, c := range chans {
			if c == ch {
				f.byCall[callID] = append(chans[:i:i], chans[i+1:]...)
				break
			}
		}
	}()
	if err := ss.SendMsg(floorBytes(nil)); err != nil {
		return err
	}
	for {
		select {
		case b := <-ch:
			if err := ss.SendMsg(floorBytes(b)); err != nil {
				return err
			}
		case <-ss.Context().Done():
			return nil
		}
	}
}

// floorBytes is a message already encoded: the floor's codec sends it as it is.
type floorBytes []byte

type floorCodec struct{ encoding.CodecV2 }

func (c floorCodec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := v.(floorBytes); ok {
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return c.CodecV2.Marshal(v)
}

// jsonString finds the first string value of key in a JSON document, with no decoding: the
// floor reads nothing else of an event.
func jsonString(doc []byte, key string) string {
	marker := []byte(`"` + key + `":"`)
	i := bytes.Index(doc, marker)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
