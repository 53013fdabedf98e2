package service_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/telemetry"
)

// BenchmarkGateway measures CreateCall and GetCall three ways against the same emulator on
// loopback, in one run: the acs client directly, through the gateway over gRPC, and through the
// REST gateway (which runs unary calls in process). The gateway's cost is the difference at p50.
//
// The emulator's targets ring for a day, so no callback work (an RS256 signature per event)
// competes for the CPU while requests are measured; the gateway logs as in production (JSON, one Info line per RPC) to
// io.Discard. Latencies are recorded per request; p50, p99 and ops/s are reported as metrics.
// One client in turn through the three ways gives the latencies; eight clients on one way at a
// time give the throughput under load.
//
//	go test -run '^$' -bench BenchmarkGateway -benchmem ./service/
func BenchmarkGateway(b *testing.B) { benchGateway(b) }

// BenchmarkGatewayTraced is BenchmarkGateway with tracing on: every span sampled, batched to an
// exporter that drops them (what an OTLP export costs the process, less the network).
//
//	go test -run '^$' -bench BenchmarkGatewayTraced -benchmem ./service/
func BenchmarkGatewayTraced(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	benchGateway(b, withTelemetry(telemetry.Nop().WithTracer(tp)))
}

func benchGateway(b *testing.B, opts ...stackOption) {
	s := newStack(b, append([]stackOption{withProductionLogging(), withEmulator(func(c *emulator.Config) {
		c.AnswerDelay, c.InvitationTimeout = 24*time.Hour, 24*time.Hour
	})}, opts...)...)
	ctx := context.Background()
	callee := s.acsUser()
	ringing, err := s.ACS.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser(callee)}, CallbackURI: s.Deps.CallbackURL})
	if err != nil {
		b.Fatal(err)
	}
	callID := ringing.CallConnectionID
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(httpClient.CloseIdleConnections)
	createBody := fmt.Sprintf(`{"targets":[{"communicationUser":{"id":%q}}]}`, callee)

	ops := map[string]map[string]func(context.Context) error{
		"CreateCall": {
			"direct": func(ctx context.Context) error {
				_, err := s.ACS.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser(callee)}, CallbackURI: s.Deps.CallbackURL})
				return err
			},
			"grpc": func(ctx context.Context) error {
				_, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}})
				return err
			},
			"rest": func(ctx context.Context) error {
				return restCall(ctx, httpClient, http.MethodPost, s.RESTURL+"/v1/calls", createBody)
			},
		},
		"GetCall": {
			"direct": func(ctx context.Context) error {
				_, err := s.ACS.GetCall(ctx, &acs.GetCallRequest{CallConnectionID: callID})
				return err
			},
			"grpc": func(ctx context.Context) error {
				_, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: callID})
				return err
			},
			"rest": func(ctx context.Context) error {
				return restCall(ctx, httpClient, http.MethodGet, s.RESTURL+"/v1/calls/"+callID, "")
			},
		},
	}

	// "handler" calls the service's handler with no server around it: what callgate's own work
	// (validation, translation, the answer) adds to the ACS request.
	ops["GetCall"]["handler"] = func(ctx context.Context) error {
		_, err := s.CallHandlers.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: callID})
		return err
	}
	ops["CreateCall"]["handler"] = func(ctx context.Context) error {
		_, err := s.CallHandlers.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}})
		return err
	}
	// The floors are what the same client and servers cost with no call work: a gRPC health check
	// through the same connection and interceptor chain, and a GET of the admin listener's
	// /healthz, so that a run says how much of what the gateway adds is the transport's. grpc-bare
	// is the health check on a bare grpc-go server and client: the transport's own round trip.
	bare := bareHealth(b, nil)
	floors := map[string]func(context.Context) error{
		"grpc-floor": func(ctx context.Context) error {
			_, err := s.Health.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		},
		"grpc-bare": func(ctx context.Context) error {
			_, err := bare.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		},
		"rest-floor": func(ctx context.Context) error {
			return restCall(ctx, httpClient, http.MethodGet, s.AdminURL+"/healthz", "")
		},
	}
	// The proxies are a gateway that does nothing but the ACS request: a bare grpc-go server whose
	// one handler makes it (grpc-proxy), and a net/http handler that does (rest-proxy). What they add to direct is what any gateway on these libraries adds (the
	// hand-offs between the client's, the server's and the ACS client's goroutines); their
	// parallel8 share of direct throughput is the most any gateway keeps.
	for _, op := range []string{"CreateCall", "GetCall"} {
		direct := ops[op]["direct"]
		proxy := bareHealth(b, direct)
		ops[op]["grpc-proxy"] = func(ctx context.Context) error {
			_, err := proxy.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		}
		restProxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if err := direct(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.WriteString(w, "{}")
		}))
		b.Cleanup(restProxy.Close)
		method, body := http.MethodGet, ""
		if op == "CreateCall" {
			method, body = http.MethodPost, createBody // the same request body as callgate's REST
		}
		ops[op]["rest-proxy"] = func(ctx context.Context) error {
			return restCall(ctx, httpClient, method, restProxy.URL, body)
		}
	}
	// rest-gateway is grpc-gateway itself, with callgate's JSON options, registered in process to
	// a server whose methods make the ACS request and answer what callgate answers: what REST from
	// the protos through grpc-gateway and protojson adds, with no interceptor, validation or
	// translation.
	ops["CreateCall"]["rest-gateway"], ops["GetCall"]["rest-gateway"] = gatewayFloor(b, s, httpClient, ops, createBody, callID)
	ways := []string{"direct", "grpc", "rest", "grpc-proxy", "rest-proxy", "rest-gateway"}
	for _, op := range []string{"CreateCall", "GetCall"} {
		maps.Copy(ops[op], floors)
		b.Run(op, func(b *testing.B) {
			measureInterleaved(b, append(ways, "handler", "grpc-floor", "grpc-bare", "rest-floor"), ops[op])
		})
		for _, via := range ways {
			b.Run(op+"/"+via+"/parallel8", func(b *testing.B) { measureParallel(b, 8, ops[op][via]) })
		}
		for _, via := range append(ways, "grpc-bare") {
			b.Run(op+"/"+via+"/alone", func(b *testing.B) { measureInterleaved(b, []string{via}, ops[op]) })
		}
	}
}

func restCall(ctx context.Context, c *http.Client, method, url, body string) error {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d", method, url, resp.StatusCode)
	}
	return nil
}

// measureInterleaved calls each way in turn, b.N times, rotating the order, so that whatever
// drifts during the run (the emulator's growing state, the GC, other load) weighs on every way
// alike. It reports each way's p50, p99 and ops/s, and what "grpc", "rest", "handler" and the
// floors add to "direct" at p50 when both ran. Given one way, it is that way alone in a loop:
// warmer than interleaved, what a client making one kind of call in a row sees.
func measureInterleaved(b *testing.B, ways []string, fns map[string]func(context.Context) error) {
	ctx := context.Background()
	lat := make(map[string][]time.Duration, len(ways))
	for _, via := range ways {
		lat[via] = make([]time.Duration, 0, b.N)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for j := range ways {
			via := ways[(i+j)%len(ways)]
			t0 := time.Now()
			if err := fns[via](ctx); err != nil {
				b.Fatalf("%s: %v", via, err)
			}
			lat[via] = append(lat[via], time.Since(t0))
		}
	}
	b.StopTimer()
	p50 := make(map[string]time.Duration, len(ways))
	for _, via := range ways {
		p50[via] = report(b, via+"-", lat[via], sum(lat[via]))
	}
	direct, ok := p50["direct"]
	for _, via := range []string{"grpc", "rest", "handler", "grpc-proxy", "rest-proxy", "rest-gateway"} {
		if d, measured := p50[via]; ok && measured {
			b.ReportMetric(float64(d-direct)/float64(time.Microsecond), via+"-adds-p50-µs")
		}
	}
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// measureParallel runs fn from `clients` goroutines, for throughput under concurrency.
func measureParallel(b *testing.B, clients int, fn func(context.Context) error) {
	ctx := context.Background()
	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	b.SetParallelism((clients + 1) / 2) // times GOMAXPROCS (2 on the benchmark machine)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := fn(ctx); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, "", lat, elapsed)
}

// report sorts lat and reports its p50, p99 and throughput (requests over elapsed) as metrics
// named with prefix.
func report(b *testing.B, prefix string, lat []time.Duration, elapsed time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.ReportMetric(float64(p50)/float64(time.Microsecond), prefix+"p50-µs")
	b.ReportMetric(float64(p99)/float64(time.Microsecond), prefix+"p99-µs")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), prefix+"ops/s")
	return p50
}

// bareHealth is a grpc-go server, through a client with no options, serving the health service:
// its Check answers at once, or once call (if not nil) has returned. Its one option is the one
// callgate's server takes for speed: stream workers, which spare most RPCs a new goroutine.
func bareHealth(b *testing.B, call func(context.Context) error) healthpb.HealthClient {
	srv := grpc.NewServer(grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))))
	if call == nil {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	} else {
		healthpb.RegisterHealthServer(srv, proxyHealth{call: call})
	}
	ln := listenLoopback(b)
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(srv.Stop)
	return healthpb.NewHealthClient(dial(b, ln.Addr().String()))
}

// proxyHealth's Check makes one call and answers.
type proxyHealth struct {
	healthpb.UnimplementedHealthServer
	call func(context.Context) error
}

func (p proxyHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := p.call(ctx); err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// gatewayFloor serves CreateCall and GetCall through grpc-gateway alone (see benchGateway) and
// returns a client call of each.
func gatewayFloor(b *testing.B, s *stack, c *http.Client, ops map[string]map[string]func(context.Context) error, createBody, callID string) (create, get func(context.Context) error) {
	ctx := context.Background()
	created, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}})
	if err != nil {
		b.Fatal(err)
	}
	got, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: callID})
	if err != nil {
		b.Fatal(err)
	}
	// callgate's JSON options are protojson's zero ones (gateway/restjson.go); grpc-gateway's
	// default marshaler would emit unpopulated fields.
	mux := gwruntime.NewServeMux(gwruntime.WithMarshalerOption(gwruntime.MIMEWildcard, &gwruntime.HTTPBodyMarshaler{Marshaler: &gwruntime.JSONPb{}}))
	floor := &floorCalls{create: ops["CreateCall"]["direct"], get: ops["GetCall"]["direct"], created: created, got: got}
	if err := callgatev1.RegisterCallServiceHandlerServer(ctx, mux, floor); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	create = func(ctx context.Context) error {
		return restCall(ctx, c, http.MethodPost, srv.URL+"/v1/calls", createBody)
	}
	get = func(ctx context.Context) error {
		return restCall(ctx, c, http.MethodGet, srv.URL+"/v1/calls/"+callID, "")
	}
	return create, get
}

// floorCalls makes the ACS request of CreateCall and GetCall and answers with callgate's own
// answers, made once.
type floorCalls struct {
	callgatev1.UnimplementedCallServiceServer
	create, get func(context.Context) error
	created     *callgatev1.CreateCallResponse
	got         *callgatev1.GetCallResponse
}

func (f *floorCalls) CreateCall(ctx context.Context, _ *callgatev1.CreateCallRequest) (*callgatev1.CreateCallResponse, error) {
	return f.created, f.create(ctx)
}

func (f *floorCalls) GetCall(ctx context.Context, _ *callgatev1.GetCallRequest) (*callgatev1.GetCallResponse, error) {
	return f.got, f.get(ctx)
}
