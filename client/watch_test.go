package client_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// A watcher of a real call keeps reading while the replica it is connected to shuts down:
// another replica behind the same target serves the rest, the events that came while no stream
// was open included, without gap or duplicate, and the iteration ends after CallDisconnected.
func TestWatchFollowsACallWhileItsReplicaShutsDown(t *testing.T) {
	cl := newCluster(t, withReplicas(2))
	ctx := testContext(t)
	// At first the target names replica 0 only, so that the stream is there; then both, as DNS
	// does while the replicas run.
	r, target := cl.Resolver(0)
	c := dial(t, target, dialOptions(grpc.WithResolvers(r)))
	res, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{client.User(cl.User())}}, client.Wait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	callID := res.GetCall().GetCallConnectionId()
	agent := cl.User()

	var ended []error
	var got []*callgatev1.CallEvent
	for ev, err := range c.Watch(ctx, callID, client.OnReconnect(func(err error) { ended = append(ended, err) })) {
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, ev)
		switch {
		case len(got) == 2: // CallConnected, ParticipantsUpdated: the stream is on replica 0
			r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: cl.Replica(0).Addr}, {Addr: cl.Replica(1).Addr}}})
			cl.Replica(0).Stop()
			// Replica 1 places and reports the add while this watcher has no stream.
			if _, err := c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: callID, Participant: client.User(agent)}, client.Wait(10*time.Second)); err != nil {
				t.Fatal(err)
			}
		case ev.GetAddParticipantSucceeded() != nil:
			if _, err := c.HangUp(ctx, &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(ended) == 0 || status.Code(ended[0]) != codes.Unavailable || client.Reason(ended[0]) != client.ReasonShuttingDown {
		t.Fatalf("streams ended with %v, want UNAVAILABLE %s first", ended, client.ReasonShuttingDown)
	}
	// The whole story as the log holds it, read afresh from replica 1.
	want := readAll(t, ctx, dial(t, cl.Replica(1).Addr), callID)
	if !sameEvents(got, want) {
		t.Fatalf("watched %v\nthe log holds %v", describe(got), describe(want))
	}
	if !slices.ContainsFunc(got, func(ev *callgatev1.CallEvent) bool { return ev.GetAddParticipantSucceeded() != nil }) || !client.Disconnected(got[len(got)-1]) {
		t.Fatalf("watched %v: want the add made while disconnected, and CallDisconnected last", describe(got))
	}
	t.Logf("%d events; streams ended with %v", len(got), ended)
}

// Hundreds of events arrive while the watcher's replica shuts down and another takes over: the
// watcher sees each once, in order, whichever replica stored it.
func TestWatchHasNoGapNorDuplicateAcrossAReplicaShutdown(t *testing.T) {
	cl := newCluster(t, withReplicas(2), withSyntheticEvents())
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	r, target := cl.Resolver(0)
	c := dial(t, target, dialOptions(grpc.WithResolvers(r)))
	const callID, total = "call-failover", 600

	// The producer posts events in batches, as ACS calls back, to whichever replica is live; if
	// it fails, the watch is cancelled and the test reports why.
	produced := make(chan error, 1)
	halfway := make(chan struct{})
	produce := func() error {
		for i := 0; i < total; i += 10 {
			if i == total/2 {
				<-halfway
			}
			var batch []map[string]any
			for j := i; j < i+10; j++ {
				batch = append(batch, cloudEvent(fmt.Sprintf("ev-%d", j), callID, "ParticipantsUpdated", map[string]any{"sequenceNumber": j}))
			}
			if err := cl.post(ctx, batch...); err != nil {
				return err
			}
		}
		return cl.post(ctx, cloudEvent("end", callID, "CallDisconnected", nil))
	}
	go func() {
		err := produce()
		produced <- err
		if err != nil {
			cancel()
		}
	}()

	var ids []string
	var last uint64
	reconnects := 0
	for ev, err := range c.Watch(ctx, callID, client.OnReconnect(func(error) { reconnects++ })) {
		if err != nil {
			select {
			case perr := <-produced:
				t.Fatalf("the producer failed: %v", perr)
			default:
			}
			t.Fatalf("after %d events: %v", len(ids), err)
		}
		if ev.GetSequence() <= last {
			t.Fatalf("sequence %d after %d", ev.GetSequence(), last)
		}
		last = ev.GetSequence()
		ids = append(ids, ev.GetId())
		if len(ids) == total/4 {
			// A quarter read: the stream's replica goes, while the producer keeps posting.
			r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: cl.Replica(0).Addr}, {Addr: cl.Replica(1).Addr}}})
			go cl.Replica(0).Stop()
			close(halfway)
		}
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	if len(ids) != total+1 || ids[total] != "end" {
		t.Fatalf("got %d events, want %d and the end", len(ids), total+1)
	}
	for i, id := range ids[:total] {
		if id != fmt.Sprintf("ev-%d", i) {
			t.Fatalf("event %d is %s: lost, duplicated or reordered", i, id)
		}
	}
	if reconnects == 0 {
		t.Fatal("the watcher never reconnected")
	}
	t.Logf("%d events, %d reconnections", len(ids), reconnects)
}

// A consumer that stops reading is cut off by the gateway (RESOURCE_EXHAUSTED, SLOW_CONSUMER)
// and resumes where it was cut off, without losing or repeating an event.
func TestSlowConsumerIsCutOffAndResumes(t *testing.T) {
	cl := newCluster(t, withSyntheticEvents(), withWatcherBuffer(16))
	ctx := testContext(t)
	const callID, total = "call-slow", 600
	// A small flow-control window: the gateway feels a consumer that does not read.
	slow := dial(t, cl.Target(), dialOptions(grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10)))
	fast := dial(t, cl.Target())
	started := make(chan struct{})
	heartbeat := func(ch chan struct{}) client.StreamOption {
		var once sync.Once
		return client.OnHeartbeat(func(*callgatev1.Heartbeat) { once.Do(func() { close(ch) }) })
	}

	// The fast consumer reads everything as it comes.
	fastStarted, fastDone := make(chan struct{}), make(chan error, 1)
	go func() {
		n := 0
		for _, err := range fast.Watch(ctx, callID, heartbeat(fastStarted)) {
			if err != nil {
				fastDone <- err
				return
			}
			n++
		}
		if n != total+1 {
			fastDone <- fmt.Errorf("the fast consumer got %d events", n)
			return
		}
		fastDone <- nil
	}()
	// The producer posts once both streams follow the log live.
	produced := make(chan error, 1)
	go func() {
		<-fastStarted
		<-started
		for i := 0; i < total; i += 10 {
			var batch []map[string]any
			for j := i; j < i+10; j++ {
				batch = append(batch, cloudEvent(fmt.Sprintf("ev-%d", j), callID, "ParticipantsUpdated",
					map[string]any{"sequenceNumber": j, "padding": strings.Repeat("x", 512)}))
			}
			if err := cl.post(ctx, batch...); err != nil {
				produced <- err
				return
			}
		}
		produced <- cl.post(ctx, cloudEvent("end", callID, "CallDisconnected", nil))
	}()

	var ids []string
	var ended []error
	for ev, err := range slow.Watch(ctx, callID, heartbeat(started), client.OnReconnect(func(err error) { ended = append(ended, err) })) {
		if err != nil {
			t.Fatalf("after %d events: %v", len(ids), err)
		}
		ids = append(ids, ev.GetId())
		if len(ids) == 1 {
			// Every event is stored and fanned out while this consumer reads nothing more.
			if err := <-fastDone; err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	if len(ended) == 0 || status.Code(ended[0]) != codes.ResourceExhausted || client.Reason(ended[0]) != client.ReasonSlowConsumer {
		t.Fatalf("streams ended with %v, want RESOURCE_EXHAUSTED %s", ended, client.ReasonSlowConsumer)
	}
	if len(ids) != total+1 {
		t.Fatalf("got %d events, want %d", len(ids), total+1)
	}
	for i, id := range ids[:total] {
		if id != fmt.Sprintf("ev-%d", i) {
			t.Fatalf("event %d is %s", i, id)
		}
	}
}

// readAll reads a call's events from its first to CallDisconnected.
func readAll(t testing.TB, ctx context.Context, c *client.Client, callID string) []*callgatev1.CallEvent {
	t.Helper()
	var out []*callgatev1.CallEvent
	for ev, err := range c.Watch(ctx, callID) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func sameEvents(a, b []*callgatev1.CallEvent) bool {
	return slices.EqualFunc(a, b, func(x, y *callgatev1.CallEvent) bool {
		return x.GetSequence() == y.GetSequence() && x.GetId() == y.GetId()
	})
}

func describe(evs []*callgatev1.CallEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%d %s", ev.GetSequence(), ev.GetType()))
	}
	return out
}
