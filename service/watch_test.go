package service_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

type watchStream = grpc.ServerStreamingClient[callgatev1.WatchCallResponse]

// nextEvent reads the stream's next event, skipping heartbeats.
func nextEvent(t testing.TB, s watchStream) *callgatev1.CallEvent {
	t.Helper()
	for {
		m, err := s.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if ev := m.GetEvent(); ev != nil {
			return ev
		}
	}
}

func watch(t testing.TB, ctx context.Context, r *replica, req *callgatev1.WatchCallRequest) watchStream {
	t.Helper()
	s, err := r.Calls.WatchCall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// resumeAfter reads the resume point a stream's final status carries.
func resumeAfter(t testing.TB, err error) uint64 {
	t.Helper()
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			n, perr := strconv.ParseUint(info.GetMetadata()["resume_after_sequence"], 10, 64)
			if perr == nil {
				return n
			}
		}
	}
	t.Fatalf("status %v carries no resume point", err)
	return 0
}

func TestWatchCallReplaysThenFollowsAndEndsAfterDisconnect(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), time.Hour)
	ctx := testContext(t)
	const callID = "call-follow"
	r.post(t, numbered(callID, "early", 3)...)
	r.post(t, numbered("another-call", "other", 2)...)

	s := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	var last uint64
	expect := func(id string) {
		t.Helper()
		ev := nextEvent(t, s)
		if ev.GetId() != id || ev.GetCallConnectionId() != callID || ev.GetSequence() <= last {
			t.Fatalf("got %s (call %s, sequence %d after %d), want %s", ev.GetId(), ev.GetCallConnectionId(), ev.GetSequence(), last, id)
		}
		last = ev.GetSequence()
	}
	for i := range 3 {
		expect(fmt.Sprintf("early-%d", i))
	}
	r.post(t, numbered(callID, "live", 2)...)
	expect("live-0")
	expect("live-1")
	r.post(t, cloudEvent("bye", callID, "CallDisconnected", map[string]any{"resultInformation": map[string]any{"code": 200, "subCode": 7000}}))
	ev := nextEvent(t, s)
	if ev.GetCallDisconnected() == nil || ev.GetResultInformation().GetSubCode() != 7000 {
		t.Fatalf("want the typed CallDisconnected, got %v", ev)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("after CallDisconnected: %v, want the stream to end with OK", err)
	}
}

func TestWatchCallResumeFilterAndHeartbeat(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), 20*time.Millisecond)
	ctx := testContext(t)
	const callID = "call-resume"
	events := numbered(callID, "p", 4)
	events = append(events[:2], append([]map[string]any{cloudEvent("connected", callID, "CallConnected", nil)}, events[2:]...)...)
	r.post(t, events...)

	all := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	var seqs []uint64
	for range events {
		seqs = append(seqs, nextEvent(t, all).GetSequence())
	}

	resumed := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID, AfterSequence: seqs[1]})
	for i := 2; i < len(events); i++ {
		if ev := nextEvent(t, resumed); ev.GetSequence() != seqs[i] || ev.GetId() != events[i]["id"] {
			t.Fatalf("resumed after %d: got %s/%d, want %s/%d", seqs[1], ev.GetId(), ev.GetSequence(), events[i]["id"], seqs[i])
		}
	}

	filtered := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID, EventTypes: []string{"Microsoft.Communication.CallConnected"}})
	if ev := nextEvent(t, filtered); ev.GetId() != "connected" {
		t.Fatalf("filtered stream got %s", ev.GetId())
	}
	// Heartbeats come while the stream is idle, and let the filtered watcher move its resume point
	// past the events it skipped.
	for {
		m, err := filtered.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent() != nil {
			t.Fatalf("filtered stream got %s", m.GetEvent().GetType())
		}
		if hb := m.GetHeartbeat(); hb != nil && hb.GetLatestSequence() >= seqs[len(seqs)-1] {
			if hb.GetTime() == nil {
				t.Error("heartbeat without time")
			}
			break
		}
	}
}

// A filtering watcher on a busy call still gets heartbeats, with a resume point that moves past
// the events it skipped, while those events keep coming.
func TestFilteredWatcherGetsHeartbeatsOnABusyCall(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), 50*time.Millisecond)
	ctx := testContext(t)
	const callID = "call-busy"
	r.post(t, cloudEvent("first", callID, "ParticipantsUpdated", nil))
	s := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID, EventTypes: []string{"Microsoft.Communication.CallConnected"}})
	advanced := make(chan uint64, 1)
	go func() {
		var first uint64
		for {
			m, err := s.Recv()
			if err != nil {
				return
			}
			hb := m.GetHeartbeat()
			if hb == nil {
				continue
			}
			if first == 0 {
				first = hb.GetLatestSequence()
			} else if hb.GetLatestSequence() > first {
				advanced <- hb.GetLatestSequence()
				return
			}
		}
	}()
	// Skipped events arrive faster than the heartbeat interval until a heartbeat shows progress.
	for i := 0; ; i++ {
		select {
		case <-advanced:
			return
		case <-ctx.Done():
			t.Fatal("no heartbeat while skipped events kept coming")
		default:
		}
		r.post(t, cloudEvent(fmt.Sprintf("busy-%d", i), callID, "ParticipantsUpdated", nil))
		time.Sleep(5 * time.Millisecond) // paces the producer: faster than the 50 ms heartbeat
	}
}

func TestWatchCallRejectsBadRequestsAndLostResumePoints(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{MaxMsgs: 5}), time.Hour)
	ctx := testContext(t)
	r.post(t, numbered("call-oor", "e", 10)...)

	for _, c := range []struct {
		req   *callgatev1.WatchCallRequest
		code  codes.Code
		field string
	}{
		{&callgatev1.WatchCallRequest{}, codes.InvalidArgument, "call_connection_id"},
		{&callgatev1.WatchCallRequest{CallConnectionId: "c", EventTypes: []string{""}}, codes.InvalidArgument, "event_types[0]"},
		// Only the last five events are kept: resuming after the first is a gap, never silent.
		{&callgatev1.WatchCallRequest{CallConnectionId: "call-oor", AfterSequence: 1}, codes.OutOfRange, ""},
		// A sequence the log never assigned: the log was reset since the client saw it.
		{&callgatev1.WatchCallRequest{CallConnectionId: "call-oor", AfterSequence: 1_000_000}, codes.OutOfRange, ""},
	} {
		s := watch(t, ctx, r, c.req)
		_, err := s.Recv()
		if status.Code(err) != c.code {
			t.Errorf("%v: %v, want %v", c.req, err, c.code)
			continue
		}
		if c.field != "" {
			var fields []string
			for _, d := range status.Convert(err).Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if len(fields) != 1 || fields[0] != c.field {
				t.Errorf("%v: bad fields %v, want %s", c.req, fields, c.field)
			}
		}
	}
	// From 0 means "from the oldest still held": the last five.
	s := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: "call-oor"})
	if ev := nextEvent(t, s); ev.GetId() != "e-5" {
		t.Errorf("from 0 the first event is %s, want e-5", ev.GetId())
	}
}

// TestWatchCallResumeProperty: watchers that disconnect at random points and resume from their last
// sequence receive every event exactly once, in order, while events keep arriving.
func TestWatchCallResumeProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r := newReplica(t, openLog(t, eventlog.Config{}), time.Hour)
	const callID, total = "call-property", 300
	events := numbered(callID, "ev", total)

	var wg sync.WaitGroup
	producer := rand.New(rand.NewPCG(seed+1, seed))
	wg.Go(func() {
		for sent := 0; sent < total; {
			n := min(1+int(producer.Int32N(7)), total-sent)
			r.post(t, events[sent:sent+n]...)
			sent += n
		}
	})

	ctx := testContext(t)
	var got []string
	var after uint64
	sessions := 0
	for len(got) < total {
		sessions++
		sctx, cancel := context.WithCancel(ctx)
		s := watch(t, sctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID, AfterSequence: after})
		for k := 1 + int(rng.Int32N(25)); k > 0 && len(got) < total; k-- {
			ev := nextEvent(t, s)
			if ev.GetSequence() <= after {
				t.Fatalf("sequence %d after resuming from %d", ev.GetSequence(), after)
			}
			after = ev.GetSequence()
			got = append(got, ev.GetId())
		}
		cancel() // hang up mid-stream
	}
	wg.Wait()
	for i, id := range got {
		if id != fmt.Sprintf("ev-%d", i) {
			t.Fatalf("event %d is %s over %d sessions: lost, duplicated or reordered", i, id, sessions)
		}
	}
	t.Logf("%d events over %d sessions", total, sessions)
}

func TestSlowWatcherIsCutOffWithItsResumePoint(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{WatcherBuffer: 64}), time.Hour)
	ctx := testContext(t)
	const callID, total, batch = "call-slow", 1000, 10

	// The slow client's connection keeps gRPC's flow-control window small, so the server feels it.
	slowConn, err := grpc.NewClient(r.grpcAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer slowConn.Close()
	slow, err := callgatev1.NewCallServiceClient(slowConn).WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	if err != nil {
		t.Fatal(err)
	}
	fast := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID})

	// The fast client reads each batch as it comes; the slow one reads nothing.
	events := numbered(callID, "ev", total)
	for _, e := range events {
		e["data"].(map[string]any)["padding"] = string(make([]byte, 512))
	}
	for i := 0; i < total; i += batch {
		r.post(t, events[i:i+batch]...)
		for j := i; j < i+batch; j++ {
			if ev := nextEvent(t, fast); ev.GetId() != fmt.Sprintf("ev-%d", j) {
				t.Fatalf("fast watcher: event %d is %s", j, ev.GetId())
			}
		}
	}
	// Only now does the slow one read: it gets what was in flight, then the cut-off.
	var last uint64
	var received int
	for {
		m, err := slow.Recv()
		if err != nil {
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("slow watcher ended with %v, want RESOURCE_EXHAUSTED", err)
			}
			if got := resumeAfter(t, err); got != last {
				t.Fatalf("resume point %d, but the last event received was %d", got, last)
			}
			break
		}
		if ev := m.GetEvent(); ev != nil {
			last = ev.GetSequence()
			received++
		}
	}
	if received >= total {
		t.Fatalf("the slow watcher received all %d events: it was never cut off", received)
	}
	// It resumes where it was cut off and misses nothing.
	resumed := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: callID, AfterSequence: last})
	for i := received; i < total; i++ {
		if ev := nextEvent(t, resumed); ev.GetId() != fmt.Sprintf("ev-%d", i) {
			t.Fatalf("resumed: event %d is %s", i, ev.GetId())
		}
	}
}

func TestCallbackOnOneReplicaStreamsOnAnother(t *testing.T) {
	url := natsServer(t)
	a := newReplica(t, openLog(t, eventlog.Config{NATSURL: url}), time.Hour)
	b := newReplica(t, openLog(t, eventlog.Config{NATSURL: url}), time.Hour)
	ctx := testContext(t)
	const callID = "call-replicas"
	s := watch(t, ctx, b, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	a.post(t, cloudEvent("on-a", callID, "CallConnected", nil))
	b.post(t, cloudEvent("on-b", callID, "ParticipantsUpdated", nil))
	a.post(t, cloudEvent("on-a", callID, "CallConnected", nil)) // redelivered to A: stored once
	a.post(t, cloudEvent("end", callID, "CallDisconnected", nil))
	for _, want := range []string{"on-a", "on-b", "end"} {
		if ev := nextEvent(t, s); ev.GetId() != want {
			t.Fatalf("watcher on B got %s, want %s", ev.GetId(), want)
		}
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("want the end of the stream, got %v", err)
	}
}

func TestWatcherResumesAcrossGatewayRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)
	const callID = "call-restart"

	log1, err := eventlog.Open(ctx, eventlog.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r1 := newReplica(t, log1, time.Hour)
	r1.post(t, numbered(callID, "before", 3)...)
	s := watch(t, ctx, r1, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	nextEvent(t, s)
	last := nextEvent(t, s).GetSequence() // the client saw two of three
	r1.stop()
	if err := log1.Close(); err != nil {
		t.Fatal(err)
	}

	r2 := newReplica(t, openLog(t, eventlog.Config{DataDir: dir}), time.Hour)
	r2.post(t, numbered(callID, "before", 3)[2]) // ACS redelivers one it had sent before the restart
	r2.post(t, numbered(callID, "after", 2)...)
	s = watch(t, ctx, r2, &callgatev1.WatchCallRequest{CallConnectionId: callID, AfterSequence: last})
	for _, want := range []string{"before-2", "after-0", "after-1"} {
		ev := nextEvent(t, s)
		if ev.GetId() != want || ev.GetSequence() <= last {
			t.Fatalf("after the restart got %s/%d, want %s after %d", ev.GetId(), ev.GetSequence(), want, last)
		}
		last = ev.GetSequence()
	}
}

func TestStopStreamsEndsWatchersWithTheirResumePoint(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), time.Hour)
	ctx := testContext(t)
	r.post(t, cloudEvent("one", "call-stop", "CallConnected", nil))
	s := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: "call-stop"})
	seen := nextEvent(t, s).GetSequence()
	r.Services.Stop()
	_, err := s.Recv()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("stopping: %v, want UNAVAILABLE", err)
	}
	if got := resumeAfter(t, err); got < seen {
		t.Fatalf("resume point %d is before the event already received (%d)", got, seen)
	}
}

func TestWatchIncomingCallsFilterAndGroup(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), 20*time.Millisecond)
	ctx := testContext(t)
	started := func(s grpc.ServerStreamingClient[callgatev1.WatchIncomingCallsResponse]) {
		t.Helper()
		// A heartbeat proves the server is following the log: nothing posted after it is missed.
		for {
			m, err := s.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if m.GetHeartbeat() != nil {
				return
			}
		}
	}
	alice, bob := "8:acs:resource_alice", "8:acs:resource_bob"
	onlyBob, err := r.Calls.WatchIncomingCalls(ctx, &callgatev1.WatchIncomingCallsRequest{To: rawOnly(bob)})
	if err != nil {
		t.Fatal(err)
	}
	started(onlyBob)
	const n = 12
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	members := make([]grpc.ServerStreamingClient[callgatev1.WatchIncomingCallsResponse], 2)
	for i := range members {
		if members[i], err = r.Calls.WatchIncomingCalls(gctx, &callgatev1.WatchIncomingCallsRequest{Group: "answering-service"}); err != nil {
			t.Fatal(err)
		}
		started(members[i])
	}

	for i := range n {
		to := alice
		if i%3 == 0 {
			to = bob
		}
		postIncoming(t, r, fmt.Sprintf("incoming-%d", i), to)
	}

	// The filtered watcher sees Bob's calls only.
	for i := 0; i < n; i += 3 {
		call := nextIncoming(t, onlyBob)
		if call.GetTo().GetRawId() != bob || call.GetId() != fmt.Sprintf("incoming-%d", i) {
			t.Fatalf("Bob's watcher got %s for %s", call.GetId(), call.GetTo().GetRawId())
		}
	}
	// The group shares the calls: each one reaches exactly one member.
	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			for {
				resp, err := m.Recv()
				if err != nil {
					return
				}
				if c := resp.GetIncomingCall(); c != nil {
					mu.Lock()
					seen[c.GetId()]++
					if len(seen) == n {
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
	<-gctx.Done()
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the group received %d of %d calls", len(seen), n)
	}
	for id, times := range seen {
		if times != 1 {
			t.Errorf("%s reached the group %d times", id, times)
		}
	}
}

func nextIncoming(t testing.TB, s grpc.ServerStreamingClient[callgatev1.WatchIncomingCallsResponse]) *callgatev1.IncomingCall {
	t.Helper()
	for {
		m, err := s.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if c := m.GetIncomingCall(); c != nil {
			return c
		}
	}
}

func TestWatchCallOverRESTIsNewlineDelimitedJSON(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), time.Hour)
	const callID = "call-rest"
	r.post(t, cloudEvent("c", callID, "CallConnected", nil), cloudEvent("p", callID, "ParticipantsUpdated", nil),
		cloudEvent("d", callID, "CallDisconnected", nil))
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, r.RESTURL+"/v1/calls/"+callID+":watch?afterSequence=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET :watch = %d", resp.StatusCode)
	}
	// One JSON object a line, each {"result": {"event": ...}}; the body ends after CallDisconnected.
	sc := bufio.NewScanner(resp.Body)
	var types []string
	for sc.Scan() {
		var line struct {
			Result struct {
				Event struct {
					Type          string    `json:"type"`
					Sequence      string    `json:"sequence"`
					CallConnected *struct{} `json:"callConnected"`
				} `json:"event"`
			} `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if line.Result.Event.Sequence == "" {
			t.Fatalf("line without a sequence: %s", sc.Text())
		}
		types = append(types, line.Result.Event.Type)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	want := "Microsoft.Communication.CallConnected,Microsoft.Communication.ParticipantsUpdated,Microsoft.Communication.CallDisconnected"
	if strings.Join(types, ",") != want {
		t.Errorf("REST stream types %v", types)
	}
}

func TestWatchRefusesIDsTooLongForTheLog(t *testing.T) {
	r := newReplica(t, openLog(t, eventlog.Config{}), time.Hour)
	ctx := testContext(t)
	long := strings.Repeat("x", 2000)
	s := watch(t, ctx, r, &callgatev1.WatchCallRequest{CallConnectionId: long})
	if _, err := s.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("WatchCall with a 2,000-byte ID: %v, want INVALID_ARGUMENT", err)
	}
	in, err := r.Calls.WatchIncomingCalls(ctx, &callgatev1.WatchIncomingCallsRequest{To: rawOnly("8:acs:" + long)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("WatchIncomingCalls for a 2,000-byte identity: %v, want INVALID_ARGUMENT", err)
	}
}

// WatchCall on a call that ACS does not know and the log holds nothing of is NOT_FOUND at once,
// not a stream that waits forever.
func TestWatchUnknownCallIsNotFound(t *testing.T) {
	s := newStack(t)
	stream, err := s.Calls.WatchCall(testContext(t), &callgatev1.WatchCallRequest{CallConnectionId: "never-placed"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Fatalf("WatchCall of a call nobody placed: %v, want NOT_FOUND", err)
	}
}

// A watched call whose CallDisconnected never arrives (lost on the way, a known ACS failure) is
// checked with ACS once it goes silent; once ACS no longer knows it, the stream ends with
// NOT_FOUND and its resume point, and no event is made up for it.
func TestSilentCallThatACSForgotEndsItsStreams(t *testing.T) {
	dropDisconnects := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte("Microsoft.Communication.CallDisconnected")) {
				w.WriteHeader(http.StatusOK) // acknowledged and lost
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
	s := newStack(t, withCallbacksWrapper(dropDisconnects), withDeps(func(d *service.Deps) {
		d.SilenceCheck = 200 * time.Millisecond
		d.Heartbeat = 50 * time.Millisecond
	}))
	call, _ := s.connectedCall(t)
	callID := call.GetCallConnectionId()
	stream, err := s.Calls.WatchCall(testContext(t), &callgatev1.WatchCallRequest{CallConnectionId: callID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Calls.HangUpCall(testContext(t), &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for {
		msg, err := stream.Recv()
		if err != nil {
			if status.Code(err) != codes.NotFound {
				t.Fatalf("stream ended with %v, want NOT_FOUND", err)
			}
			info := errorInfo(t, err)
			if info.GetReason() != "CALL_GONE" || info.GetMetadata()["resume_after_sequence"] == "" {
				t.Errorf("ErrorInfo %v, want CALL_GONE with the resume point", info)
			}
			break
		}
		if ev := msg.GetEvent(); ev != nil {
			if ev.GetType() == "Microsoft.Communication.CallDisconnected" {
				t.Fatal("a CallDisconnected reached the stream although it was lost")
			}
			last = ev.GetSequence()
		}
	}
	if last == 0 {
		t.Error("the stream carried none of the call's events")
	}
}

// An event the log holds but cannot read is skipped and logged at Error, by a stream and a wait
// alike: the stream goes on with the call's next event.
func TestUnreadableEventIsSkippedAndLogged(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	callID := call.GetCallConnectionId()
	seq, _, err := s.Events.AppendCall(testContext(t), callID, "broken-1", []byte{0xff, 0xff, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := s.Calls.WatchCall(testContext(t), &callgatev1.WatchCallRequest{CallConnectionId: callID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Calls.HangUpCall(testContext(t), &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
		t.Fatal(err)
	}
	var after bool
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stream ended with %v, want OK after CallDisconnected", err)
		}
		if ev := msg.GetEvent(); ev != nil {
			if ev.GetSequence() == seq {
				t.Fatal("the unreadable event was sent")
			}
			after = after || ev.GetSequence() > seq
		}
	}
	if !after {
		t.Error("no event after the unreadable one reached the stream")
	}
	if n := s.Logs.logs.FilterMessageSnippet("unreadable event").FilterField(zap.Uint64("sequence", seq)).Len(); n == 0 {
		t.Error("the unreadable event was not logged")
	}
}
