package eventlog

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkWatchStart is the start of a WatchCall on a call with 20 stored events (WatchCall
// and the replay of those 20, spread over the log), with 0, 100,000 and 1,000,000 events of other
// calls in the log: how a stream's start grows with the log behind it.
//
//	go test -run '^$' -bench BenchmarkWatchStart -benchtime=200x ./eventlog/
//
// The log is filled with pipelined batches of 1,000 appends of 128-byte events, 1,000 calls.
func BenchmarkWatchStart(b *testing.B) {
	const callEvents = 20
	for _, others := range []int{0, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			l := openEmbedded(b, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			fillStart := time.Now()
			fillWithCall(b, ctx, l, "watched", callEvents, others)
			b.Logf("filled %d events in %s", others+callEvents, time.Since(fillStart).Round(time.Millisecond))
			b.ResetTimer()
			for b.Loop() {
				w, err := l.WatchCall(ctx, "watched", 0)
				if err != nil {
					b.Fatal(err)
				}
				for range callEvents {
					if _, err := w.Next(ctx); err != nil {
						b.Fatal(err)
					}
				}
				w.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/start")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// fillWithCall appends others events of 1,000 other calls with the call's n events spread evenly
// among them.
func fillWithCall(b *testing.B, ctx context.Context, l *Log, call string, n, others int) {
	b.Helper()
	payload := make([]byte, 128)
	const batchSize = 1000
	every := max(1, others/n)
	batch := make([]CallEvent, 0, batchSize)
	flush := func() {
		if _, err := l.AppendCalls(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	placed := 0
	for i := range others + n {
		ev := CallEvent{EventID: benchEventID(), Payload: payload, CallID: fmt.Sprintf("other-%d", i%1000)}
		if placed < n && (others == 0 || i%(every+1) == every) {
			ev.CallID = call
			placed++
		}
		batch = append(batch, ev)
		if len(batch) == batchSize {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	if placed != n {
		b.Fatalf("placed %d of the call's %d events", placed, n)
	}
}
