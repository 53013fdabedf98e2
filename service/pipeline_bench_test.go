package service_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/gcdefaults"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

// The benchmarks below drive a gateway replica (embedded event log, callbacks handler, CallService
// over gRPC) that runs in a child process: the test binary again, in the mode TestMain selects
// with CALLGATE_BENCH_REPLICA. Load and watchers run in this process, so the replica's memory is
// its own and its CPU is shared only as it would be with clients on the same two cores.
//
//	go test -run '^$' -bench 'BenchmarkCallbacks' -benchtime=20000x ./service/
//	go test -run '^$' -bench 'BenchmarkIdleWatch' -benchtime=1x ./service/

const (
	benchReplicaEnv = "CALLGATE_BENCH_REPLICA"
	// benchNATSEnv, when set, makes the replica use that NATS cluster (R3 streams) instead of an
	// embedded server.
	benchNATSEnv = "CALLGATE_BENCH_NATS_URL"
	// benchLoadGOGCEnv sets the load generator's GOGC alone ("off", or a percentage), where GOGC
	// would set the replica's too: its collections pause its 1,000 watchers at once, and how
	// much of a latency that is shows by turning them off (BENCHMARKS.md).
	benchLoadGOGCEnv = "CALLGATE_BENCH_LOAD_GOGC"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(benchReplicaEnv); dir != "" {
		if os.Getenv(benchFloorEnv) != "" {
			os.Exit(serveFloorReplica(dir))
		}
		os.Exit(serveBenchReplica(dir))
	}
	if v := os.Getenv(benchLoadGOGCEnv); v != "" {
		percent, err := strconv.Atoi(v)
		if v == "off" {
			percent, err = -1, nil
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q: not off or a percentage\n", benchLoadGOGCEnv, v)
			os.Exit(2)
		}
		debug.SetGCPercent(percent)
	}
	os.Exit(m.Run())
}

// serveBenchReplica runs a replica on dir, prints its addresses, answers "mem" on stdin with its
// heap and stack in use after a GC, and stops at the end of stdin.
func serveBenchReplica(dir string) int {
	ctx := context.Background()
	if stop := profileReplica(); stop != nil {
		defer stop()
	}
	gcdefaults.Apply(os.LookupEnv) // as cmd/callgate does
	logCfg := eventlog.Config{DataDir: dir, Logger: zap.NewNop()}
	if url := os.Getenv(benchNATSEnv); url != "" {
		logCfg = eventlog.Config{NATSURL: url, Replicas: 3, Logger: zap.NewNop()}
	}
	events, err := eventlog.Open(ctx, logCfg)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer events.Close()
	cb, err := callbacks.New(callbacks.Config{Secret: replicaSecret, Logger: zap.NewNop()}, events)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer cb.Close()
	emu, err := emulator.New(emulator.Config{AccessKey: randomBytes(32)})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer emu.Close()
	emuServer := httptest.NewServer(emu.Handler())
	defer emuServer.Close()
	emu.SetBaseURL(emuServer.URL)
	client, err := acs.NewClientFromConnectionString(emu.ConnectionString(emuServer.URL), acs.Config{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	var lns gateway.Listeners
	for _, ln := range []*net.Listener{&lns.GRPC, &lns.HTTP, &lns.Callbacks, &lns.Admin} {
		if *ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			fmt.Println("error", err)
			return 1
		}
	}
	base := "http://" + lns.Callbacks.Addr().String()
	heartbeat, _ := time.ParseDuration(os.Getenv("CALLGATE_BENCH_HEARTBEAT"))
	services, err := service.New(service.Deps{ACS: client, Events: events, CallbackURL: cb.CallbackURL(base),
		Heartbeat: heartbeat, SilenceCheck: -1, Logger: zap.NewNop()})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	// The gateway serves grpc.health.v1, whose Watch is the lightest idle stream grpc-go serves:
	// the baseline that says how much of a watcher's memory is grpc-go's own.
	g, err := gateway.New(gateway.Config{Logger: zap.NewNop()}, lns, gateway.Parts{Services: services, Callbacks: cb})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	gctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- g.Serve(gctx) }()
	defer func() { stop(); <-served }()
	fmt.Printf("grpc %s callbacks %s\n", lns.GRPC.Addr(), cb.CallbackURL(base))
	answerControl()
	return 0
}

// answerControl answers the benchmark on stdin until it ends: "mem" with the heap and stacks in
// use after a GC and the goroutines, "cpu" with the CPU time used so far.
func answerControl() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "mem" {
			// Stacks shrink by half per collection: a long-running process gets there.
			for range 4 {
				runtime.GC()
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Printf("mem %d %d %d\n", ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine())
		}
		if sc.Text() == "cpu" {
			fmt.Printf("cpu %d\n", processCPU())
		}
	}
}

// profileReplica writes the replica's CPU profile, and its allocations at the end, to the files
// CALLGATE_BENCH_PROFILE names (<name>.cpu, <name>.allocs): the benchmark's own -cpuprofile sees
// only the load generator.
func profileReplica() (stop func()) {
	name := os.Getenv("CALLGATE_BENCH_PROFILE")
	if name == "" {
		return nil
	}
	cpu, err := os.Create(name + ".cpu")
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return nil
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		_ = cpu.Close()
		if f, err := os.Create(name + ".allocs"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			_ = f.Close()
		}
	}
}

// benchReplica is the child process as the benchmark sees it.
type benchReplica struct {
	calls     []callgatev1.CallServiceClient
	health    []healthpb.HealthClient
	callbacks string
	stdin     io.WriteCloser
	stdout    *bufio.Scanner
	http      *http.Client
}

func startBenchReplica(b *testing.B, heartbeat time.Duration) *benchReplica {
	return startBenchReplicaOn(b, heartbeat, "")
}

// startBenchReplicaOn starts a replica on the NATS cluster at natsURL (empty: embedded).
func startBenchReplicaOn(b *testing.B, heartbeat time.Duration, natsURL string) *benchReplica {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchReplicaEnv+"="+b.TempDir(), "CALLGATE_BENCH_HEARTBEAT="+heartbeat.String(), benchNATSEnv+"="+natsURL)
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		// What gcdefaults derives from the Helm chart's 1 GiB memory limit (deploy/helm/callgate values.yaml); GOMEMLIMIT=off
		// runs the replica with Go's defaults instead.
		cmd.Env = append(cmd.Env, "GOMEMLIMIT=921MiB")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &benchReplica{stdin: stdin, stdout: bufio.NewScanner(stdout),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}}
	b.Cleanup(func() {
		r.http.CloseIdleConnections()
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	if !r.stdout.Scan() {
		b.Fatal("the replica did not start")
	}
	var grpcAddr string
	if _, err := fmt.Sscanf(r.stdout.Text(), "grpc %s callbacks %s", &grpcAddr, &r.callbacks); err != nil {
		b.Fatalf("replica said %q", r.stdout.Text())
	}
	// Several connections, as several client processes would have.
	for range 8 {
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		r.calls = append(r.calls, callgatev1.NewCallServiceClient(conn))
		r.health = append(r.health, healthpb.NewHealthClient(conn))
	}
	return r
}

// mem is the replica's heap and stacks in use, after a GC.
func (r *benchReplica) mem(b *testing.B) (heap, stack uint64, goroutines int) {
	b.Helper()
	if _, err := io.WriteString(r.stdin, "mem\n"); err != nil {
		b.Fatal(err)
	}
	if !r.stdout.Scan() {
		b.Fatal("the replica stopped")
	}
	if _, err := fmt.Sscanf(r.stdout.Text(), "mem %d %d %d", &heap, &stack, &goroutines); err != nil {
		b.Fatalf("replica said %q", r.stdout.Text())
	}
	return heap, stack, goroutines
}

// cpu is the CPU time the replica has used so far (user and system).
func (r *benchReplica) cpu(b *testing.B) time.Duration {
	b.Helper()
	if _, err := io.WriteString(r.stdin, "cpu\n"); err != nil {
		b.Fatal(err)
	}
	if !r.stdout.Scan() {
		b.Fatal("the replica stopped")
	}
	var d time.Duration
	if _, err := fmt.Sscanf(r.stdout.Text(), "cpu %d", &d); err != nil {
		b.Fatalf("replica said %q", r.stdout.Text())
	}
	return d
}

// post delivers one event the way ACS does: alone in a JSON array. Its CloudEvent time is when it
// was due to be sent, which the watchers read back to measure latency.
func (r *benchReplica) post(ctx context.Context, callID string, n int, due time.Time) error {
	body := fmt.Sprintf(`[{"id":"%s-%d","source":"calling/callConnections/%s","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0","time":%q,"data":{"callConnectionId":%q,"correlationId":"c","serverCallId":"c2VydmVyLWNhbGw","sequenceNumber":%d,"participants":[{"identifier":{"kind":"communicationUser","rawId":"8:acs:a","communicationUser":{"id":"8:acs:a"}},"isMuted":false},{"identifier":{"kind":"phoneNumber","rawId":"4:+16471234567","phoneNumber":{"value":"+16471234567"}},"isMuted":false}]}}]`,
		callID, n, callID, due.UTC().Format(time.RFC3339Nano), callID, n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.callbacks, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback answered %d", resp.StatusCode)
	}
	return nil
}

// watchers opens perCall WatchCall streams on each call and returns once every stream has been
// served its first heartbeat (so the replica follows the log for it). Each delivery's latency,
// from the moment its event was due to be posted, goes to the returned recorder.
type deliveries struct {
	mu        sync.Mutex
	latencies []time.Duration
	count     atomic.Int64
	failed    atomic.Int64
	running   sync.WaitGroup
}

// collect ends the watchers (cancel is their context's) and returns every latency, sorted.
func (d *deliveries) collect(cancel context.CancelFunc) []time.Duration {
	cancel()
	d.running.Wait()
	slices.Sort(d.latencies)
	return d.latencies
}

func (r *benchReplica) watchers(b *testing.B, ctx context.Context, calls []string, perCall int) *deliveries {
	b.Helper()
	return watchersOn(b, ctx, []*benchReplica{r}, calls, perCall)
}

// watchersOn opens the streams spread over the replicas' connections, a call's watchers on
// several replicas.
func watchersOn(b *testing.B, ctx context.Context, rs []*benchReplica, calls []string, perCall int) *deliveries {
	b.Helper()
	d := &deliveries{}
	var ready sync.WaitGroup
	n := 0
	for _, callID := range calls {
		for range perCall {
			r := rs[n%len(rs)]
			client := r.calls[(n/len(rs))%len(r.calls)]
			n++
			ready.Add(1)
			d.running.Add(1)
			go func() {
				defer d.running.Done()
				s, err := client.WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: callID}, grpc.ForceCodecV2(rawResponses{}))
				if err != nil {
					d.failed.Add(1)
					ready.Done()
					return
				}
				first := true
				var local []time.Duration
				defer func() {
					d.mu.Lock()
					d.latencies = append(d.latencies, local...)
					d.mu.Unlock()
				}()
				for {
					m, err := s.Recv()
					if first {
						first = false
						ready.Done()
					}
					if err != nil {
						if ctx.Err() == nil {
							d.failed.Add(1)
						}
						return
					}
					if due, ok := eventTime(m.ProtoReflect().GetUnknown()); ok {
						local = append(local, time.Since(due))
						d.count.Add(1)
					}
				}
			}()
		}
	}
	ready.Wait()
	return d
}

func callIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return ids
}

// waitDeliveries waits until want deliveries arrived (or none for a while).
func (d *deliveries) wait(b *testing.B, want int64) {
	b.Helper()
	last, since := d.count.Load(), time.Now()
	for d.count.Load() < want {
		if n := d.count.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 10*time.Second {
			b.Fatalf("%d of %d deliveries, none for 10 s (%d watchers failed)", n, want, d.failed.Load())
		}
		time.Sleep(5 * time.Millisecond) // polling a counter: there is no event to wait on per delivery
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// BenchmarkCallbacksToWatchers posts b.N callbacks at 2,000 events/s, one event per POST as ACS
// does, spread over 100 calls with 10 watchers each (1,000 WatchCall streams), and reports the
// callback-to-watcher latency: from the moment each POST was due (so a late sender counts against
// the gateway too) to the watcher's Recv.
func BenchmarkCallbacksToWatchers(b *testing.B) {
	callbacksToWatchers(b, []*benchReplica{startBenchReplica(b, 500*time.Millisecond)}, 100, 10, 2000)
}

// callbacksToWatchers is BenchmarkCallbacksToWatchers for a number of calls, watchers per call
// and events per second, with the POSTs and the watchers spread over replicas.
func callbacksToWatchers(b *testing.B, rs []*benchReplica, calls, perCall, rate int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := callIDs("latency", calls)
	d := watchersOn(b, ctx, rs, ids, perCall)

	work := make(chan int, 1024) // posters lag behind the schedule at most this far before it shows
	var posters sync.WaitGroup
	var postErr atomic.Value
	// Each POST's lag behind its schedule as it is sent: the sender's own share of the latency.
	lags := make([][]time.Duration, 64)
	cpu0, sender0 := replicasCPU(b, rs), processCPU()
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for p := range 64 {
		posters.Go(func() {
			for i := range work {
				due := start.Add(time.Duration(i) * interval)
				lags[p] = append(lags[p], time.Since(due))
				if err := rs[i%len(rs)].post(ctx, ids[i%calls], i, due); err != nil {
					postErr.Store(err)
				}
			}
		})
	}
	b.ResetTimer()
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		work <- i
	}
	close(work)
	posters.Wait()
	if err := postErr.Load(); err != nil {
		b.Fatal(err)
	}
	d.wait(b, int64(b.N*perCall))
	elapsed := time.Since(start)
	b.StopTimer()
	cpu, senderCPU := replicasCPU(b, rs)-cpu0, processCPU()-sender0
	lat := d.collect(cancel)
	senderLag := slices.Concat(lags...)
	slices.Sort(senderLag)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(percentile(senderLag, 0.99).Microseconds())/1000, "sender-lag-p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "replica-cpu-us/event")
	b.ReportMetric(float64(senderCPU.Microseconds())/float64(b.N), "load-cpu-us/event")
	b.ReportMetric(float64(d.failed.Load()), "watchers-failed")
}

// processCPU is the CPU time this process has used so far, user and system. In the benchmark's
// process that is the load generator (senders and watchers; and the NATS cluster when the
// benchmark runs one): a replica, its child, is not counted in it.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func replicasCPU(b *testing.B, rs []*benchReplica) time.Duration {
	var d time.Duration
	for _, r := range rs {
		d += r.cpu(b)
	}
	return d
}

// BenchmarkCallbacksIngest posts b.N callbacks as fast as 64 concurrent senders can, with the
// same 1,000 watchers following, and reports the sustained rate of acknowledged callbacks.
func BenchmarkCallbacksIngest(b *testing.B) {
	callbacksIngest(b, []*benchReplica{startBenchReplica(b, 500*time.Millisecond)})
}

// callbacksIngest is BenchmarkCallbacksIngest with the POSTs and watchers spread over replicas.
func callbacksIngest(b *testing.B, rs []*benchReplica) {
	const calls, perCall = 100, 10
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := callIDs("ingest", calls)
	d := watchersOn(b, ctx, rs, ids, perCall)

	var next atomic.Int64
	var posters sync.WaitGroup
	var postErr atomic.Value
	cpu0, sender0 := replicasCPU(b, rs), processCPU()
	b.ResetTimer()
	start := time.Now()
	for range 64 {
		posters.Go(func() {
			for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
				if err := rs[i%len(rs)].post(ctx, ids[i%calls], i, time.Now()); err != nil {
					postErr.Store(err)
				}
			}
		})
	}
	posters.Wait()
	acked := time.Since(start)
	if err := postErr.Load(); err != nil {
		b.Fatal(err)
	}
	d.wait(b, int64(b.N*perCall))
	delivered := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64((replicasCPU(b, rs)-cpu0).Microseconds())/float64(b.N), "replica-cpu-us/event")
	b.ReportMetric(float64((processCPU()-sender0).Microseconds())/float64(b.N), "load-cpu-us/event")
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked-events/s")
	b.ReportMetric(float64(b.N*perCall)/delivered.Seconds(), "deliveries/s")
	b.ReportMetric(float64(d.failed.Load()), "watchers-failed")
}

// BenchmarkIdleWatcherMemory opens 1,000 WatchCall streams on calls with no events and reports
// the replica's heap and stack growth per stream (gRPC stream, handler goroutine, log watcher);
// "grpc-baseline" is the same for grpc.health.v1 Watch streams, grpc-go's own share.
func BenchmarkIdleWatcherMemory(b *testing.B) {
	b.Run("watchcall", func(b *testing.B) {
		idleMemory(b, 1000, func(r *benchReplica, ctx context.Context, n int) {
			r.watchers(b, ctx, callIDs(fmt.Sprintf("idle-%d", time.Now().UnixNano()), n), 1)
		})
	})
	// The same beyond the first ten thousand: how a stream's cost moves with the streams open.
	b.Run("watchcall-10000", func(b *testing.B) {
		idleMemory(b, 10000, func(r *benchReplica, ctx context.Context, n int) {
			r.watchers(b, ctx, callIDs(fmt.Sprintf("idle-%d", time.Now().UnixNano()), n), 1)
		})
	})
	// Streams that each sent an event before they went idle: the send path's stack counts too.
	b.Run("watchcall-after-event", func(b *testing.B) {
		idleMemory(b, 1000, func(r *benchReplica, ctx context.Context, n int) {
			calls := callIDs(fmt.Sprintf("idle-%d", time.Now().UnixNano()), n)
			d := r.watchers(b, ctx, calls, 1)
			for i, id := range calls {
				if err := r.post(ctx, id, i, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			d.wait(b, int64(n))
		})
	})
	b.Run("grpc-baseline", func(b *testing.B) {
		idleMemory(b, 1000, func(r *benchReplica, ctx context.Context, n int) {
			var ready sync.WaitGroup
			for i := range n {
				ready.Add(1)
				go func() {
					s, err := r.health[i%len(r.health)].Watch(ctx, &healthpb.HealthCheckRequest{})
					if err == nil {
						_, err = s.Recv() // the current status: the stream is being served
					}
					ready.Done()
					if err != nil {
						return
					}
					for {
						if _, err := s.Recv(); err != nil {
							return
						}
					}
				}()
			}
			ready.Wait()
		})
	})
}

func idleMemory(b *testing.B, watchers int, open func(r *benchReplica, ctx context.Context, n int)) {
	r := startBenchReplica(b, 500*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A first batch of streams warms what grows once (NATS buffers, caches); the next as many are
	// what each further stream costs.
	open(r, ctx, watchers)
	for range b.N {
		heap0, stack0, g0 := r.mem(b)
		open(r, ctx, watchers)
		heap1, stack1, g1 := r.mem(b)
		b.ReportMetric(float64(heap1+stack1-heap0-stack0)/float64(watchers), "bytes/watcher")
		b.ReportMetric(float64(heap1-heap0)/float64(watchers), "heap-bytes/watcher")
		b.ReportMetric(float64(stack1-stack0)/float64(watchers), "stack-bytes/watcher")
		b.ReportMetric(float64(g1-g0)/float64(watchers), "goroutines/watcher")
	}
}

// rawResponses is the benchmark watchers' codec: a WatchCallResponse is kept as its encoded bytes
// (its unknown fields) instead of being decoded, because the watchers share this machine's two
// cores with the gateway, as real clients on other machines would not.
type rawResponses struct{}

func (rawResponses) Name() string { return "proto" }

func (rawResponses) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (rawResponses) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(*callgatev1.WatchCallResponse); ok {
		m.ProtoReflect().SetUnknown(data.Materialize())
		return nil
	}
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}

// eventTime reads event.time out of an encoded WatchCallResponse: false for a heartbeat.
func eventTime(b []byte) (time.Time, bool) {
	event := encodedField(b, 1) // WatchCallResponse.event
	if event == nil {
		return time.Time{}, false
	}
	ts := encodedField(event, 4) // CallEvent.time
	var secs, nanos uint64
	for len(ts) > 0 {
		num, _, n := protowire.ConsumeTag(ts)
		v, m := protowire.ConsumeVarint(ts[n:])
		if n < 0 || m < 0 {
			return time.Time{}, false
		}
		switch num {
		case 1:
			secs = v
		case 2:
			nanos = v
		}
		ts = ts[n+m:]
	}
	return time.Unix(int64(secs), int64(nanos)), true
}

// encodedField returns the bytes of the first length-delimited field num of an encoded message.
func encodedField(b []byte, num protowire.Number) []byte {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			return v
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil
		}
		b = b[l:]
	}
	return nil
}
