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

const callDisconnectedType = "Microsoft.Communication.CallDisconnected"

// WatchCall streams a call's stored events after req.after_sequence, then its live ones, with
// heartbeats while idle. It ends with OK after CallDisconnected.
func (s *CallServer) WatchCall(req *callgatev1.WatchCallRequest, stream grpc.ServerStreamingServer[callgatev1.WatchCallResponse]) error {
	callID := req.GetCallConnectionId()
	if callID == "" {
		return invalidArgument(violation("call_connection_id", "required"))
	}
	for i, t := range req.GetEventTypes() {
		if t == "" {
			return invalidArgument(violation(fieldIndex("event_types", i), "empty event type"))
		}
	}
	ctx := stream.Context()
	w, err := s.deps.Events.WatchCall(ctx, callID, req.GetAfterSequence())
	if err != nil {
		return watchError(err, "call_connection_id", req.GetAfterSequence())
	}
	field := zap.String("call_connection_id", callID)
	return s.pump(ctx, w, field, func(e eventlog.Entry) (bool, bool, error) {
		eventType, err := storedEventType(e.Payload)
		if err != nil {
			s.log.Error("unreadable event in the log", field, zap.Uint64("sequence", e.Seq), zap.Error(err))
			return false, false, resumableError(codes.DataLoss, "UNREADABLE_EVENT", e.Seq, "event %d of the log cannot be read; resume after it", e.Seq)
		}
		sent := len(req.GetEventTypes()) == 0 || slices.Contains(req.GetEventTypes(), eventType)
		if sent {
			if err := stream.Send(storedCallEvent(e.Payload, e.Seq)); err != nil {
				return false, false, err
			}
		}
		return sent, eventType == callDisconnectedType, nil
	}, func(hb *callgatev1.Heartbeat) error {
		return stream.Send(&callgatev1.WatchCallResponse{Item: &callgatev1.WatchCallResponse_Heartbeat{Heartbeat: hb}})
	})
}

// WatchIncomingCalls streams incoming calls as they arrive, optionally shared among a group.
func (s *CallServer) WatchIncomingCalls(req *callgatev1.WatchIncomingCallsRequest, stream grpc.ServerStreamingServer[callgatev1.WatchIncomingCallsResponse]) error {
	var called string
	if req.GetTo() != nil {
		raw, err := rawID(req.GetTo())
		if err != nil {
			return invalidArgument(violation("to", err.Error()))
		}
		called = raw
	}
	ctx := stream.Context()
	w, err := s.deps.Events.WatchIncoming(ctx, eventlog.IncomingOptions{Called: called, Group: req.GetGroup(), NewOnly: true})
	if err != nil {
		return watchError(err, "to", 0)
	}
	field := zap.String("group", req.GetGroup())
	return s.pump(ctx, w, field, func(e eventlog.Entry) (bool, bool, error) {
		if err := stream.Send(storedIncomingCall(e.Payload, e.Seq)); err != nil {
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
	})
}

// pump is the send loop of a stream: it takes the watcher's entries (the watcher is the producer,
// with its own bounded queue) and hands each to send, which says whether it sent it (a filter may
// skip it) and whether the stream is done (it then ends with OK). A heartbeat goes out whenever
// nothing was sent for the heartbeat interval, also while skipped entries keep coming, so that a
// filtering watcher's resume point moves on. It owns w and closes it.
func (s *CallServer) pump(ctx context.Context, w *eventlog.Watcher, field zap.Field, send func(eventlog.Entry) (sent, done bool, err error), heartbeat func(*callgatev1.Heartbeat) error) error {
	defer func() { _ = w.Close() }()
	if !s.streams.add(w) {
		return resumableError(codes.Unavailable, "SHUTTING_DOWN", w.Progress(), "the gateway is shutting down; try another replica")
	}
	defer s.streams.remove(w)
	lastSent := time.Now()
	for {
		e, err := w.NextWithin(ctx, max(s.deps.Heartbeat-time.Since(lastSent), time.Millisecond))
		switch {
		case err == nil:
			sent, done, err := send(e)
			if err != nil || done {
				return err
			}
			if sent {
				lastSent = time.Now()
			}
		case !errors.Is(err, eventlog.ErrIdle):
			return s.streamEnded(ctx, w, field, err)
		}
		if time.Since(lastSent) >= s.deps.Heartbeat {
			hb := &callgatev1.Heartbeat{LatestSequence: w.Progress(), Time: timestamppb.New(time.Now())}
			if err := heartbeat(hb); err != nil {
				return err
			}
			lastSent = time.Now()
		}
	}
}

// streamEnded turns why a watcher stopped into the stream's final status.
func (s *CallServer) streamEnded(ctx context.Context, w *eventlog.Watcher, field zap.Field, err error) error {
	var slow *eventlog.SlowConsumerError
	switch {
	case errors.As(err, &slow):
		s.log.Warn("watcher cut off: it fell too far behind", field, zap.Uint64("resume_after_sequence", slow.LastSeq))
		return resumableError(codes.ResourceExhausted, "SLOW_CONSUMER", slow.LastSeq,
			"the stream fell too far behind the call's events; resume with after_sequence=%d", slow.LastSeq)
	case s.streams.isStopped():
		after := w.Progress()
		return resumableError(codes.Unavailable, "SHUTTING_DOWN", after,
			"the gateway is shutting down; resume with after_sequence=%d", after)
	case ctx.Err() != nil:
		// The client went away: nothing to report to anyone.
		s.log.Debug("stream ended by the client", field, zap.Error(err))
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, eventlog.ErrClosed):
		after := w.Progress()
		return resumableError(codes.Unavailable, "LOG_CLOSED", after, "the event log closed; resume with after_sequence=%d", after)
	}
	after := w.Progress()
	s.log.Warn("stream failed", field, zap.Error(err), zap.Uint64("resume_after_sequence", after))
	return resumableError(codes.Unavailable, "LOG_UNAVAILABLE", after, "the event log failed; resume with after_sequence=%d", after)
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
