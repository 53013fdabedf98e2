package gateway

import (
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

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

// grpcTracing is the server's OpenTelemetry stats handler: a span per RPC, a child of the
// caller's traceparent, whose context reaches ACS's requests even when spans are not exported.
func grpcTracing(t *telemetry.Telemetry) stats.Handler {
	return otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithPropagators(t.Propagator))
}

// clientTracing is the REST side's: its call to the gRPC server continues the HTTP request's span.
func clientTracing(t *telemetry.Telemetry) grpc.DialOption {
	return grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(t.Tracer), otelgrpc.WithPropagators(t.Propagator)))
}

// httpTracing wraps an HTTP server's handler in its OpenTelemetry span.
func httpTracing(t *telemetry.Telemetry, name string, h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, name, otelhttp.WithTracerProvider(t.Tracer), otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string { return op + " " + r.Method + " " + r.URL.Path }))
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
