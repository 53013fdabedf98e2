package acs

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Observer is told of every HTTP attempt the client makes and every retry, for metrics: package
// acs imports no metrics library, so a caller adapts this to its own. Its methods must be quick
// and safe for concurrent use.
type Observer interface {
	// Attempt reports one attempt of operation op: the HTTP status (0 when no answer came), the
	// ACS error code ("" for a success or an error without one), and how long it took.
	Attempt(op string, status int, code string, d time.Duration)
	// Retry reports that op is tried again, and why: "throttled" (429), "unavailable" (408 and
	// 5xx) or "transport" (no answer).
	Retry(op, reason string)
}

type nopObserver struct{}

func (nopObserver) Attempt(string, int, string, time.Duration) {}
func (nopObserver) Retry(string, string)                       {}

// tracerName names the spans of the client's requests.
const tracerName = "github.com/callgate/callgate/acs"

// tracing holds what the client traces with.
type tracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	// off: the provider is the no-op one, so no span is started at all (its options alone cost
	// allocations); the caller's trace context still reaches ACS, as with a no-op span.
	off bool
}

func newTracing(tp trace.TracerProvider, p propagation.TextMapPropagator) tracing {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if p == nil {
		p = otel.GetTextMapPropagator()
	}
	_, off := tp.(noop.TracerProvider)
	return tracing{tracer: tp.Tracer(tracerName), propagator: p, off: off}
}

// start begins the span of one logical request; every attempt carries its context to ACS as W3C
// traceparent, so that ACS's own logs join the caller's trace.
func (t tracing) start(ctx context.Context, cl *call) (context.Context, trace.Span) {
	if t.off {
		return ctx, noop.Span{}
	}
	attrs := []attribute.KeyValue{attribute.String("acs.operation", cl.op), attribute.String("http.request.method", cl.method)}
	if cl.callConnectionID != "" {
		attrs = append(attrs, attribute.String("callgate.call_connection_id", cl.callConnectionID))
	}
	return t.tracer.Start(ctx, "ACS "+cl.op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

func (t tracing) inject(ctx context.Context, h http.Header) {
	t.propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// end records the request's outcome on its span.
func endSpan(span trace.Span, attempts int, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(attribute.Int("acs.attempts", attempts))
	var ae *Error
	if errors.As(err, &ae) {
		span.SetAttributes(attribute.Int("http.response.status_code", ae.StatusCode), attribute.String("acs.error_code", ae.Code))
		if ae.ChainID != "" {
			span.SetAttributes(attribute.String("callgate.correlation_id", ae.ChainID))
		}
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// retryReason names why an error is retried, for the Observer.
func retryReason(err error) string {
	var ae *Error
	switch {
	case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
		return "throttled"
	case errors.As(err, &ae):
		return "unavailable"
	}
	return "transport"
}

// attemptOutcome is an attempt's status and ACS code for the Observer.
func attemptOutcome(status int, err error) (int, string) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.StatusCode, ae.Code
	}
	return status, ""
}
