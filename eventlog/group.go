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
// is not about to hand out. A pull request abandoned when ctx ends is not
// served: the server checks that its reply subject still has interest.
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
		fctx, fcancel := context.WithTimeout(mctx, groupPullWait)
		msg, err := w.group.Next(jetstream.FetchContext(fctx))
		pullExpired := expired(fctx)
		fcancel()
		if err == nil {
			meta, merr := msg.Metadata()
			if merr != nil {
				_ = msg.Term()
				continue
			}
			if derr := w.deliver(meta.Sequence.Stream); derr != nil {
				_ = msg.Nak()
				return Entry{}, derr
			}
			return Entry{
				Seq:     meta.Sequence.Stream,
				Time:    meta.Timestamp,
				EventID: msg.Headers().Get(jetstream.MsgIDHeader),
				Payload: msg.Data(),
				msg:     msg,
			}, nil
		}
		if pullExpired || mctx.Err() != nil {
			continue // the loop's first checks tell which context ended
		}
		switch {
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
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
