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
// cluster loses the calls stream's quorum (two nodes shut down). It returns
// what it had read ahead; where its replay needs the stream leader, NextWithin
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

	// More than a replay batch, so that the outage falls in the middle of
	// the replay, not only after its last read.
	const backlog = replayBatch + 40
	var want []uint64
	for i := 0; i < backlog; i += 50 {
		var batch []CallEvent
		for k := i; k < min(i+50, backlog); k++ {
			batch = append(batch, CallEvent{CallID: "call", EventID: fmt.Sprintf("e%d", k), Payload: []byte(fmt.Sprint(k))})
		}
		appended, err := l.AppendCalls(ctx, batch)
		if err != nil {
			t.Fatalf("append e%d...: %v", i, err)
		}
		for _, a := range appended {
			want = append(want, a.Seq)
		}
	}
	// Events of other calls after the backlog: a replay whose last batch ends
	// short of the bound it must cover asks the stream leader whether
	// anything follows. The rest it may read from any replica in sync.
	for i := range 3 {
		if _, _, err := l.AppendCall(ctx, "blocked", fmt.Sprintf("b%d", i), []byte("b")); err != nil {
			t.Fatal(err)
		}
	}
	other, _, err := l.AppendCall(ctx, "other", "o", []byte("o"))
	if err != nil {
		t.Fatal(err)
	}
	// Registered once the feed has dispatched it, the watchers' replays must
	// cover it.
	waitFor(t, func() bool { return l.LastSequence() >= other })
	w, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	blockedCtx, cancelBlocked := context.WithCancel(ctx)
	defer cancelBlocked()
	blocked, err := l.WatchCall(blockedCtx, "blocked", 0)
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
	for idles < 4 {
		e, err := next(w)
		switch {
		case err == nil:
			// Only the entries read ahead before the outage (the first
			// batch) can come, and none after an idle return.
			if idles > 0 || len(got) >= replayBatch {
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
