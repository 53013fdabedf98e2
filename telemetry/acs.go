package telemetry

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callgate/callgate/acs"
)

// ACSObserver counts the acs client's requests on the registry: callgate_acs_requests_total,
// callgate_acs_request_duration_seconds and callgate_acs_retries_total. The labels are the
// client's operation names, HTTP statuses and ACS error codes: bounded sets.
func (t *Telemetry) ACSObserver() acs.Observer {
	o := &acsObserver{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_acs_requests_total",
			Help: "HTTP attempts to ACS Call Automation, by operation, HTTP status (0: no answer) and ACS error code.",
		}, []string{"operation", "status", "acs_code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "callgate_acs_request_duration_seconds",
			Help:    "How long an HTTP attempt to ACS took, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"operation"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_acs_retries_total",
			Help: "Requests to ACS tried again, by operation and reason (throttled, unavailable, transport).",
		}, []string{"operation", "reason"}),
	}
	t.Registry.MustRegister(o.requests, o.duration, o.retries)
	return o
}

type acsObserver struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
}

func (o *acsObserver) Attempt(op string, status int, code string, d time.Duration) {
	if len(code) > 64 {
		code = "other" // a service's code is a short word or number; anything else is not a label
	}
	o.requests.WithLabelValues(op, strconv.Itoa(status), code).Inc()
	o.duration.WithLabelValues(op).Observe(d.Seconds())
}

func (o *acsObserver) Retry(op, reason string) { o.retries.WithLabelValues(op, reason).Inc() }
