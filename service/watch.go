package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// WatchCall streams a call's stored events after req.after_sequence, then its live ones, with
// heartbeats while idle. It ends with OK after CallDisconnected; with NOT_FOUND for a call ACS
// does not know and the log holds nothing of, or for a watched call that went silent and that ACS
// no longer knows (its CallDisconnected never came).
func (s *CallServer) WatchCall(req *callgatev1.WatchCallRequest, stream grpc.ServerStreamingServer[callgatev1.WatchCallResponse]) error {
	v, err := s.declared(req)
	if err != nil {
		return err
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := stream.Context()
	callID := req.GetCallConnectionId()
	if err := s.calls.known(ctx, s.core, callID); err != nil {
		return err
	}
	w, err := s.events.WatchCall(ctx, callID, req.GetAfterSequence())
	if err != nil {
		return watchError(err, "call_connection_id", req.GetAfterSequence())
	}
	field := zap.String("call_connection_id", callID)
	types := req.GetEventTypes()
	return s.pump(ctx, w, &s.metrics.watchCall, field, func(e eventlog.Entry) (bool, bool, error) {
		ev := e.Shared(newSharedCallEvent).(*sharedCallEvent)
		if ev.err != nil {
			s.unreadable(callID, e.Seq, ev.err)
			return false, false, nil
		}
		sent := len(types) == 0 || slices.Contains(types, ev.eventType)
		if sent {
			if err := stream.Send(ev.resp); err != nil {
				return false, false, err
			}
		}
		return sent, ev.eventType == callDisconnectedType, nil
	}, func(hb *callgatev1.Heartbeat) error {
		return stream.Send(&callgatev1.WatchCallResponse{Item: &callgatev1.WatchCallResponse_Heartbeat{Heartbeat: hb}})
	}, func(ctx context.Context) bool { return s.calls.gone(ctx, s.core, callID) })
}

// WatchIncomingCalls streams incoming calls as they arrive, optionally shared among a group.
func (s *CallServer) WatchIncomingCalls(req *callgatev1.WatchIncomingCallsRequest, stream grpc.ServerStreamingServer[callgatev1.WatchIncomingCallsResponse]) error {
	v, err := s.declared(req)
	if err != nil {
		return err
	}
	var called string
	if req.GetTo() != nil {
		called = v.identifier(at("to"), req.GetTo(), existing).Raw()
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := stream.Context()
	w, err := s.events.WatchIncoming(ctx, eventlog.IncomingOptions{Called: called, Group: req.GetGroup(), NewOnly: true})
	if err != nil {
		return watchError(err, "to", 0)
	}
	field := zap.String("group", req.GetGroup())
	return s.pump(ctx, w, &s.metrics.watchIncoming, field, func(e eventlog.Entry) (bool, bool, error) {
		if err := stream.Send(e.Shared(newSharedIncomingCall).(*callgatev1.WatchIncomingCallsResponse)); err != nil {
			_ = e.Nak()
			return false, false, err
		}
		// Acknowledged once gRPC has taken it, so a group offers it to another member only if
		// this one never got it.
		if err := e.Ack(ctx); err != nil {
			s.log.Warn("cannot acknowledge incoming call", field, zap.Uint64("sequence", e.Seq), zap.Error(err))
		}
		return true, false, nil
	}, func(hb *callgatev1.Heartbeat) error {
		return stream.Send(&callgatev1.WatchIncomingCallsResponse{Item: &callgatev1.WatchIncomingCallsResponse_Heartbeat{Heartbeat: hb}})
	}, nil)
}

// pump is the send loop of a stream: it takes the watcher's entries (the watcher is the producer,
// with its own bounded queue) and hands each to send, which says whether it sent it (a filter may
// skip it) and whether the stream is done (it then ends with OK). A heartbeat goes out whenever
// nothing was sent for the heartbeat interval, also while skipped entries keep coming, so that a
// filtering watcher's resume point moves on. When gone is set and no entry came for the silence
// interval, it asks whether the watched call still exists, and ends the stream if not. It owns w
// and closes it.
func (c *core) pump(ctx context.Context, w *eventlog.Watcher, sm *streamMetrics, field zap.Field, send func(eventlog.Entry) (sent, done bool, err error),
	heartbeat func(*callgatev1.Heartbeat) error, gone func(context.Context) bool,
) (err error) {
	defer func() { _ = w.Close() }()
	if !c.open.add(w) {
		c.metrics.ended.WithLabelValues(sm.rpc, endShutdown).Inc()
		return resumableError(codes.Unavailable, "SHUTTING_DOWN", w.Progress(), "the gateway is shutting down; try another replica")
	}
	defer c.open.remove(w)
	sm.watchers.Inc()
	defer sm.watchers.Dec()
	reason := endSendFailed
	defer func() { c.metrics.ended.WithLabelValues(sm.rpc, reason).Inc() }()
	lastSent, lastEntry := time.Now(), time.Now()
	for {
		e, err := w.NextWithin(ctx, max(c.heartbeat-time.Since(lastSent), time.Millisecond))
		switch {
		case err == nil:
			lastEntry = time.Now()
			sent, done, err := send(e)
			if sent {
				lastSent = time.Now()
				sm.events.Inc()
				c.metrics.lag.Observe(lastSent.Sub(e.Time).Seconds())
			}
			if err != nil || done {
				if done {
					reason = endDone
				}
				return err
			}
		case !errors.Is(err, eventlog.ErrIdle):
			reason, err = c.streamEnded(ctx, w, field, err)
			return err
		}
		if gone != nil && c.calls.silence > 0 && time.Since(lastEntry) >= c.calls.silence {
			if gone(ctx) {
				reason = endCallGone
				after := w.Progress()
				c.log.Warn("watched call is gone: ACS no longer knows it and its CallDisconnected never came", field, zap.Uint64("resume_after_sequence", after))
				return resumableError(codes.NotFound, "CALL_GONE", after,
					"ACS no longer knows this call and its CallDisconnected event never reached the gateway; the stream ends after sequence %d", after)
			}
			lastEntry = time.Now()
		}
		if time.Since(lastSent) >= c.heartbeat {
			hb := &callgatev1.Heartbeat{LatestSequence: w.Progress(), Time: timestamppb.New(time.Now())}
			if err := heartbeat(hb); err != nil {
				return err
			}
			sm.heartbeats.Inc()
			lastSent = time.Now()
		}
	}
}

// streamEnded turns why a watcher stopped into the stream's final status, and the reason it is counted under.
func (c *core) streamEnded(ctx context.Context, w *eventlog.Watcher, field zap.Field, err error) (reason string, _ error) {
	var slow *eventlog.SlowConsumerError
	switch {
	case errors.As(err, &slow):
		c.log.Warn("watcher cut off: it fell too far behind", field, zap.Uint64("resume_after_sequence", slow.LastSeq))
		return endSlowConsumer, resumableError(codes.ResourceExhausted, "SLOW_CONSUMER", slow.LastSeq,
			"the stream fell too far behind the call's events; resume with after_sequence=%d", slow.LastSeq)
	case c.open.isStopped():
		after := w.Progress()
		return endShutdown, resumableError(codes.Unavailable, "SHUTTING_DOWN", after,
			"the gateway is shutting down; resume with after_sequence=%d", after)
	case ctx.Err() != nil:
		// The client went away: nothing to report to anyone.
		c.log.Debug("stream ended by the client", field, zap.Error(err))
		return endClient, status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, eventlog.ErrClosed):
		after := w.Progress()
		return endLogClosed, resumableError(codes.Unavailable, "LOG_CLOSED", after, "the event log closed; resume with after_sequence=%d", after)
	}
	after := w.Progress()
	c.log.Warn("stream failed", field, zap.Error(err), zap.Uint64("resume_after_sequence", after))
	return endLogFailure, resumableError(codes.Unavailable, "LOG_UNAVAILABLE", after, "the event log failed; resume with after_sequence=%d", after)
}

// watchError maps a failure to start watching.
func watchError(err error, field string, after uint64) error {
	if errors.Is(err, eventlog.ErrInvalidArgument) {
		return invalidArgument(violation(field, "cannot be watched: "+strings.TrimPrefix(err.Error(), "eventlog: ")))
	}
	var oor *eventlog.OutOfRangeError
	if errors.As(err, &oor) {
		resume := uint64(0)
		if oor.First > 0 {
			resume = oor.First - 1
		}
		return resumableError(codes.OutOfRange, "RESUME_POINT_UNAVAILABLE", resume,
			"after_sequence %d cannot be resumed without a gap: %s", after, strings.TrimPrefix(oor.Error(), "eventlog: "))
	}
	if errors.Is(err, eventlog.ErrClosed) {
		return status.Error(codes.Unavailable, "the event log is closed")
	}
	return status.Errorf(codes.Unavailable, "cannot watch: %v", err)
}
