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
	"google.golang.org/protobuf/proto"
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
	ctx, cancel := s.streamContext(stream.Context())
	defer cancel()

	w, err := s.deps.Events.WatchCall(ctx, callID, req.GetAfterSequence())
	if err != nil {
		return watchError(err, req.GetAfterSequence())
	}
	defer func() { _ = w.Close() }()

	log := s.log.With(zap.String("call_connection_id", callID))
	return s.pump(ctx, w, log, func(e eventlog.Entry) (bool, error) {
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			log.Error("unreadable event in the log", zap.Uint64("sequence", e.Seq), zap.Error(err))
			return false, resumableError(codes.DataLoss, "UNREADABLE_EVENT", e.Seq, "event %d of the log cannot be read; resume after it", e.Seq)
		}
		ev.Sequence = e.Seq
		if len(req.GetEventTypes()) == 0 || slices.Contains(req.GetEventTypes(), ev.GetType()) {
			if err := stream.Send(&callgatev1.WatchCallResponse{Item: &callgatev1.WatchCallResponse_Event{Event: ev}}); err != nil {
				return false, err
			}
		}
		return ev.GetType() == callDisconnectedType, nil
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
	ctx, cancel := s.streamContext(stream.Context())
	defer cancel()

	w, err := s.deps.Events.WatchIncoming(ctx, eventlog.IncomingOptions{Called: called, Group: req.GetGroup(), NewOnly: true})
	if err != nil {
		return watchError(err, 0)
	}
	defer func() { _ = w.Close() }()

	log := s.log.With(zap.String("group", req.GetGroup()))
	return s.pump(ctx, w, log, func(e eventlog.Entry) (bool, error) {
		call := &callgatev1.IncomingCall{}
		if err := proto.Unmarshal(e.Payload, call); err != nil {
			log.Error("unreadable incoming call in the log", zap.Uint64("sequence", e.Seq), zap.Error(err))
			_ = e.Ack(ctx) // it will never be readable: do not offer it again
			return false, nil
		}
		call.Sequence = e.Seq
		if err := stream.Send(&callgatev1.WatchIncomingCallsResponse{Item: &callgatev1.WatchIncomingCallsResponse_IncomingCall{IncomingCall: call}}); err != nil {
			_ = e.Nak()
			return false, err
		}
		// Acknowledged once gRPC has taken it, so a group offers it to another member only if
		// this one never got it.
		if err := e.Ack(ctx); err != nil {
			log.Warn("cannot acknowledge incoming call", zap.Uint64("sequence", e.Seq), zap.Error(err))
		}
		return false, nil
	}, func(hb *callgatev1.Heartbeat) error {
		return stream.Send(&callgatev1.WatchIncomingCallsResponse{Item: &callgatev1.WatchIncomingCallsResponse_Heartbeat{Heartbeat: hb}})
	})
}

// streamContext ends with the client's stream or when the gateway stops its streams.
func (s *CallServer) streamContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(s.streams, cancel)
	return ctx, func() { stop(); cancel() }
}

// pump is the send loop of a stream: it takes the watcher's entries (the watcher is the producer,
// with its own bounded queue) and hands each to send, with a heartbeat whenever the stream was idle
// for the heartbeat interval. send returns true to end the stream with OK.
func (s *CallServer) pump(ctx context.Context, w *eventlog.Watcher, log *zap.Logger, send func(eventlog.Entry) (bool, error), heartbeat func(*callgatev1.Heartbeat) error) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, s.deps.Heartbeat)
		e, err := w.Next(waitCtx)
		cancel()
		switch {
		case err == nil:
			done, err := send(e)
			if err != nil || done {
				return err
			}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			hb := &callgatev1.Heartbeat{LatestSequence: w.Progress(), Time: timestamppb.New(time.Now())}
			if err := heartbeat(hb); err != nil {
				return err
			}
		default:
			return s.streamEnded(ctx, w, log, err)
		}
	}
}

// streamEnded turns why a watcher stopped into the stream's final status.
func (s *CallServer) streamEnded(ctx context.Context, w *eventlog.Watcher, log *zap.Logger, err error) error {
	var slow *eventlog.SlowConsumerError
	switch {
	case errors.As(err, &slow):
		log.Warn("watcher cut off: it fell too far behind", zap.Uint64("resume_after_sequence", slow.LastSeq))
		return resumableError(codes.ResourceExhausted, "SLOW_CONSUMER", slow.LastSeq,
			"the stream fell too far behind the call's events; resume with after_sequence=%d", slow.LastSeq)
	case s.streams.Err() != nil:
		after := w.Progress()
		return resumableError(codes.Unavailable, "SHUTTING_DOWN", after,
			"the gateway is shutting down; resume with after_sequence=%d", after)
	case ctx.Err() != nil:
		// The client went away: nothing to report to anyone.
		log.Debug("stream ended by the client", zap.Error(err))
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, eventlog.ErrClosed):
		after := w.Progress()
		return resumableError(codes.Unavailable, "LOG_CLOSED", after, "the event log closed; resume with after_sequence=%d", after)
	}
	after := w.Progress()
	log.Warn("stream failed", zap.Error(err), zap.Uint64("resume_after_sequence", after))
	return resumableError(codes.Unavailable, "LOG_UNAVAILABLE", after, "the event log failed; resume with after_sequence=%d", after)
}

// watchError maps a failure to start watching.
func watchError(err error, after uint64) error {
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
