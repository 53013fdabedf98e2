package callbacks

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/callgate/callgate/acsproto"
)

// Outcomes of a delivery, the label values of callgate_callbacks_total.
const (
	outcomeStored      = "stored"
	outcomeDuplicate   = "duplicate"
	outcomeStoreFailed = "store_failed"
	outcomeValidation  = "validation"
)

type metrics struct {
	deliveries *prometheus.CounterVec
	events     *prometheus.CounterVec
	known      map[string]bool // event types with their own label value
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_callbacks_total",
			Help: "Deliveries received, by endpoint (calls, eventgrid) and outcome: stored, duplicate (every event stored before), validation (an Event Grid handshake), store_failed (503: delivered again later), refused_<reason> (unauthenticated, malformed, too_large: never stored).",
		}, []string{"endpoint", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_callback_events_total",
			Help: "Events stored, by CloudEvent type (types callgate does not type count as other).",
		}, []string{"type"}),
		known: map[string]bool{"Microsoft.Communication.IncomingCall": true},
	}
	for _, t := range acsproto.EventTypes() {
		m.known[t] = true
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.events)
	}
	return m
}

func endpointOf(r *http.Request) string {
	if r.URL.Path == EventGridPath {
		return "eventgrid"
	}
	return "calls"
}

func (m *metrics) delivery(r *http.Request, outcome string) {
	m.deliveries.WithLabelValues(endpointOf(r), outcome).Inc()
}

// refusal names a refused delivery's reason by its status.
func refusal(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "refused_unauthenticated"
	case http.StatusRequestEntityTooLarge:
		return "refused_too_large"
	}
	return "refused_malformed"
}

func (m *metrics) event(eventType string) {
	if !m.known[eventType] {
		eventType = "other"
	}
	m.events.WithLabelValues(eventType).Inc()
}

// annotate puts the delivery's call on the request's span, so that a trace and a call join.
func annotate(r *http.Request, callID, correlationID string) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.String("callgate.call_connection_id", callID), attribute.String("callgate.correlation_id", correlationID))
}
