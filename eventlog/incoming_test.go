package eventlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestWatchIncomingFilters(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	const alice, bob = "8:acs:resource_alice", "4:+14255550123"

	stored, _, err := l.AppendIncoming(ctx, alice, "in-0", []byte("alice-0"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := l.WatchIncoming(ctx, IncomingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	onlyBob, err := l.WatchIncoming(ctx, IncomingOptions{Called: bob})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := l.WatchIncoming(ctx, IncomingOptions{NewOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for i, called := range []string{bob, alice, bob} {
		seq, dup, err := l.AppendIncoming(ctx, called, fmt.Sprintf("in-%d", i+1), []byte(called))
		if err != nil || dup {
			t.Fatalf("AppendIncoming: %v %v", err, dup)
		}
		want = append(want, seq)
	}
	if got := nextN(t, all, 4); !slices.Equal(seqs(got), append([]uint64{stored}, want...)) {
		t.Fatalf("unfiltered watcher: %v", seqs(got))
	}
	if got := nextN(t, onlyBob, 2); !slices.Equal(seqs(got), []uint64{want[0], want[2]}) || string(got[0].Payload) != bob {
		t.Fatalf("watcher of %s: %v", bob, seqs(got))
	}
	if got := nextN(t, fresh, 3); !slices.Equal(seqs(got), want) {
		t.Fatalf("new-only watcher: %v, want %v", seqs(got), want)
	}
	for _, w := range []*Watcher{all, onlyBob, fresh} {
		expectIdle(t, w)
	}
	// Incoming calls replay like call events.
	resumed, err := l.WatchIncoming(ctx, IncomingOptions{Called: alice, AfterSeq: stored})
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, resumed, 1); got[0].Seq != want[1] {
		t.Fatalf("resumed watcher of %s: %d, want %d", alice, got[0].Seq, want[1])
	}
	// Acknowledging outside a group does nothing.
	if err := (Entry{}).Ack(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIncomingGroupDeliversOnce: members of one group on two replicas (two
// Logs on one server) together receive each incoming call exactly once.
func TestIncomingGroupDeliversOnce(t *testing.T) {
	ns := startServer(t, nil)
	ctx := testContext(t)
	cfg := Config{NATSURL: ns.ClientURL(), Logger: testLogger(t)}
	a := openLog(t, cfg)
	b := openLog(t, cfg)

	const calls = 60
	members := []*Watcher{}
	for _, l := range []*Log{a, a, b} {
		w, err := l.WatchIncoming(ctx, IncomingOptions{Group: "answering-service"})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, w)
	}
	// Another group sees every call too, independently.
	other, err := b.WatchIncoming(ctx, IncomingOptions{Group: "recorder"})
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		received = map[string]int{}
		perMbr   = make([]int, len(members))
	)
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i, w := range members {
		wg.Go(func() {
			for {
				e, err := w.Next(mctx)
				if err != nil {
					if mctx.Err() == nil {
						t.Errorf("member %d: %v", i, err)
					}
					return
				}
				if err := e.Ack(mctx); err != nil {
					t.Errorf("member %d: ack: %v", i, err)
				}
				mu.Lock()
				received[e.EventID]++
				perMbr[i]++
				n := len(received)
				mu.Unlock()
				if n == calls {
					stop()
				}
			}
		})
	}
	for i := range calls {
		l := []*Log{a, b}[i%2]
		if _, _, err := l.AppendIncoming(ctx, "8:acs:svc", fmt.Sprintf("call-%d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if len(received) != calls {
		t.Fatalf("group received %d distinct calls, want %d", len(received), calls)
	}
	for id, n := range received {
		if n != 1 {
			t.Errorf("%s delivered %d times to the group", id, n)
		}
	}
	t.Logf("deliveries per member: %v", perMbr)
	for i := range calls {
		e, err := other.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("call-%d", i); e.EventID != want {
			t.Fatalf("second group entry %d: %s, want %s", i, e.EventID, want)
		}
		if err := e.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIncomingGroupRedelivers: a call handed to a member that never
// acknowledges it goes to another member after the ack wait, and Nak hands
// it on at once.
func TestIncomingGroupRedelivers(t *testing.T) {
	l := openEmbedded(t, func(c *Config) { c.GroupAckWait = 500 * time.Millisecond })
	ctx := testContext(t)
	const group = "g"
	called := "4:+14255550100"
	first, err := l.WatchIncoming(ctx, IncomingOptions{Group: group, Called: called})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AppendIncoming(ctx, "4:+19999999999", "elsewhere", nil); err != nil {
		t.Fatal(err)
	}
	seq, _, err := l.AppendIncoming(ctx, called, "ring", []byte("ring"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := first.Next(ctx)
	if err != nil || e.Seq != seq {
		t.Fatalf("first member: %+v %v", e, err)
	}
	// The member dies holding it.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := l.WatchIncoming(ctx, IncomingOptions{Group: group, Called: called})
	if err != nil {
		t.Fatal(err)
	}
	again, err := second.Next(ctx)
	if err != nil || again.Seq != seq || again.EventID != "ring" {
		t.Fatalf("after the ack wait: %+v %v", again, err)
	}
	if err := again.Nak(); err != nil {
		t.Fatal(err)
	}
	third, err := second.Next(ctx)
	if err != nil || third.Seq != seq {
		t.Fatalf("after Nak: %+v %v", third, err)
	}
	if err := third.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: nothing more, and the call to another number never came.
	short, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	if e, err := second.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after ack: %+v %v", e, err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Next(ctx); !errors.Is(err, ErrWatcherClosed) {
		t.Fatalf("closed member: %v", err)
	}
}

// TestIncomingGroupShortIdle: a member whose waits end every few
// milliseconds (a stream's heartbeats) loses no call to a pull it gave up
// on: with an ack wait of an hour, a call sent to an abandoned pull would
// not come back within the test.
func TestIncomingGroupShortIdle(t *testing.T) {
	l := openEmbedded(t, func(c *Config) { c.GroupAckWait = time.Hour })
	ctx := testContext(t)
	called := "4:+14255550100"
	member, err := l.WatchIncoming(ctx, IncomingOptions{Group: "g", Called: called})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	go func() {
		for i := range n {
			if _, _, err := l.AppendIncoming(ctx, called, fmt.Sprintf("call-%d", i), nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := map[string]bool{}
	for len(seen) < n {
		e, err := member.NextWithin(ctx, 2*time.Millisecond)
		if errors.Is(err, ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatalf("after %d of %d calls: %v", len(seen), n, err)
		}
		if seen[e.EventID] {
			t.Fatalf("%s delivered twice", e.EventID)
		}
		seen[e.EventID] = true
		if err := e.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
