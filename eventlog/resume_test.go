package eventlog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testSeed returns EVENTLOG_SEED when set (to replay a failure), else a
// random seed; either way it is logged.
func testSeed(t *testing.T) uint64 {
	seed := rand.Uint64()
	if s := os.Getenv("EVENTLOG_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("EVENTLOG_SEED: %v", err)
		}
	}
	t.Logf("seed %d (rerun with EVENTLOG_SEED=%d)", seed, seed)
	return seed
}

// TestResumeProperty: clients that disconnect at random points (closing the
// watcher, cancelling its context, being cut off as slow) and resume from
// their last sequence or from the watcher's Progress receive every event
// exactly once, in order, while events (and redeliveries) keep arriving.
func TestResumeProperty(t *testing.T) {
	seed := testSeed(t)
	l := openEmbedded(t, func(c *Config) { c.WatcherBuffer = 6 })
	ctx := testContext(t)

	const (
		events  = 400
		clients = 6
	)
	appendDone := make(chan struct{})
	go func() {
		defer close(appendDone)
		rng := rand.New(rand.NewPCG(seed, 1))
		for i := 0; i < events; {
			switch rng.IntN(6) {
			case 0: // another call's event
				appendCall(t, l, "noise", fmt.Sprintf("noise-%d", i), "noise")
			case 1: // a redelivery of an earlier event
				if i > 0 {
					j := rng.IntN(i)
					if _, dup, err := l.AppendCall(ctx, "prop", fmt.Sprintf("ev-%d", j), []byte("again")); err != nil || !dup {
						t.Errorf("redelivery of ev-%d: dup %v, err %v", j, dup, err)
					}
				}
			case 2: // a batch, as a callback POST may carry
				n := min(1+rng.IntN(5), events-i)
				batch := make([]CallEvent, n)
				for k := range batch {
					batch[k] = CallEvent{CallID: "prop", EventID: fmt.Sprintf("ev-%d", i+k), Payload: []byte(strconv.Itoa(i + k))}
				}
				if _, err := l.AppendCalls(ctx, batch); err != nil {
					t.Errorf("batch: %v", err)
				}
				i += n
			default:
				appendCall(t, l, "prop", fmt.Sprintf("ev-%d", i), strconv.Itoa(i))
				i++
			}
		}
		appendCall(t, l, "prop", "end", "end")
	}()

	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(c)+2))
			var (
				last    uint64
				got     []int
				resumes int
				cuts    int
			)
			for done := false; !done; resumes++ {
				wctx, cancel := context.WithCancel(ctx)
				w, err := l.WatchCall(wctx, "prop", last)
				if err != nil {
					cancel()
					t.Errorf("client %d: watch after %d: %v", c, last, err)
					return
				}
				quota := rng.IntN(12)
				mode := rng.IntN(4)
				for !done {
					if quota == 0 {
						break
					}
					e, err := w.Next(ctx)
					var sce *SlowConsumerError
					if errors.As(err, &sce) {
						if sce.LastSeq != last {
							t.Errorf("client %d: cut off with LastSeq %d, last received %d", c, sce.LastSeq, last)
						}
						cuts++
						break
					}
					if err != nil {
						t.Errorf("client %d: %v", c, err)
						cancel()
						return
					}
					if e.Seq <= last {
						t.Errorf("client %d: sequence %d after %d", c, e.Seq, last)
					}
					last = e.Seq
					if string(e.Payload) == "end" {
						done = true
						break
					}
					n, err := strconv.Atoi(string(e.Payload))
					if err != nil {
						t.Errorf("client %d: payload %q", c, e.Payload)
					}
					got = append(got, n)
					quota--
					if rng.IntN(10) == 0 {
						// A slow reader: let events pile up.
						time.Sleep(time.Duration(rng.IntN(10)) * time.Millisecond)
					}
				}
				switch mode {
				case 0:
					w.Close()
				case 1:
					cancel()
				case 2:
					// Resume from the heartbeat's point rather than the
					// last entry; Progress claims only what was returned.
					if p := w.Progress(); p >= last {
						last = p
					} else {
						t.Errorf("client %d: Progress %d below last %d", c, p, last)
					}
					w.Close()
				case 3:
					// Abandoned without Close: the context ends it.
				}
				cancel()
			}
			want := make([]int, events)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(got, want) {
				t.Errorf("client %d after %d resumes: got %d events %v..., want 0..%d once each in order", c, resumes, len(got), got[:min(len(got), 20)], events-1)
				return
			}
			t.Logf("client %d: %d events over %d watch sessions, %d cut off as slow", c, len(got), resumes, cuts)
		})
	}
	wg.Wait()
	<-appendDone
}
