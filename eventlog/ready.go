package eventlog

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Ready reports whether the log can take appends now: connected to NATS, and the call stream
// answering (in a cluster: it has a leader). Meant for readiness probes, so that a replica cut
// off from the log stops receiving callbacks it could not store.
func (l *Log) Ready(ctx context.Context) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if s := l.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("eventlog: NATS connection is %s", s)
	}
	if _, err := l.calls.stream.Info(ctx); err != nil {
		return fmt.Errorf("eventlog: stream %s: %w", l.calls.name, err)
	}
	return nil
}
