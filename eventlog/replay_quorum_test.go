package eventlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestReplayThroughQuorumLoss: a watcher replaying a backlog on a three-node
// cluster loses the calls stream's quorum (two nodes shut down). NextWithin
// keeps returning ErrIdle, so a stream can send heartbeats, with a Progress
// that claims nothing it did not return; once the nodes are back the replay
// goes on where it was and delivers every event once, in order. A second
// watcher, blocked in Next on the same outage, ends at once when its context
// is cancelled.
func TestReplayThroughQuorumLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("quorum loss takes seconds")
	}
	nodes := startNodes(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	setup := openLogCtx(t, ctx, Config{NATSURL: nodeURLs(nodes...), Replicas: 3, Logger: testLogger(t)})
	leader, followers := streamLeader(t, ctx, nodes, setup.calls.name)
	// The log talks to the survivor only: the outage is the lost quorum, not
	// a lost connection.
	survivor := followers[0]
	victims := []*clusterNode{leader, followers[1]}
	l := openLogCtx(t, ctx, Config{NATSURL: survivor.srv.ClientURL(), Replicas: 3, Logger: testLogger(t)})

	const backlog = 40
	var want []uint64
	for i := range backlog {
		seq, _, err := l.AppendCall(ctx, "call", fmt.Sprintf("e%d", i), []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("append e%d: %v", i, err)
		}
		want = append(want, seq)
	}
	w, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	blockedCtx, cancelBlocked := context.WithCancel(ctx)
	defer cancelBlocked()
	blocked, err := l.WatchCall(blockedCtx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}

	const idle = 300 * time.Millisecond
	// next is one NextWithin call; its own deadline, far beyond idle, tells
	// a call that ignored idle from one that honoured it.
	next := func(w *Watcher) (Entry, error) {
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		return w.NextWithin(cctx, idle)
	}
	var got []Entry
	for len(got) < 10 {
		e, err := next(w)
		if errors.Is(err, ErrIdle) {
			continue // a slow read on a busy machine
		}
		if err != nil {
			t.Fatalf("replay with a quorum: %v", err)
		}
		got = append(got, e)
	}

	for _, v := range victims {
		v.stop()
	}
	// A leader without quorum still serves reads until it steps down (10-20
	// s); from then on no server answers them.
	waitForTimeout(t, clusterTimeout, func() bool {
		return !survivor.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, l.calls.name)
	})

	idles := 0
	for range 4 {
		e, err := next(w)
		switch {
		case err == nil:
			// Only the entry read ahead before the outage can come.
			if idles > 0 || len(got) > 10 {
				t.Fatalf("entry %d during the outage, after %d idle returns", e.Seq, idles)
			}
			got = append(got, e)
		case errors.Is(err, ErrIdle):
			idles++
			if p, last := w.Progress(), got[len(got)-1].Seq; p != last {
				t.Fatalf("Progress %d during the outage, but the last entry returned is %d", p, last)
			}
		default:
			t.Fatalf("NextWithin during the outage: %v, want ErrIdle", err)
		}
	}
	if idles < 3 {
		t.Fatalf("%d idle returns during the outage, want at least 3", idles)
	}

	// The other watcher is blocked on the store too; cancelling its context
	// ends it, without waiting for the store.
	if _, err := next(blocked); !errors.Is(err, ErrIdle) {
		t.Fatalf("second watcher during the outage: %v, want ErrIdle", err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := blocked.Next(ctx)
		ended <- err
	}()
	cancelBlocked()
	endCtx, endCancel := context.WithTimeout(ctx, 10*time.Second)
	defer endCancel()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled watcher: %v, want context.Canceled", err)
		}
	case <-endCtx.Done():
		t.Fatal("a cancelled watcher stayed blocked on the lost quorum")
	}

	for _, v := range victims {
		v.start()
	}
	for len(got) < backlog {
		e, err := next(w)
		if errors.Is(err, ErrIdle) {
			continue // the cluster is still electing
		}
		if err != nil {
			t.Fatalf("replay after the outage, %d of %d entries in: %v", len(got), backlog, err)
		}
		got = append(got, e)
	}
	if !slices.Equal(seqs(got), want) {
		t.Fatalf("replayed %v, want %v", seqs(got), want)
	}
	for i, e := range got {
		if string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("entry %d payload %q", i, e.Payload)
		}
	}
	// And it follows live events from there.
	seq, _, err := l.AppendCall(ctx, "call", "live", []byte("live"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		e, err := next(w)
		if errors.Is(err, ErrIdle) {
			continue
		}
		if err != nil || e.Seq != seq {
			t.Fatalf("live entry %d, %v; want %d", e.Seq, err, seq)
		}
		break
	}
}
