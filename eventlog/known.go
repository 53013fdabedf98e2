package eventlog

import (
	"context"
	"fmt"
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
		// From the leader: a replica answering a direct get may not have the call's first event yet.
		e, err := l.calls.leaderGet(ctx, l.nc, msgGetRequest{LastFor: l.calls.subject(callID)})
		found = e != nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("eventlog: events of call %q: %w", callID, err)
	}
	return found, nil
}
