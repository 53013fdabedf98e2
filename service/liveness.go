package service

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/eventlog"
)

// DefaultSilenceCheck is how long a watched call may go without an event before the gateway asks
// ACS whether it still exists. A call can be silent for an hour (two people talking), so the
// check is rare: one GetCall per silent call and interval, shared by all its watchers.
const DefaultSilenceCheck = 5 * time.Minute

// checkTimeout bounds one question to ACS about a call.
const checkTimeout = 10 * time.Second

// callChecker asks ACS whether calls exist, for every watcher of a call at once: a call watched by
// a thousand streams costs one GetCall, and an answer is reused for half the silence interval.
type callChecker struct {
	silence time.Duration // 0 turns the silence check off
	flight  singleflight.Group

	mu      sync.Mutex
	checked map[string]checked
}

type checked struct {
	at   time.Time
	gone bool
}

// maxChecked bounds the answers kept; older ones go first when it is reached.
const maxChecked = 4096

// known is nil for a call that WatchCall may watch: the log holds events of it, or ACS knows it
// (a call just placed, whose first event is on its way). A call neither has heard of is NOT_FOUND.
// When ACS cannot be asked, the watch goes ahead: the silence check asks again later.
func (k *callChecker) known(ctx context.Context, c *core, callID string) error {
	if k.silence <= 0 {
		return nil
	}
	has, err := c.events.HasCallEvents(ctx, callID)
	switch {
	case errors.Is(err, eventlog.ErrInvalidArgument):
		return watchError(err, "call_connection_id", 0)
	case err != nil || has:
		return nil // a log that cannot answer fails the watch itself, with its own status
	}
	if k.gone(ctx, c, callID) {
		return status.Errorf(codes.NotFound, "call connection %s: ACS does not know it and the gateway has no event of it", callID)
	}
	return nil
}

// gone reports whether ACS answered that it does not know the call; any other answer, or none,
// is not gone.
func (k *callChecker) gone(ctx context.Context, c *core, callID string) bool {
	now := time.Now()
	k.mu.Lock()
	if ch, ok := k.checked[callID]; ok && now.Sub(ch.at) < k.silence/2 {
		k.mu.Unlock()
		return ch.gone
	}
	k.mu.Unlock()
	v, _, _ := k.flight.Do(callID, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
		defer cancel()
		_, err := c.acs.GetCall(ctx, &acs.GetCallRequest{CallConnectionID: callID})
		gone := acs.StatusCode(err) == http.StatusNotFound
		if err != nil && !gone {
			c.log.Debug("cannot ask ACS about a call", zap.String("call_connection_id", callID), zap.Error(err))
			return false, nil
		}
		k.remember(callID, checked{at: time.Now(), gone: gone})
		return gone, nil
	})
	return v.(bool)
}

func (k *callChecker) remember(callID string, ch checked) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.checked == nil {
		k.checked = make(map[string]checked)
	}
	if len(k.checked) >= maxChecked {
		for id, old := range k.checked {
			if ch.at.Sub(old.at) >= k.silence/2 {
				delete(k.checked, id)
			}
		}
		if len(k.checked) >= maxChecked {
			clear(k.checked)
		}
	}
	k.checked[callID] = ch
}
