package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is the metrics registry and the tracing of one process.
type Telemetry struct {
	// Registry holds every metric; /metrics serves it.
	Registry *prometheus.Registry
	// Tracer makes spans: an SDK provider exporting as OTEL_* says, or a no-op one.
	Tracer trace.TracerProvider
	// Propagator reads and writes W3C traceparent/tracestate and baggage, whether or not spans
	// are exported: a caller's trace continues into ACS's requests either way.
	Propagator propagation.TextMapPropagator
	// Tracing reports whether spans are exported.
	Tracing bool

	shutdown func(context.Context) error
}

// Config names the build.
type Config struct {
	Version, Commit string
	// LookupEnv reads OTEL_* settings; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// New builds the registry and, when OTEL_TRACES_EXPORTER or an OTLP endpoint is set (and the
// exporter is not "none"), an SDK tracer provider that exports there; otherwise tracing costs
// next to nothing: the no-op provider, with the propagator still carrying incoming contexts on.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "callgate_build_info",
			Help:        "Always 1: the version and commit of the running callgate.",
			ConstLabels: prometheus.Labels{"version": cfg.Version, "commit": cfg.Commit},
		}, func() float64 { return 1 }),
	)
	t := &Telemetry{
		Registry:   reg,
		Tracer:     noop.NewTracerProvider(),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		shutdown:   func(context.Context) error { return nil },
	}
	if !tracingConfigured(cfg.LookupEnv) {
		return t, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: span exporter (OTEL_TRACES_EXPORTER): %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceVersion(cfg.Version), semconv.ServiceName(serviceName(cfg.LookupEnv))))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.Tracer, t.Tracing, t.shutdown = tp, true, tp.Shutdown
	return t, nil
}

// Nop is telemetry that records into an unexported registry and traces nothing: for tests and
// for components built without a process around them.
func Nop() *Telemetry {
	return &Telemetry{
		Registry:   prometheus.NewRegistry(),
		Tracer:     noop.NewTracerProvider(),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		shutdown:   func(context.Context) error { return nil },
	}
}

// WithTracer is t with spans going to tp (a test's in-memory exporter, say).
func (t *Telemetry) WithTracer(tp trace.TracerProvider) *Telemetry {
	c := *t
	c.Tracer, c.Tracing = tp, true
	return &c
}

// Shutdown flushes the spans not yet exported.
func (t *Telemetry) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

func tracingConfigured(lookup func(string) (string, bool)) bool {
	if v, ok := lookup("OTEL_TRACES_EXPORTER"); ok && v != "" {
		return v != "none"
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if v, ok := lookup(k); ok && v != "" {
			return true
		}
	}
	return false
}

func serviceName(lookup func(string) (string, bool)) string {
	if v, ok := lookup("OTEL_SERVICE_NAME"); ok && v != "" {
		return v
	}
	return "callgate"
}
