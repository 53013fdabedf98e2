package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The hand-over from replay to live delivery: a watcher registers with the
// feed first and learns the last sequence the feed had dispatched (upto);
// every later event reaches its queue live. It then reads its subject's
// stored events after its resume point up to upto from the stream leader,
// and finally takes the queue, skipping what the replay returned. No event
// falls between the two and none is returned twice.
//
// If the queue fills before the watcher has caught up (while it replays, or
// before its first Next found nothing more), it is not cut off: the queue is
// dropped and upto raised to cover it, so the replay reads those events from
// the store (a resuming watcher can be far behind and still be reading fast).
// A watcher has caught up once a replay ended or Next found nothing more to
// return; from then on a full queue cuts it off.

// replayNext returns the next stored entry of the replay, or ok false once
// the replay is over (the watcher is then live). It reads one entry ahead, so
// that the watcher turns live as it returns the last replayed entry: a
// watcher that then stops reading is a slow consumer, not a replaying one.
func (w *Watcher) replayNext(ctx context.Context) (Entry, bool, error) {
	for w.ahead == nil {
		if !w.isReplaying() {
			return Entry{}, false, nil
		}
		e, ok, upto, err := w.replayRead(ctx)
		if err != nil {
			return Entry{}, false, err
		}
		if ok {
			w.ahead = &e
			break
		}
		if err := w.settle(true, upto, 0); err != nil {
			return Entry{}, false, err
		}
	}
	e := *w.ahead
	w.ahead = nil
	// A failed look-ahead is retried by the next call, which also reports a
	// lasting failure; e is good either way.
	next, ok, upto, err := w.replayRead(ctx)
	if err == nil && ok {
		w.ahead = &next
	}
	if err := w.settle(err == nil && !ok, upto, e.Seq); err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// replayNextUntil is replayNext with its store requests also bounded by
// idleAt (if set): when the store cannot answer by then it returns ErrIdle,
// and the replay's position (cursor, the entry read ahead) is as it was, so
// the next call goes on from there. A live watcher makes no request here and
// gets no context.
func (w *Watcher) replayNextUntil(ctx context.Context, idleAt time.Time) (Entry, bool, error) {
	if idleAt.IsZero() || (w.ahead == nil && !w.isReplaying()) {
		return w.replayNext(ctx)
	}
	rctx, cancel := context.WithDeadline(ctx, idleAt)
	defer cancel()
	e, ok, err := w.replayNext(rctx)
	// Only the idle deadline turns into ErrIdle: the caller's ctx and the
	// watcher's end keep their meaning for failed.
	if err != nil && rctx.Err() != nil && ctx.Err() == nil && w.ctx.Err() == nil {
		return Entry{}, false, ErrIdle
	}
	return e, ok, err
}

// settle records seq (if non-zero) as returned and, if done and no overflow
// raised the replay's bound past upto meanwhile, ends the replay; both in one
// step, so Progress never sees the watcher live before its last replayed
// entry counts as returned.
func (w *Watcher) settle(done bool, upto, seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if seq > 0 {
		w.last = seq
	}
	if done && w.upto == upto {
		w.replaying = false
		w.caughtUp = true
	}
	return nil
}

// replayRead reads the next stored entry up to the replay's bound; ok false
// means there is none up to the bound it returns.
func (w *Watcher) replayRead(ctx context.Context) (Entry, bool, uint64, error) {
	w.mu.Lock()
	upto := w.upto
	// Back from the queue after an overflow, the replay goes on after what
	// the queue returned.
	w.cursor = max(w.cursor, w.last)
	w.mu.Unlock()
	if w.cursor >= upto {
		return Entry{}, false, upto, nil
	}
	if upto > w.verifiedUpto {
		// Raised by an overflow: the events dropped from the queue must be
		// stored on the leader before the replay can miss none.
		if _, err := w.leaderState(ctx, upto); err != nil {
			return Entry{}, false, upto, err
		}
		w.verifiedUpto = upto
	}
	raw, err := w.readAfter(ctx, w.cursor)
	if err != nil {
		return Entry{}, false, upto, err
	}
	if raw == nil || raw.Sequence > upto {
		return Entry{}, false, upto, nil // beyond upto, the feed delivers it
	}
	w.cursor = raw.Sequence
	return Entry{
		Seq:     raw.Sequence,
		Time:    raw.Time,
		EventID: raw.Header.Get(jetstream.MsgIDHeader),
		Payload: raw.Data,
	}, true, upto, nil
}

// readAfter reads the first stored message of the watcher's subject after
// seq from the stream leader, or nil if there is none.
func (w *Watcher) readAfter(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, error) {
	mctx, cancel := w.mergedContext(ctx)
	defer cancel()
	var raw *jetstream.RawStreamMsg
	err := retry(mctx, func(ctx context.Context) error {
		var err error
		raw, err = w.src.stream.GetMsg(ctx, seq+1, jetstream.WithGetMsgSubject(w.subject))
		return err
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	return raw, err
}

// leaderState returns the stream's state once its leader has stored at least
// seq. The replay reads from the leader while the feed may run on a replica
// that applied a message first: waiting here keeps the replay from missing
// an event the feed dispatched before the watcher registered.
func (w *Watcher) leaderState(ctx context.Context, seq uint64) (jetstream.StreamState, error) {
	mctx, cancel := w.mergedContext(ctx)
	defer cancel()
	var state jetstream.StreamState
	err := retry(mctx, func(ctx context.Context) error {
		info, err := w.src.stream.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.LastSeq < seq {
			return errLeaderBehind
		}
		state = info.State
		return nil
	})
	if err != nil {
		return state, fmt.Errorf("stream %s state: %w", w.src.name, err)
	}
	return state, nil
}

// errLeaderBehind is retried: a new stream leader is still catching up.
var errLeaderBehind = fmt.Errorf("eventlog: stream leader behind the live feed: %w", jetstream.ErrNoStreamResponse)
