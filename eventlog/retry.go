package eventlog

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// attemptTimeout bounds one JetStream request, so that a request lost in
	// a leader change is retried well within the caller's deadline.
	attemptTimeout = 2 * time.Second
	backoffMin     = 20 * time.Millisecond
	backoffMax     = time.Second

	// JetStream error codes worth retrying.
	errCodeClusterNotAvailable   = 10008 // no meta or stream leader yet
	errCodeDuplicateMsgInProcess = 10158 // the original of a duplicate is not committed yet
)

// retry runs op until it succeeds, fails with a permanent error, or ctx ends.
// Each attempt gets at most attemptTimeout. Retrying is safe for every op
// here: appends carry a message ID, the rest are reads or idempotent.
func retry(ctx context.Context, op func(context.Context) error) error {
	wait := backoffMin
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !transient(err) {
			if ctx.Err() != nil && transient(err) {
				return errors.Join(ctx.Err(), err)
			}
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, backoffMax)
	}
}

// transient reports errors a leader election, a reconnect or a lost reply
// explain, after which the same request may succeed.
func transient(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, jetstream.ErrNoHeartbeat):
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeClusterNotAvailable, errCodeDuplicateMsgInProcess:
			return true
		}
		return apiErr.Code == 503
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
