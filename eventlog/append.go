package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishAsyncMaxPending bounds the acknowledgements a batch append may have
// outstanding; a larger batch waits for earlier acks before sending more.
const publishAsyncMaxPending = 4096

// CallEvent is one event of a batch append.
type CallEvent struct {
	CallID  string
	EventID string
	Payload []byte
}

// Appended is the outcome of one append: the stream sequence of the stored
// event, and whether the event ID had been stored before (then Seq is the
// sequence of that first copy, and nothing new was written).
type Appended struct {
	Seq       uint64
	Duplicate bool
}

// AppendCall stores one event of a call and returns once JetStream has
// acknowledged it (written to the store; to a quorum of replicas in a
// cluster). eventID (the CloudEvent id) de-duplicates: an event ID seen within
// the duplicate window is not stored again, and the sequence of the first
// copy is returned with duplicate set. Transient failures (leader election,
// reconnect) are retried within min(ctx, AppendTimeout).
func (l *Log) AppendCall(ctx context.Context, callID, eventID string, payload []byte) (seq uint64, duplicate bool, err error) {
	if err := checkKey("call ID", callID); err != nil {
		return 0, false, err
	}
	ctx, span := l.metrics.appendSpan(ctx, "calls", 1)
	start := time.Now()
	a, err := l.append(ctx, l.calls, l.calls.subject(callID), eventID, payload)
	l.metrics.appendDone(span, "calls", start, []Appended{a}, err)
	if err != nil {
		return 0, false, fmt.Errorf("eventlog: append event %q of call %q: %w", eventID, callID, err)
	}
	return a.Seq, a.Duplicate, nil
}

// AppendIncoming stores one incoming call, under the raw identity it was
// placed to (called; empty is allowed) so watchers and groups can filter on
// it. Acknowledgement and de-duplication as AppendCall.
func (l *Log) AppendIncoming(ctx context.Context, called, eventID string, payload []byte) (seq uint64, duplicate bool, err error) {
	if called != "" {
		if err := checkKey("called identity", called); err != nil {
			return 0, false, err
		}
	}
	ctx, span := l.metrics.appendSpan(ctx, "incoming", 1)
	start := time.Now()
	a, err := l.append(ctx, l.incoming, l.incoming.subject(called), eventID, payload)
	l.metrics.appendDone(span, "incoming", start, []Appended{a}, err)
	if err != nil {
		return 0, false, fmt.Errorf("eventlog: append incoming call event %q: %w", eventID, err)
	}
	return a.Seq, a.Duplicate, nil
}

// AppendCalls stores several call events, pipelined: all are sent before any
// acknowledgement is awaited, which is what a callback POST carrying a batch
// needs. Events of one call are stored in the order given. It returns one
// Appended per event; if any failed, err is non-nil and the failed entries
// are zero. A failed event may have been stored anyway (a lost reply):
// appending it again with the same event ID is safe. If an event failed but
// a later one of the same call succeeded, a retry stores the failed one after
// it: arrival order is kept except across such a failure.
func (l *Log) AppendCalls(ctx context.Context, events []CallEvent) (_ []Appended, err error) {
	for i, ev := range events {
		if err := checkKey("call ID", ev.CallID); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		if ev.EventID == "" {
			return nil, invalidArg("event %d: empty event ID", i)
		}
	}
	if l.closed.Load() {
		return nil, ErrClosed
	}
	ctx, span := l.metrics.appendSpan(ctx, "calls", len(events))
	start := time.Now()
	var out []Appended
	defer func() { l.metrics.appendDone(span, "calls", start, out, err) }()
	ctx, cancel := context.WithTimeout(ctx, l.cfg.AppendTimeout)
	defer cancel()

	futures := make([]jetstream.PubAckFuture, len(events))
	errs := make([]error, len(events))
	for i, ev := range events {
		futures[i], errs[i] = l.js.PublishMsgAsync(l.message(l.calls, l.calls.subject(ev.CallID), ev.EventID, ev.Payload))
	}
	out = make([]Appended, len(events))
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			out[i] = Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}
		case err := <-f.Err():
			errs[i] = err
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	// Failures are retried one by one, in order: the message ID makes a
	// retry of an event that was in fact stored return the first copy.
	var failed []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if transient(err) && ctx.Err() == nil {
			ev := events[i]
			a, rerr := l.append(ctx, l.calls, l.calls.subject(ev.CallID), ev.EventID, ev.Payload)
			if rerr == nil {
				out[i] = a
				continue
			}
			err = rerr
		}
		failed = append(failed, fmt.Errorf("event %d (%q of call %q): %w", i, events[i].EventID, events[i].CallID, err))
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("eventlog: append batch: %w", errors.Join(failed...))
	}
	return out, nil
}

func (l *Log) append(ctx context.Context, s *logStream, subject, eventID string, payload []byte) (Appended, error) {
	if eventID == "" {
		return Appended{}, invalidArg("empty event ID")
	}
	if l.closed.Load() {
		return Appended{}, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.AppendTimeout)
	defer cancel()
	var a Appended
	err := retry(ctx, func(ctx context.Context) error {
		ack, err := l.js.PublishMsg(ctx, l.message(s, subject, eventID, payload))
		if err != nil {
			return err
		}
		a = Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}
		return nil
	})
	return a, err
}

// message builds a fresh message per attempt: the client sets the reply
// subject on the one it sends.
func (l *Log) message(s *logStream, subject, eventID string, payload []byte) *nats.Msg {
	return &nats.Msg{
		Subject: subject,
		Data:    payload,
		Header: nats.Header{
			jetstream.MsgIDHeader: []string{eventID},
			// Refuses the write if some other stream captured the subject.
			jetstream.ExpectedStreamHeader: []string{s.name},
		},
	}
}
