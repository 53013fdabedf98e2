package eventlog

import (
	"context"
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
// the replay is over (the watcher is then live). It reads ahead (a batch at a
// time), so that the watcher turns live as it returns the last replayed entry:
// a watcher that then stops reading is a slow consumer, not a replaying one.
func (w *Watcher) replayNext(ctx context.Context) (Entry, bool, error) {
	for len(w.ahead) == 0 {
		if !w.isReplaying() {
			return Entry{}, false, nil
		}
		upto, err := w.replayFill(ctx)
		if err != nil {
			return Entry{}, false, err
		}
		if len(w.ahead) > 0 {
			break
		}
		if err := w.settle(true, upto, 0); err != nil {
			return Entry{}, false, err
		}
	}
	e := w.ahead[0]
	w.ahead[0] = Entry{}
	w.ahead = w.ahead[1:]
	done, upto := false, uint64(0)
	if len(w.ahead) == 0 {
		w.ahead = nil
		// A failed look-ahead is retried by the next call, which also
		// reports a lasting failure; e is good either way.
		var err error
		upto, err = w.replayFill(ctx)
		done = err == nil && len(w.ahead) == 0
	}
	if err := w.settle(done, upto, e.Seq); err != nil {
		return Entry{}, false, err
	}
	w.log.metrics.replayReads.Inc()
	return e, true, nil
}

// replayNextUntil is replayNext with its store requests also bounded by
// idleAt (if set): when the store cannot answer by then it returns ErrIdle,
// and the replay's position (cursor, the entry read ahead) is as it was, so
// the next call goes on from there. A live watcher makes no request here and
// gets no context.
func (w *Watcher) replayNextUntil(ctx context.Context, idleAt time.Time) (Entry, bool, error) {
	if idleAt.IsZero() || (len(w.ahead) == 0 && !w.isReplaying()) {
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

// replayFill reads the next batch of stored entries up to the replay's bound
// into w.ahead, and returns that bound; none read means there is none up to
// it. On failure the replay's position is as it was.
func (w *Watcher) replayFill(ctx context.Context) (uint64, error) {
	w.mu.Lock()
	upto := w.upto
	// Back from the queue after an overflow, the replay goes on after what
	// the queue returned.
	w.cursor = max(w.cursor, w.last)
	w.mu.Unlock()
	if w.cursor >= upto {
		return upto, nil
	}
	mctx, cancel := w.mergedContext(ctx)
	defer cancel()
	if upto > w.verifiedUpto {
		// Raised by an overflow: the events dropped from the queue must be
		// stored on the leader before the replay can miss none.
		if _, err := w.leaderState(mctx, upto); err != nil {
			return upto, err
		}
		w.verifiedUpto = upto
	}
	batch, err := w.src.readBatch(mctx, w.log.nc, w.subject, w.cursor, upto, w.log.cfg.Replicas > 1)
	if err != nil {
		return upto, err
	}
	if len(batch) > 0 {
		w.ahead = batch
		w.cursor = batch[len(batch)-1].Seq
	}
	return upto, nil
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
