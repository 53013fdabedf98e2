package client

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// WatchOption adjusts Watch.
type WatchOption interface{ applyWatch(*watchConfig) }

// IncomingOption adjusts WatchIncoming.
type IncomingOption interface{ applyIncoming(*incomingConfig) }

// StreamOption adjusts Watch and WatchIncoming alike.
type StreamOption interface {
	WatchOption
	IncomingOption
}

type streamConfig struct {
	onHeartbeat func(*callgatev1.Heartbeat)
	onReconnect func(error)
}

type watchConfig struct {
	stream streamConfig
	after  uint64
	types  []string
}

type incomingConfig struct {
	stream streamConfig
	to     *callgatev1.CommunicationIdentifier
	group  string
}

type watchOption func(*watchConfig)

func (f watchOption) applyWatch(c *watchConfig) { f(c) }

type incomingOption func(*incomingConfig)

func (f incomingOption) applyIncoming(c *incomingConfig) { f(c) }

type streamOption func(*streamConfig)

func (f streamOption) applyWatch(c *watchConfig)       { f(&c.stream) }
func (f streamOption) applyIncoming(c *incomingConfig) { f(&c.stream) }

// AfterSequence starts Watch after this sequence (a CallEvent.sequence seen before), instead of
// the call's first event.
func AfterSequence(seq uint64) WatchOption {
	return watchOption(func(c *watchConfig) { c.after = seq })
}

// EventTypes makes Watch yield only events of these CloudEvent types (see EventType); the
// gateway filters them. Watch still ends after CallDisconnected, yielded or not.
func EventTypes(types ...string) WatchOption {
	return watchOption(func(c *watchConfig) { c.types = append(c.types, types...) })
}

// To makes WatchIncoming yield only calls placed to this identity (matched by raw ID).
func To(id *callgatev1.CommunicationIdentifier) IncomingOption {
	return incomingOption(func(c *incomingConfig) { c.to = id })
}

// Group makes WatchIncoming a member of a group: each incoming call goes to one watcher of the
// group, across every gateway replica, so that a service with several instances answers each
// call once. A call handed to a member that went away unacknowledged goes to another one.
func Group(name string) IncomingOption {
	return incomingOption(func(c *incomingConfig) { c.group = name })
}

// OnHeartbeat calls f with every heartbeat of the stream (the gateway sends one when the stream
// has been idle, with the newest sequence of the log): a sign of life, and proof that the stream
// is following. f runs on the iterating goroutine, between events; it must not block.
func OnHeartbeat(f func(*callgatev1.Heartbeat)) StreamOption {
	return streamOption(func(c *streamConfig) { c.onHeartbeat = f })
}

// OnReconnect calls f with the error each stream ended with before the next is opened: to log
// it, count it. f runs on the iterating goroutine; it must not block.
func OnReconnect(f func(error)) StreamOption {
	return streamOption(func(c *streamConfig) { c.onReconnect = f })
}

// Watch streams a call's events (CallService.WatchCall): those already stored, then live ones,
// each once and in order, and ends after CallDisconnected (yielded, unless EventTypes left it
// out).
//
// A stream that ends for a reason a new one mends is resumed, after a backoff, from the sequence
// the gateway's status names (google.rpc.ErrorInfo resume_after_sequence), else from the last
// event or heartbeat seen: UNAVAILABLE (a replica shutting down or unreachable: the next stream
// goes to another replica behind the target, or to this one once it is back) and
// RESOURCE_EXHAUSTED (the consumer fell behind and was cut off). Nothing is yielded twice: an
// event at or before the last one yielded is dropped. There is no limit on reconnections but ctx.
//
// What resuming cannot mend ends the iteration with one error, after which nothing is yielded:
// NOT_FOUND (a call the gateway has never heard of, or ReasonCallGone: ACS forgot the call and its
// CallDisconnected never came), OUT_OF_RANGE (ReasonResumePointUnavailable: the events after the
// resume point are gone; ResumeAfter(err) is where to start over with AfterSequence, accepting
// the gap), INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, and ctx's end (CANCELED,
// DEADLINE_EXCEEDED). Breaking out of the loop closes the stream.
func (c *Client) Watch(ctx context.Context, callConnectionID string, opts ...WatchOption) iter.Seq2[*callgatev1.CallEvent, error] {
	var cfg watchConfig
	for _, o := range opts {
		o.applyWatch(&cfg)
	}
	return func(yield func(*callgatev1.CallEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		last := cfg.after // the last event yielded
		after := last     // where the next stream starts: last, or further by heartbeats
		session := func() (bool, error) {
			s, err := c.calls.WatchCall(ctx, &callgatev1.WatchCallRequest{
				CallConnectionId: callConnectionID, AfterSequence: after, EventTypes: cfg.types,
			}, grpc.WaitForReady(true))
			if err != nil {
				return false, err
			}
			received := false
			for {
				m, err := s.Recv()
				if err != nil {
					if p, ok := ResumeAfter(err); ok {
						after = max(p, last)
					}
					return received, err
				}
				received = true
				if hb := m.GetHeartbeat(); hb != nil {
					after = max(after, hb.GetLatestSequence())
					if cfg.stream.onHeartbeat != nil {
						cfg.stream.onHeartbeat(hb)
					}
					continue
				}
				ev := m.GetEvent()
				if ev == nil || ev.GetSequence() <= last {
					continue
				}
				last, after = ev.GetSequence(), max(after, ev.GetSequence())
				if !yield(ev, nil) || Disconnected(ev) {
					return true, errStop
				}
			}
		}
		if err := c.follow(ctx, cfg.stream, session); err != nil {
			yield(nil, err)
		}
	}
}

// WatchIncoming streams incoming calls (CallService.WatchIncomingCalls) as they arrive, to
// answer, reject or redirect each by its incoming_call_context; it never ends but by ctx or an
// error resuming cannot mend. It reconnects as Watch does and never yields a call twice.
//
// A member of a Group misses no call across reconnections: the group keeps the calls that
// arrive while no member is connected. Without a group, calls that arrive while the stream is
// being reopened are not seen (the API has no resume point for incoming calls).
func (c *Client) WatchIncoming(ctx context.Context, opts ...IncomingOption) iter.Seq2[*callgatev1.IncomingCall, error] {
	var cfg incomingConfig
	for _, o := range opts {
		o.applyIncoming(&cfg)
	}
	return func(yield func(*callgatev1.IncomingCall, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var seen recent
		session := func() (bool, error) {
			s, err := c.calls.WatchIncomingCalls(ctx, &callgatev1.WatchIncomingCallsRequest{To: cfg.to, Group: cfg.group}, grpc.WaitForReady(true))
			if err != nil {
				return false, err
			}
			received := false
			for {
				m, err := s.Recv()
				if errors.Is(err, io.EOF) {
					// The gateway ends these streams only with an error; an end is a reason to
					// reconnect, not to stop.
					err = status.Error(codes.Unavailable, "the gateway ended the stream of incoming calls")
				}
				if err != nil {
					return received, err
				}
				received = true
				if hb := m.GetHeartbeat(); hb != nil {
					if cfg.stream.onHeartbeat != nil {
						cfg.stream.onHeartbeat(hb)
					}
					continue
				}
				in := m.GetIncomingCall()
				if in == nil || !seen.add(in.GetSequence()) {
					continue
				}
				if !yield(in, nil) {
					return true, errStop
				}
			}
		}
		if err := c.follow(ctx, cfg.stream, session); err != nil {
			yield(nil, err)
		}
	}
}

// errStop ends follow without an error: the consumer stopped, or the call ended.
var errStop = errors.New("stop")

// follow runs one stream session after another until one ends with OK, or stops, or ends in a
// way a new stream cannot mend (answered), with backoff between them; a session that received
// anything resets the backoff.
func (c *Client) follow(ctx context.Context, cfg streamConfig, session func() (received bool, err error)) error {
	failures := 0
	for {
		received, err := session()
		switch {
		case errors.Is(err, errStop), errors.Is(err, io.EOF):
			return nil
		case ctx.Err() != nil:
			return status.FromContextError(ctx.Err()).Err()
		case expired(ctx):
			return err // the gateway's DEADLINE_EXCEEDED, before ctx's timer
		}
		delay, ok := resumable(err)
		if !ok {
			return err
		}
		if cfg.onReconnect != nil {
			cfg.onReconnect(err)
		}
		if received {
			failures = 0
		}
		failures++
		if sleep(ctx, max(delay, c.retry.backoff(failures))) != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// resumable says whether a stream that ended with err is resumed, and after how long at least.
func resumable(err error) (time.Duration, bool) {
	switch status.Code(err) {
	case codes.Unavailable:
		return 0, true
	case codes.ResourceExhausted:
		d, _ := RetryDelay(err)
		return d, true
	}
	return 0, false
}

// recent remembers the last sequences seen, to drop a call offered again (a group redelivers
// one whose acknowledgement was lost, and not necessarily in order).
type recent struct {
	set  map[uint64]struct{}
	ring [recentSize]uint64
	next int
}

// recentSize is more than a group ever redelivers at once: it redelivers what a member held
// unacknowledged, one call at a time.
const recentSize = 1024

func (r *recent) add(seq uint64) bool {
	if r.set == nil {
		r.set = make(map[uint64]struct{}, recentSize)
	}
	if _, ok := r.set[seq]; ok {
		return false
	}
	if old := r.ring[r.next]; old != 0 {
		delete(r.set, old)
	}
	r.ring[r.next] = seq
	r.next = (r.next + 1) % recentSize
	r.set[seq] = struct{}{}
	return true
}
