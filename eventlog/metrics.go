package eventlog

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// metrics are the log's Prometheus collectors, registered on Config.Metrics.
type metrics struct {
	appendCalls, appendIncoming prometheus.Observer
	appendRecordings            prometheus.Observer
	appended                    *prometheus.CounterVec
	replayReads, liveReads      prometheus.Counter
	tracer                      trace.Tracer
}

func newMetrics(l *Log, reg prometheus.Registerer, tp trace.TracerProvider) *metrics {
	appendSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "callgate_eventlog_append_seconds",
		Help:    "How long appends took until JetStream acknowledged them (a batch counts once), by stream.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"stream"})
	appended := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callgate_eventlog_appended_total",
		Help: "Events appended, by stream and outcome (stored, duplicate, failed).",
	}, []string{"stream", "outcome"})
	reads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callgate_eventlog_reads_total",
		Help: "Entries watchers read, by how: replayed from the store, or live from the shared feed.",
	}, []string{"kind"})
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "callgate_eventlog_ready",
		Help: "1 while the log can take appends (the signal /readyz gives), 0 otherwise.",
	}, func() float64 {
		// Ready bounds itself (readyTimeout) when the context has no deadline.
		if l.Ready(context.Background()) != nil {
			return 0
		}
		return 1
	})
	if reg != nil {
		reg.MustRegister(appendSeconds, appended, reads, ready)
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return &metrics{
		appendCalls:      appendSeconds.WithLabelValues("calls"),
		appendIncoming:   appendSeconds.WithLabelValues("incoming"),
		appendRecordings: appendSeconds.WithLabelValues("recordings"),
		appended:         appended,
		replayReads:      reads.WithLabelValues("replay"),
		liveReads:        reads.WithLabelValues("live"),
		tracer:           tp.Tracer("github.com/callgate/callgate/eventlog"),
	}
}

// appendSpan starts the span of an append of n events to stream.
func (m *metrics) appendSpan(ctx context.Context, stream string, n int) (context.Context, trace.Span) {
	return m.tracer.Start(ctx, "eventlog append", trace.WithAttributes(
		attribute.String("eventlog.stream", stream), attribute.Int("eventlog.events", n)))
}

// appendDone records an append of events to stream that began at start.
func (m *metrics) appendDone(span trace.Span, stream string, start time.Time, out []Appended, err error) {
	h := m.appendCalls
	switch stream {
	case "incoming":
		h = m.appendIncoming
	case "recordings":
		h = m.appendRecordings
	}
	h.Observe(time.Since(start).Seconds())
	for _, a := range out {
		switch {
		case a.Seq == 0:
			m.appended.WithLabelValues(stream, "failed").Inc()
		case a.Duplicate:
			m.appended.WithLabelValues(stream, "duplicate").Inc()
		default:
			m.appended.WithLabelValues(stream, "stored").Inc()
		}
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
