package gateway

import (
	"context"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/callgate/callgate/telemetry"
)

// grpcMetrics are go-grpc-middleware's server metrics: grpc_server_started_total,
// grpc_server_handled_total by method and code, grpc_server_handling_seconds.
func grpcMetrics(t *telemetry.Telemetry) *grpcprom.ServerMetrics {
	m := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets(prometheus.ExponentialBuckets(0.0001, 2, 18))))
	t.Registry.MustRegister(m)
	return m
}

// With spans exported, the servers run OpenTelemetry's instrumentation: a span per RPC (gRPC,
// REST, callbacks), a child of the caller's traceparent. Without, they only carry an incoming
// traceparent on to ACS's requests (the propagation, at the cost of a metadata lookup), rather
// than build spans nobody keeps: otelgrpc and otelhttp with a no-op tracer still cost about 90
// allocations an RPC (BENCHMARKS.md).

// grpcTracing is the server's OpenTelemetry stats handler, or nil when spans are not exported.
func grpcTracing(t *telemetry.Telemetry) []grpc.ServerOption {
	if !t.Tracing {
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithPropagators(t.Propagator)))}
}

// propagation carries an incoming traceparent into the RPC's context when no span is made for it.
type propagation struct{ t *telemetry.Telemetry }

func (p propagation) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(p.extract(ctx), req)
}

func (p propagation) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if ctx := p.extract(ss.Context()); ctx != ss.Context() {
		ss = contextStream{ServerStream: ss, ctx: ctx}
	}
	return handler(srv, ss)
}

func (p propagation) extract(ctx context.Context) context.Context {
	if p.t.Tracing {
		return ctx // otelgrpc did it
	}
	// Most calls carry no trace context: look for it before copying the metadata.
	if len(metadata.ValueFromIncomingContext(ctx, "traceparent")) == 0 {
		return ctx
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return p.t.Propagator.Extract(ctx, metadataCarrier(md))
}

// metadataCarrier reads gRPC metadata as a propagation carrier.
type metadataCarrier metadata.MD

func (c metadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// clientTracing is the REST side's: its call to the gRPC server continues the HTTP request's span.
// Without spans, grpc-gateway forwards traceparent as metadata itself (restHeader).
func clientTracing(t *telemetry.Telemetry) []grpc.DialOption {
	if !t.Tracing {
		return nil
	}
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithPropagators(t.Propagator)))}
}

// httpTracing wraps an HTTP server's handler in its OpenTelemetry span, when spans are exported.
func httpTracing(t *telemetry.Telemetry, name string, h http.Handler) http.Handler {
	if !t.Tracing {
		return h
	}
	return otelhttp.NewHandler(h, name, otelhttp.WithTracerProvider(t.Tracer), otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithSpanNameFormatter(spanName))
}

// spanName is the operation and the route of a REST request ("rest GET
// /v1/calls/{call_connection_id}": the pattern the routes set), else the method and path.
func spanName(op string, r *http.Request) string {
	if strings.Contains(r.Pattern, " ") {
		return op + " " + r.Pattern
	}
	return op + " " + r.Method + " " + r.URL.Path
}

// restMetrics are the REST routes' counterparts of the gRPC server metrics, labelled by route
// template (never by the IDs in a path).
type restMetrics struct {
	started  *prometheus.CounterVec
	handled  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRESTMetrics(t *telemetry.Telemetry) *restMetrics {
	m := &restMetrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_rest_started_total", Help: "REST requests started, by route and method.",
		}, []string{"route", "method"}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_rest_handled_total", Help: "REST requests answered, by route, method and HTTP status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callgate_rest_handling_seconds", Help: "How long REST requests took to answer (a stream: its whole life), by route and method.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}, []string{"route", "method"}),
	}
	t.Registry.MustRegister(m.started, m.handled, m.duration)
	return m
}

// observe counts a request to route ("other" when no route matched).
func (m *restMetrics) observe(w http.ResponseWriter, r *http.Request, route string, next func(http.ResponseWriter)) {
	m.started.WithLabelValues(route, r.Method).Inc()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	next(rec)
	m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	m.handled.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
}

// statusRecorder keeps a response's status; it passes Flush on, as streams need.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// adminObservability adds /metrics and pprof to the admin listener, the only one they are on.
func adminObservability(mux *http.ServeMux, t *telemetry.Telemetry) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{Registry: t.Registry}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
