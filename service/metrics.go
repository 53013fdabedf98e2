package service

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the services' Prometheus collectors, registered on Deps.Metrics.
type metrics struct {
	watchCall, watchIncoming streamMetrics
	watchRecordings          streamMetrics
	// downloaded counts the recording bytes DownloadRecording sent.
	downloaded prometheus.Counter
	lag        prometheus.Histogram
	waits      *prometheus.CounterVec
	ended      *prometheus.CounterVec
}

// streamMetrics are one streaming RPC's, resolved once: a send costs an atomic add.
type streamMetrics struct {
	rpc        string
	watchers   prometheus.Gauge
	events     prometheus.Counter
	heartbeats prometheus.Counter
}

// Reasons a stream ends, the label values of callgate_streams_ended_total.
const (
	endDone         = "done"
	endClient       = "client"
	endSlowConsumer = "slow_consumer"
	endShutdown     = "shutting_down"
	endLogClosed    = "log_closed"
	endLogFailure   = "log_failure"
	endCallGone     = "call_gone"
	endSendFailed   = "send_failed"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	watchers := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "callgate_watchers",
		Help: "Open streams, by RPC (WatchCall, WatchIncomingCalls, WatchRecordings).",
	}, []string{"rpc"})
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callgate_stream_events_total",
		Help: "Events sent on streams, by RPC.",
	}, []string{"rpc"})
	heartbeats := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callgate_stream_heartbeats_total",
		Help: "Heartbeats sent on idle streams, by RPC.",
	}, []string{"rpc"})
	m := &metrics{
		downloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callgate_recording_download_bytes_total",
			Help: "Bytes of recording files DownloadRecording sent.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "callgate_delivery_lag_seconds",
			Help:    "From the moment the log stored an event to its send on a stream (replayed events included).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_waits_total",
			Help: "RPCs that waited for their outcome, by how the wait ended: succeeded, failed (a failure event), deadline, shutting_down, wait_failed, canceled.",
		}, []string{"outcome"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callgate_streams_ended_total",
			Help: "Streams ended, by RPC and reason: done (after CallDisconnected), client, slow_consumer, shutting_down, log_closed, log_failure, call_gone, send_failed.",
		}, []string{"rpc", "reason"}),
	}
	for _, s := range []struct {
		rpc string
		m   *streamMetrics
	}{{"WatchCall", &m.watchCall}, {"WatchIncomingCalls", &m.watchIncoming}, {"WatchRecordings", &m.watchRecordings}} {
		*s.m = streamMetrics{rpc: s.rpc, watchers: watchers.WithLabelValues(s.rpc), events: events.WithLabelValues(s.rpc), heartbeats: heartbeats.WithLabelValues(s.rpc)}
	}
	if reg != nil {
		reg.MustRegister(watchers, events, heartbeats, m.lag, m.waits, m.ended, m.downloaded)
	}
	return m
}
