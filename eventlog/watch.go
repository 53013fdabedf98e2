package eventlog

import (
	"context"
	"fmt"
	"time"
)

// WatchCall watches one call: it replays the call's stored events with a
// sequence above afterSeq (0: from the first still stored), then follows the
// live ones, with no gap and no duplicate at the hand-over. A resume point
// the log cannot honour (events after it discarded by retention, or beyond
// the last sequence ever assigned) fails with an *OutOfRangeError.
//
// The watcher ends when ctx ends, on Close, when the Log closes, or when it
// falls behind (see Watcher).
func (l *Log) WatchCall(ctx context.Context, callID string, afterSeq uint64) (*Watcher, error) {
	if err := checkKey("call ID", callID); err != nil {
		return nil, err
	}
	w := newWatcher(l, l.calls, callID)
	w.subject = l.calls.subject(callID)
	w.arm(ctx)
	if err := l.startWatch(ctx, w, afterSeq, false); err != nil {
		return nil, fmt.Errorf("eventlog: watch call %q: %w", callID, err)
	}
	return w, nil
}

// IncomingOptions selects what WatchIncoming delivers.
type IncomingOptions struct {
	// Called keeps only the incoming calls placed to this raw identity (as
	// given to AppendIncoming); empty keeps all.
	Called string
	// AfterSeq replays the stored incoming calls after this sequence before
	// following live ones, as WatchCall does. Ignored with NewOnly or Group.
	AfterSeq uint64
	// NewOnly delivers only the incoming calls stored after the watch began.
	NewOnly bool
	// Group, when set, makes the watcher a member of a named group: each
	// incoming call is delivered to one member of the group across every
	// process sharing the NATS cluster (a durable JetStream consumer per
	// group and Called filter). A member acknowledges each Entry with
	// Entry.Ack once handed to its client; an entry not acknowledged within
	// Config.GroupAckWait (a member died, or closed with it unacknowledged) is
	// offered again, to any member, up to Config.GroupMaxDeliver times.
	// Entry.Nak offers it again at once. A new group starts with the calls
	// stored after it was first joined.
	Group string
}

// WatchIncoming watches incoming calls; see IncomingOptions.
func (l *Log) WatchIncoming(ctx context.Context, opts IncomingOptions) (*Watcher, error) {
	if opts.Called != "" {
		if err := checkKey("called identity", opts.Called); err != nil {
			return nil, err
		}
	}
	if opts.Group != "" {
		return l.joinGroup(ctx, opts)
	}
	w := newWatcher(l, l.incoming, opts.Called)
	if opts.Called == "" {
		w.subject, w.wildcard = l.incoming.prefix+">", true
	} else {
		w.subject = l.incoming.subject(opts.Called)
	}
	w.arm(ctx)
	if err := l.startWatch(ctx, w, opts.AfterSeq, opts.NewOnly); err != nil {
		return nil, fmt.Errorf("eventlog: watch incoming calls: %w", err)
	}
	return w, nil
}

// startWatch registers w for live delivery first, then sets up the replay of
// what came before, so nothing falls between the two.
func (l *Log) startWatch(ctx context.Context, w *Watcher, afterSeq uint64, newOnly bool) error {
	if l.closed.Load() {
		w.end(ErrClosed)
		<-w.afterDone
		return ErrClosed
	}
	w.last = afterSeq
	// Replaying from the start, so that an overflow before the replay
	// bounds are set extends the replay instead of cutting the watcher off.
	w.replaying = true
	fail := func(err error) error {
		w.end(err)
		<-w.afterDone
		return w.Err() // the first reason: ErrClosed if the Log closed meanwhile
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	live, err := w.src.feed.add(w)
	if err != nil {
		return fail(err)
	}
	state, err := w.leaderState(ctx, live)
	if err != nil {
		return fail(err)
	}
	if newOnly {
		// What the stream held once the watcher was registered, not what
		// the feed had dispatched, which may lag.
		afterSeq = state.LastSeq
	}
	if !newOnly && afterSeq > 0 && (afterSeq+1 < state.FirstSeq || afterSeq > state.LastSeq) {
		return fail(&OutOfRangeError{After: afterSeq, First: state.FirstSeq, Last: state.LastSeq})
	}
	w.mu.Lock()
	w.last = max(w.last, afterSeq)
	w.cursor = afterSeq
	w.upto = max(w.upto, live)
	w.replaying = afterSeq < w.upto
	w.mu.Unlock()
	w.verifiedUpto = live
	return nil
}

// groupPullWait is how long one pull request of a group member waits on the
// server; Next issues the next one when it expires.
const groupPullWait = 5 * time.Second
