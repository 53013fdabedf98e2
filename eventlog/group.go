package eventlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// joinGroup makes a watcher that pulls from the group's durable consumer.
// Every member, in every process, creates the same consumer (idempotent), and
// JetStream hands each message to one pending pull request: one member.
func (l *Log) joinGroup(ctx context.Context, opts IncomingOptions) (*Watcher, error) {
	if l.closed.Load() {
		return nil, ErrClosed
	}
	filter := l.incoming.prefix + ">"
	if opts.Called != "" {
		filter = l.incoming.subject(opts.Called)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:     groupConsumerName(opts.Group, filter),
		Description: "callgate incoming-call group",
		Metadata: map[string]string{
			"callgate_group":  opts.Group,
			"callgate_called": opts.Called,
		},
		FilterSubject:     filter,
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           l.cfg.GroupAckWait,
		MaxDeliver:        l.cfg.GroupMaxDeliver,
		InactiveThreshold: l.cfg.GroupInactiveThreshold,
		Replicas:          l.cfg.Replicas,
	}
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = l.incoming.stream.CreateOrUpdateConsumer(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: join group %q: %w", opts.Group, err)
	}
	w := newWatcher(l, l.incoming, opts.Called)
	w.group = cons
	w.arm(ctx)
	if err := l.addMember(w); err != nil {
		w.end(err)
		<-w.afterDone
		return nil, err
	}
	return w, nil
}

// groupConsumerName derives a valid, stable consumer name from the group and
// its filter: members that agree on both share one consumer.
func groupConsumerName(group, filter string) string {
	sum := sha256.Sum256([]byte(group + "\x00" + filter))
	return "callgate_group_" + hex.EncodeToString(sum[:16])
}

// nextGroup pulls one message at a time, so a member never holds calls it
// is not about to hand out. Each pull ends by expiring on the server rather
// than by the client giving up on it: a message the server sent just before
// an abandoned pull would reach an inbox nobody reads, and wait out
// GroupAckWait (30 s by default) before another member got it. A pull
// abandoned because ctx ended hands back at once what it still receives.
func (w *Watcher) nextGroup(ctx context.Context) (Entry, error) {
	mctx, cancel := w.mergedContext(ctx)
	defer cancel()
	wait := backoffMin
	for {
		if err := w.Err(); err != nil {
			return Entry{}, err
		}
		if expired(mctx) {
			<-mctx.Done() // its deadline passed, its timer is about to fire
			return Entry{}, w.failed(ctx, mctx.Err())
		}
		batch, err := w.group.Fetch(1, jetstream.FetchMaxWait(pullWait(mctx)))
		if err == nil {
			select {
			case msg, ok := <-batch.Messages():
				if ok {
					e, isEntry, derr := w.groupEntry(msg)
					if !isEntry && derr == nil {
						continue
					}
					return e, derr
				}
				err = batch.Error()
			case <-mctx.Done():
				go nakLate(batch)
				continue // the loop's first checks tell which context ended
			}
		}
		switch {
		case err == nil, errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
			continue // the pull expired empty
		case errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrConsumerDeleted):
			return Entry{}, w.failed(ctx, fmt.Errorf("eventlog: group consumer gone (rejoin to recreate it): %w", err))
		case transient(err):
			if serr := sleepCtx(mctx, wait); serr != nil {
				return Entry{}, w.failed(ctx, serr)
			}
			wait = min(2*wait, backoffMax)
		default:
			return Entry{}, w.failed(ctx, fmt.Errorf("eventlog: group pull: %w", err))
		}
	}
}

// groupEntry is a group delivery as an Entry; one without stream metadata is
// no entry, and terminated.
func (w *Watcher) groupEntry(msg jetstream.Msg) (Entry, bool, error) {
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return Entry{}, false, nil
	}
	if err := w.deliver(meta.Sequence.Stream); err != nil {
		_ = msg.Nak()
		return Entry{}, false, err
	}
	return Entry{
		Seq:     meta.Sequence.Stream,
		Time:    meta.Timestamp,
		EventID: msg.Headers().Get(jetstream.MsgIDHeader),
		Payload: msg.Data(),
		msg:     msg,
	}, true, nil
}

// pullWait is how long the server may hold a pull: groupPullWait, or less so
// that the pull expires (and its answer arrives) before ctx's deadline.
func pullWait(ctx context.Context) time.Duration {
	d := groupPullWait
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		d = min(d, left-min(left/10, time.Second))
	}
	return max(d, time.Millisecond)
}

// nakLate hands back at once what an abandoned pull still receives, for
// another member.
func nakLate(b jetstream.MessageBatch) {
	for m := range b.Messages() {
		_ = m.Nak()
	}
}

// expired reports a context that has ended or whose deadline has passed
// (its Err may lag the deadline by a timer tick).
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// nextGroupWithin is NextWithin for a group member: a fetch bounded by idle.
func (w *Watcher) nextGroupWithin(ctx context.Context, idle time.Duration) (Entry, error) {
	if idle <= 0 {
		return w.nextGroup(ctx)
	}
	gctx, cancel := context.WithTimeout(ctx, idle)
	defer cancel()
	e, err := w.nextGroup(gctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return Entry{}, ErrIdle
	}
	return e, err
}
