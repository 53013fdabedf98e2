package eventlog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestWatchReplaysThenFollows(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	var want []uint64
	for i := range 10 {
		want = append(want, appendCall(t, l, "call-1", fmt.Sprintf("e%d", i), fmt.Sprint(i)))
		appendCall(t, l, "noise", fmt.Sprintf("n%d", i), "noise")
	}
	w, err := l.WatchCall(ctx, "call-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, w, 10); !slices.Equal(seqs(got), want) {
		t.Fatalf("replay %v, want %v", seqs(got), want)
	}
	for i := 10; i < 15; i++ {
		seq := appendCall(t, l, "call-1", fmt.Sprintf("e%d", i), fmt.Sprint(i))
		if got := nextN(t, w, 1); got[0].Seq != seq || string(got[0].Payload) != fmt.Sprint(i) {
			t.Fatalf("live entry %+v, want seq %d", got[0], seq)
		}
	}
	expectIdle(t, w)

	// Resuming in the middle replays only what follows.
	w2, err := l.WatchCall(ctx, "call-1", want[6])
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, w2, 3); !slices.Equal(seqs(got), want[7:]) {
		t.Fatalf("resume after %d: %v, want %v", want[6], seqs(got), want[7:])
	}
}

// TestWatchHandOverUnderLoad starts watchers while events of their call are
// appended concurrently, so replay and live delivery overlap: every watcher
// must see every event after its resume point exactly once, in order.
func TestWatchHandOverUnderLoad(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	const (
		appenders   = 4
		perAppender = 150
		watchers    = 40
	)
	var (
		mu     sync.Mutex
		stored []uint64 // acknowledged sequences of the watched call
	)
	var appending sync.WaitGroup
	for a := range appenders {
		appending.Go(func() {
			for i := range perAppender {
				call := "hot"
				if i%3 == 2 {
					call = fmt.Sprintf("other-%d", a)
				}
				seq, _, err := l.AppendCall(ctx, call, fmt.Sprintf("a%d-%d", a, i), []byte("x"))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				if call == "hot" {
					mu.Lock()
					stored = append(stored, seq)
					mu.Unlock()
				}
			}
		})
	}

	type result struct {
		after uint64
		got   []uint64
		err   error
	}
	results := make([]result, watchers)
	var reading sync.WaitGroup
	for i := range watchers {
		// Resume from 0 or from an acknowledged sequence seen so far.
		mu.Lock()
		var after uint64
		if len(stored) > 0 && rng.IntN(2) == 0 {
			after = stored[rng.IntN(len(stored))]
		}
		mu.Unlock()
		w, err := l.WatchCall(ctx, "hot", after)
		if err != nil {
			t.Fatal(err)
		}
		results[i].after = after
		reading.Go(func() {
			for {
				e, err := w.Next(ctx)
				if err != nil {
					results[i].err = err
					return
				}
				if e.EventID == "end" {
					return
				}
				results[i].got = append(results[i].got, e.Seq)
			}
		})
	}
	appending.Wait()
	if t.Failed() {
		return
	}
	appendCall(t, l, "hot", "end", "end")
	reading.Wait()
	slices.Sort(stored)
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("watcher %d: %v", i, r.err)
		}
		want := stored[firstAfter(stored, r.after):]
		if !slices.Equal(r.got, want) {
			t.Fatalf("watcher %d after %d:\n got  %v\n want %v", i, r.after, r.got, want)
		}
	}
}

// firstAfter returns the index of the first sequence above after.
func firstAfter(stored []uint64, after uint64) int {
	i, _ := slices.BinarySearch(stored, after+1)
	return i
}

func TestWatchOutOfRange(t *testing.T) {
	l := openEmbedded(t, func(c *Config) { c.MaxMsgs = 5 })
	ctx := testContext(t)
	var all []uint64
	for i := range 10 {
		all = append(all, appendCall(t, l, "call", fmt.Sprintf("e%d", i), fmt.Sprint(i)))
	}
	// Only the last five are kept: 6..10.
	_, err := l.WatchCall(ctx, "call", all[1])
	var oor *OutOfRangeError
	if !errors.As(err, &oor) || !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("resume after a discarded event: %v", err)
	}
	if oor.After != all[1] || oor.First != all[5] {
		t.Fatalf("OutOfRangeError %+v, want after %d first %d", oor, all[1], all[5])
	}

	// Resuming right before the first stored event misses nothing.
	w, err := l.WatchCall(ctx, "call", all[4])
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, w, 5); !slices.Equal(seqs(got), all[5:]) {
		t.Fatalf("resume after %d: %v", all[4], seqs(got))
	}
	// From the start means from what is stored.
	w0, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, w0, 5); !slices.Equal(seqs(got), all[5:]) {
		t.Fatalf("watch from 0: %v", seqs(got))
	}
	// A resume point the log never reached (the log was reset since).
	if _, err := l.WatchCall(ctx, "call", all[9]+100); !errors.As(err, &oor) || oor.Last != all[9] {
		t.Fatalf("resume beyond the last sequence: %v", err)
	}
	// Purging everything: the next sequence still follows on.
	if err := l.calls.stream.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.WatchCall(ctx, "call", all[8]); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("resume after a purge: %v", err)
	}
	if w, err := l.WatchCall(ctx, "call", all[9]); err != nil {
		t.Fatalf("resume at the last sequence after a purge: %v", err)
	} else {
		seq := appendCall(t, l, "call", "after-purge", "x")
		if got := nextN(t, w, 1); got[0].Seq != seq || seq != all[9]+1 {
			t.Fatalf("after purge: got %d, appended %d", got[0].Seq, seq)
		}
	}
}

func TestSlowWatcherIsCutOff(t *testing.T) {
	const buffer = 8
	l := openEmbedded(t, func(c *Config) { c.WatcherBuffer = buffer })
	ctx := testContext(t)
	first := appendCall(t, l, "call", "e0", "0")
	// Once the feed has dispatched e0, both watchers replay it and are
	// caught up after it: without the wait, one may take it from its queue
	// instead and, not caught up yet, go back to the store on overflow.
	waitFor(t, func() bool { return l.LastSequence() >= first })
	fast, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, slow, 1); got[0].Seq != first {
		t.Fatalf("slow watcher's first entry %d", got[0].Seq)
	}
	nextN(t, fast, 1)

	// The fast watcher reads each event before the next is appended; the
	// slow one reads nothing, so its buffer overflows on event buffer+1.
	var all []uint64
	for i := 1; i <= 3*buffer; i++ {
		seq := appendCall(t, l, "call", fmt.Sprintf("e%d", i), fmt.Sprint(i))
		all = append(all, seq)
		if got := nextN(t, fast, 1); got[0].Seq != seq {
			t.Fatalf("fast watcher got %d, want %d", got[0].Seq, seq)
		}
	}
	_, err = slow.Next(ctx)
	var sce *SlowConsumerError
	if !errors.As(err, &sce) || !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("slow watcher: %v, want a SlowConsumerError", err)
	}
	if sce.LastSeq != first || sce.Buffer != buffer {
		t.Fatalf("SlowConsumerError %+v, want LastSeq %d", sce, first)
	}
	if !errors.Is(slow.Err(), ErrSlowConsumer) {
		t.Fatalf("Err() = %v", slow.Err())
	}
	// The cut-off watcher's memory is gone, and it resumes where it was.
	if n := len(slow.queue); n != 0 {
		t.Fatalf("cut-off watcher still holds %d entries", n)
	}
	resumed, err := l.WatchCall(ctx, "call", sce.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, resumed, len(all)); !slices.Equal(seqs(got), all) {
		t.Fatalf("resumed watcher %v, want %v", seqs(got), all)
	}
}

func TestWatcherEnds(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)

	wctx, cancel := context.WithCancel(ctx)
	w, err := l.WatchCall(wctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	expectIdle(t, w) // a timeout of Next's own context leaves it running
	appendCall(t, l, "call", "e1", "1")
	nextN(t, w, 1)
	cancel()
	if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("after the watch context ended: %v", err)
	}

	w2, err := l.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Next(ctx); !errors.Is(err, ErrWatcherClosed) {
		t.Fatalf("after Close: %v", err)
	}

	// A Next blocked when the Log closes returns ErrClosed.
	w3, err := l.WatchCall(ctx, "call", 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := w3.Next(ctx)
		done <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Next when the log closed: %v", err)
	}
	if _, err := l.WatchCall(ctx, "call", 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("watch on a closed log: %v", err)
	}
	if _, _, err := l.AppendCall(ctx, "call", "e2", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("append on a closed log: %v", err)
	}
	for _, f := range []*feed{l.calls.feed, l.incoming.feed} {
		if len(f.bySubject) != 0 || len(f.all) != 0 {
			t.Fatalf("closed log still has watchers registered")
		}
	}
}

func TestWatcherProgress(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	w, err := l.WatchCall(ctx, "quiet", 0)
	if err != nil {
		t.Fatal(err)
	}
	own := appendCall(t, l, "quiet", "q1", "q1")
	// While its entry waits unread, progress must not pass it.
	other := appendCall(t, l, "busy", "b1", "b1")
	waitFor(t, func() bool { return l.LastSequence() >= other })
	if p := w.Progress(); p >= own {
		t.Fatalf("progress %d while entry %d is unread", p, own)
	}
	nextN(t, w, 1)
	// Idle and caught up, it advances with the other calls' events.
	last := appendCall(t, l, "busy", "b2", "b2")
	waitFor(t, func() bool { return w.Progress() == last })

	// Resuming from the progress point misses nothing and repeats nothing.
	next := appendCall(t, l, "quiet", "q2", "q2")
	r, err := l.WatchCall(ctx, "quiet", last)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, r, 1); got[0].Seq != next {
		t.Fatalf("resumed from progress: %d, want %d", got[0].Seq, next)
	}
	expectIdle(t, r)
}

func TestLogClosedTwiceAndSecondWatcherOnSameCall(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	a, _ := l.WatchCall(ctx, "c", 0)
	b, _ := l.WatchCall(ctx, "c", 0)
	seq := appendCall(t, l, "c", "e", "x")
	for _, w := range []*Watcher{a, b} {
		if got := nextN(t, w, 1); got[0].Seq != seq {
			t.Fatalf("got %d, want %d", got[0].Seq, seq)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	seq2 := appendCall(t, l, "c", "e2", "y")
	if got := nextN(t, b, 1); got[0].Seq != seq2 {
		t.Fatalf("remaining watcher got %d, want %d", got[0].Seq, seq2)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestReplayOverflowReadsFromStore fills the queue of a watcher that is still
// replaying: it must not be cut off but read the overflow from the store.
func TestReplayOverflowReadsFromStore(t *testing.T) {
	l := openEmbedded(t, func(c *Config) { c.WatcherBuffer = 4 })
	ctx := testContext(t)
	var all []uint64
	for i := range 20 {
		all = append(all, appendCall(t, l, "call", fmt.Sprintf("old%d", i), "old"))
	}
	w, err := l.WatchCall(ctx, "call", all[2])
	if err != nil {
		t.Fatal(err)
	}
	// Live events while the backlog is unread: three times the buffer.
	for i := range 12 {
		all = append(all, appendCall(t, l, "call", fmt.Sprintf("new%d", i), "new"))
	}
	waitFor(t, func() bool { return l.LastSequence() >= all[len(all)-1] })
	want := all[3:]
	if got := nextN(t, w, len(want)); !slices.Equal(seqs(got), want) {
		t.Fatalf("got %v\nwant %v", seqs(got), want)
	}
	// Caught up now: live again, and cut off past its buffer.
	seq := appendCall(t, l, "call", "live", "live")
	if got := nextN(t, w, 1); got[0].Seq != seq {
		t.Fatalf("live entry %d, want %d", got[0].Seq, seq)
	}
	var flood uint64
	for i := range 5 {
		flood = appendCall(t, l, "call", fmt.Sprintf("flood%d", i), "flood")
	}
	waitFor(t, func() bool { return l.LastSequence() >= flood })
	if _, err := w.Next(ctx); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("caught-up watcher past its buffer: %v", err)
	}
}

// TestWatcherChurnLeavesNothing starts and ends watchers every way while
// events flow: none may stay registered with the feed.
func TestWatcherChurnLeavesNothing(t *testing.T) {
	l := openEmbedded(t, func(c *Config) { c.WatcherBuffer = 2 })
	ctx := testContext(t)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.WatchCall(cancelled, "call", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("watch with an ended context: %v", err)
	}

	stop := make(chan struct{})
	var appending sync.WaitGroup
	appending.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			appendCall(t, l, fmt.Sprintf("call-%d", i%3), fmt.Sprintf("e%d", i), "x")
		}
	})
	var churn sync.WaitGroup
	for g := range 8 {
		churn.Go(func() {
			for i := range 30 {
				wctx, cancel := context.WithCancel(ctx)
				w, err := l.WatchCall(wctx, fmt.Sprintf("call-%d", (g+i)%3), 0)
				if err != nil {
					t.Errorf("watch: %v", err)
					cancel()
					return
				}
				for range i % 4 {
					if _, err := w.Next(ctx); err != nil {
						break // cut off as slow: fine here
					}
				}
				if i%2 == 0 {
					w.Close()
				}
				cancel()
			}
		})
	}
	churn.Wait()
	close(stop)
	appending.Wait()
	// Watchers ended by their context detach asynchronously.
	waitFor(t, func() bool {
		l.calls.feed.mu.RLock()
		defer l.calls.feed.mu.RUnlock()
		return len(l.calls.feed.bySubject) == 0
	})
}

// TestNextWithin: an idle wait ends with ErrIdle and leaves the watcher running, for fan-out
// watchers and group members alike.
func TestNextWithin(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	w, err := l.WatchCall(ctx, "call-idle", 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.NextWithin(ctx, 10*time.Millisecond); !errors.Is(err, ErrIdle) {
			t.Fatalf("idle watcher: %v, want ErrIdle", err)
		}
	}
	seq := appendCall(t, l, "call-idle", "e1", "one")
	e, err := w.NextWithin(ctx, time.Minute)
	if err != nil || e.Seq != seq {
		t.Fatalf("after idling: %+v %v, want sequence %d", e, err, seq)
	}

	// The idle timer is left armed at an earlier wait's deadline: a later, longer wait still
	// lasts its own idle time (a lower bound only: a slow machine makes waits longer, never
	// shorter), and a shorter one does not wait for the earlier deadline.
	appendCall(t, l, "call-idle", "e2", "two")
	for { // until the entry comes, leaving a 20 ms timer armed
		_, err := w.NextWithin(ctx, 20*time.Millisecond)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrIdle) {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if _, err := w.NextWithin(ctx, 200*time.Millisecond); !errors.Is(err, ErrIdle) {
		t.Fatalf("a 200 ms idle wait: %v, want ErrIdle", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("a 200 ms idle wait ended after %v", waited)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := w.NextWithin(short, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait ended by its context: %v", err) // its hour-long timer stays armed
	}
	if _, err := w.NextWithin(ctx, 10*time.Millisecond); !errors.Is(err, ErrIdle) {
		t.Fatalf("a 10 ms wait after an hour-long one: %v, want ErrIdle", err)
	}
	seq3 := appendCall(t, l, "call-idle", "e3", "three")
	if e, err := w.NextWithin(ctx, time.Minute); err != nil || e.Seq != seq3 {
		t.Fatalf("after the idle waits: %+v %v, want sequence %d", e, err, seq3)
	}

	g, err := l.WatchIncoming(ctx, IncomingOptions{Group: "idle-group"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.NextWithin(ctx, 50*time.Millisecond); !errors.Is(err, ErrIdle) {
		t.Fatalf("idle group member: %v, want ErrIdle", err)
	}
	if _, _, err := l.AppendIncoming(ctx, "8:acs:x", "in-1", []byte("call")); err != nil {
		t.Fatal(err)
	}
	if e, err := g.NextWithin(ctx, time.Minute); err != nil || string(e.Payload) != "call" {
		t.Fatalf("group member after idling: %+v %v", e, err)
	}
}
