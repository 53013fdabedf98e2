package eventlog

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The benchmarks run on an embedded server, as a single gateway does. Their
// figures are reported (b.ReportMetric), never asserted. The fan-out
// workload is the issue's: 1,000 watchers over 100 calls, 1 KiB events.
const (
	benchWatchers = 1000
	benchCalls    = 100
	benchPayload  = 1024
)

func benchCall(i int) string { return fmt.Sprintf("bench-call-%03d", i%benchCalls) }

// stampedPayload carries the time the callback "arrived" (just before the
// append), for callback-to-watcher latency.
func stampedPayload() []byte {
	p := make([]byte, benchPayload)
	binary.LittleEndian.PutUint64(p, uint64(time.Now().UnixNano()))
	return p
}

func payloadAge(p []byte) time.Duration {
	return time.Since(time.Unix(0, int64(binary.LittleEndian.Uint64(p))))
}

var benchEventSerial atomic.Int64

func benchEventID() string { return fmt.Sprintf("bench-%d", benchEventSerial.Add(1)) }

// BenchmarkAppend measures acknowledged appends: one at a time, from 32
// concurrent callers (concurrent callback requests), and pipelined batches.
// Targets: the embedded server (in-process connection, default sync), the
// same with SyncAlways (fsync before each ack), and a NATS server on loopback
// TCP (the external-cluster code path, one node).
func BenchmarkAppend(b *testing.B) {
	targets := []struct {
		name string
		open func(b *testing.B) *Log
	}{
		{"embedded", func(b *testing.B) *Log { return openEmbedded(b, nil) }},
		{"embedded-sync-always", func(b *testing.B) *Log {
			return openEmbedded(b, func(c *Config) { c.SyncAlways = true })
		}},
		{"loopback-tcp", func(b *testing.B) *Log {
			ns := startServer(b, nil)
			return openLog(b, Config{NATSURL: ns.ClientURL(), Logger: testLogger(b)})
		}},
	}
	for _, target := range targets {
		b.Run(target.name+"/sequential", func(b *testing.B) {
			l := target.open(b)
			ctx := context.Background()
			payload := make([]byte, benchPayload)
			i := 0
			for b.Loop() {
				if _, _, err := l.AppendCall(ctx, benchCall(i), benchEventID(), payload); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(target.name+"/parallel-32", func(b *testing.B) {
			l := target.open(b)
			ctx := context.Background()
			payload := make([]byte, benchPayload)
			b.SetParallelism(16) // 32 goroutines on 2 CPUs
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := l.AppendCall(ctx, benchCall(int(n.Add(1))), benchEventID(), payload); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		for _, size := range []int{10, 100} {
			b.Run(fmt.Sprintf("%s/batch-%d", target.name, size), func(b *testing.B) {
				l := target.open(b)
				ctx := context.Background()
				payload := make([]byte, benchPayload)
				batch := make([]CallEvent, size)
				i := 0
				for b.Loop() {
					for k := range batch {
						batch[k] = CallEvent{CallID: benchCall(i), EventID: benchEventID(), Payload: payload}
						i++
					}
					if _, err := l.AppendCalls(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// benchWatcher is what a WatchCall stream handler reads from, in either
// fan-out design.
type benchWatcher interface {
	next(ctx context.Context) ([]byte, error)
	close()
}

type sharedWatcher struct{ w *Watcher }

func (s sharedWatcher) next(ctx context.Context) ([]byte, error) {
	e, err := s.w.Next(ctx)
	return e.Payload, err
}
func (s sharedWatcher) close() { s.w.Close() }

// consumerWatcher is the alternative design, measured and not kept: a
// JetStream ordered consumer per watcher, filtered on its call's subject.
type consumerWatcher struct{ it jetstream.MessagesContext }

func (c consumerWatcher) next(context.Context) ([]byte, error) {
	m, err := c.it.Next()
	if err != nil {
		return nil, err
	}
	return m.Data(), nil
}
func (c consumerWatcher) close() { c.it.Stop() }

type fanout struct {
	name  string
	watch func(ctx context.Context, l *Log, call string) (benchWatcher, error)
}

var fanouts = []fanout{
	{"shared", func(ctx context.Context, l *Log, call string) (benchWatcher, error) {
		w, err := l.WatchCall(ctx, call, 0)
		return sharedWatcher{w}, err
	}},
	{"consumer-per-watcher", func(ctx context.Context, l *Log, call string) (benchWatcher, error) {
		cons, err := l.calls.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{l.calls.subject(call)},
			DeliverPolicy:  jetstream.DeliverNewPolicy,
		})
		if err != nil {
			return nil, err
		}
		// A small client buffer, to give this design its best memory figure.
		it, err := cons.Messages(jetstream.PullMaxMessages(16))
		return consumerWatcher{it}, err
	}},
}

func startWatchers(b *testing.B, ctx context.Context, l *Log, f fanout) []benchWatcher {
	b.Helper()
	liftConsumerLimit(b, ctx, l)
	ws := make([]benchWatcher, benchWatchers)
	for i := range ws {
		w, err := f.watch(ctx, l, benchCall(i))
		if err != nil {
			b.Fatalf("watcher %d: %v", i, err)
		}
		ws[i] = w
	}
	b.Cleanup(func() {
		for _, w := range ws {
			w.close()
		}
	})
	return ws
}

// BenchmarkLiveLatency appends b.N events at a steady 2,000 events/s over 100
// calls watched by 1,000 watchers, and reports the callback-to-watcher
// latency (from just before the append to the watcher's Next returning).
// Run with -benchtime=20000x for 10 s of traffic.
func BenchmarkLiveLatency(b *testing.B) {
	const rate = 2000
	for _, f := range fanouts {
		b.Run(f.name, func(b *testing.B) {
			l := openEmbedded(b, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			ws := startWatchers(b, ctx, l, f)
			lat, elapsed := driveWatchers(b, ctx, l, ws, rate, 16)
			reportLatency(b, lat, elapsed)
		})
	}
}

// BenchmarkIngest appends b.N events as fast as 64 concurrent callers can,
// while 1,000 watchers over 100 calls follow: the highest sustained ingest
// rate of one replica, with every event still delivered to every watcher.
func BenchmarkIngest(b *testing.B) {
	l := openEmbedded(b, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ws := startWatchers(b, ctx, l, fanouts[0])
	lat, elapsed := driveWatchers(b, ctx, l, ws, 0, 64)
	reportLatency(b, lat, elapsed)
}

// driveWatchers appends b.N stamped events over benchCalls calls (at rate
// events/s, or flat out when rate is 0, from the given number of concurrent
// appenders), waits until every watcher has read its call's events, and
// returns the latencies of all deliveries and the time the appends took.
func driveWatchers(b *testing.B, ctx context.Context, l *Log, ws []benchWatcher, rate, appenders int) ([]time.Duration, time.Duration) {
	b.Helper()
	perCall := make([]int, benchCalls)
	for i := range b.N {
		perCall[i%benchCalls]++
	}
	lats := make([][]time.Duration, len(ws))
	var readers sync.WaitGroup
	var readErr atomic.Pointer[error]
	for i, w := range ws {
		want := perCall[i%benchCalls]
		lats[i] = make([]time.Duration, 0, want)
		readers.Go(func() {
			for range want {
				p, err := w.next(ctx)
				if err != nil {
					readErr.CompareAndSwap(nil, &err)
					return
				}
				lats[i] = append(lats[i], payloadAge(p))
			}
		})
	}
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	jobs := make(chan int, appenders)
	var appending sync.WaitGroup
	for range appenders {
		appending.Go(func() {
			for i := range jobs {
				if _, _, err := l.AppendCall(ctx, benchCall(i), benchEventID(), stampedPayload()); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range b.N {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
				time.Sleep(d)
			}
		}
		jobs <- i
	}
	close(jobs)
	appending.Wait()
	elapsed := time.Since(start)
	readers.Wait()
	b.StopTimer()
	if p := readErr.Load(); p != nil {
		b.Fatalf("watcher: %v", *p)
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return all, elapsed
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(len(lat)), "deliveries")
	b.ReportMetric(ms(pct(0.50)), "p50-ms")
	b.ReportMetric(ms(pct(0.99)), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIdleWatcherMemory reports the memory 1,000 idle watchers over 100
// calls hold, per watcher: heap alone, and heap plus the stacks of one reader
// goroutine per watcher blocked in Next (as a stream handler's would be).
func BenchmarkIdleWatcherMemory(b *testing.B) {
	for _, f := range fanouts {
		b.Run(f.name, func(b *testing.B) {
			l := openEmbedded(b, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Warm up the connection and server paths the watchers use.
			liftConsumerLimit(b, ctx, l)
			warm := startWatchersN(b, ctx, l, f, 10)
			closeAll(warm)
			var heap, total, goroutines float64
			for b.Loop() {
				before := memNow()
				g0 := runtime.NumGoroutine()
				ws := startWatchersN(b, ctx, l, f, benchWatchers)
				afterWatch := memNow()
				var blocked sync.WaitGroup
				rctx, stopReaders := context.WithCancel(ctx)
				for _, w := range ws {
					blocked.Go(func() { _, _ = w.next(rctx) })
				}
				waitIdle(g0 + 2*benchWatchers)
				afterReaders := memNow()
				heap += float64(afterWatch.heap-before.heap) / benchWatchers
				total += float64((afterReaders.heap+afterReaders.stack)-(before.heap+before.stack)) / benchWatchers
				goroutines += float64(runtime.NumGoroutine()-g0) / benchWatchers
				stopReaders()
				closeAll(ws) // the consumer iterators end their readers on Stop
				blocked.Wait()
			}
			b.ReportMetric(heap/float64(b.N), "heap-B/watcher")
			b.ReportMetric(total/float64(b.N), "heap+stack-B/watcher")
			b.ReportMetric(goroutines/float64(b.N), "goroutines/watcher")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// liftConsumerLimit raises the server's default of 1,000 consumers per
// stream, which the consumer-per-watcher design would otherwise hit (the
// shared design uses one per process).
func liftConsumerLimit(b *testing.B, ctx context.Context, l *Log) {
	b.Helper()
	cfg := l.calls.stream.CachedInfo().Config
	cfg.MaxConsumers = 100000
	if _, err := l.js.UpdateStream(ctx, cfg); err != nil {
		b.Fatal(err)
	}
}

func startWatchersN(b *testing.B, ctx context.Context, l *Log, f fanout, n int) []benchWatcher {
	ws := make([]benchWatcher, n)
	for i := range ws {
		w, err := f.watch(ctx, l, benchCall(i))
		if err != nil {
			b.Fatal(err)
		}
		ws[i] = w
	}
	return ws
}

func closeAll(ws []benchWatcher) {
	for _, w := range ws {
		w.close()
	}
}

type memSample struct{ heap, stack int64 }

func memNow() memSample {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{int64(m.HeapAlloc), int64(m.StackInuse)}
}

// waitIdle lets the reader goroutines reach their blocking point (bounded:
// the consumer design has no fixed goroutine count to wait for).
func waitIdle(atMost int) {
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() < atMost && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
}

// BenchmarkReplay reads a call's 1,000 stored events (among 10,000) from the
// start: the catch-up rate of a resuming watcher.
func BenchmarkReplay(b *testing.B) {
	l := openEmbedded(b, nil)
	ctx := context.Background()
	payload := make([]byte, benchPayload)
	batch := make([]CallEvent, 100)
	for i := 0; i < 10000; i += len(batch) {
		for k := range batch {
			batch[k] = CallEvent{CallID: fmt.Sprintf("replay-%d", (i+k)%10), EventID: benchEventID(), Payload: payload}
		}
		if _, err := l.AppendCalls(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		w, err := l.WatchCall(ctx, "replay-3", 0)
		if err != nil {
			b.Fatal(err)
		}
		for range 1000 {
			if _, err := w.Next(ctx); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}
