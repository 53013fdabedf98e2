package eventlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// HasCallEvents reports whether the log holds any event of the call: one read of the call's last
// message, whatever the number of events in the log.
func (l *Log) HasCallEvents(ctx context.Context, callID string) (bool, error) {
	if err := checkKey("call ID", callID); err != nil {
		return false, err
	}
	if l.closed.Load() {
		return false, ErrClosed
	}
	var found bool
	err := retry(ctx, func(ctx context.Context) error {
		_, err := l.calls.stream.GetLastMsgForSubject(ctx, l.calls.subject(callID))
		switch {
		case err == nil:
			found = true
			return nil
		case errors.Is(err, jetstream.ErrMsgNotFound):
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("eventlog: events of call %q: %w", callID, err)
	}
	return found, nil
}
