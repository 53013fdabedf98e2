package service

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Each handler reads: build the upstream request (validation included: nothing is sent for an
// invalid request), make the one ACS call, build the response from its answer.

// CreateCall places a 1:1 or group call.
func (s *CallServer) CreateCall(ctx context.Context, req *callgatev1.CreateCallRequest) (*callgatev1.CreateCallResponse, error) {
	up, wait, err := s.createCallRequest(req)
	if err != nil {
		return nil, err
	}
	call, ev, err := startCall(ctx, s, up, wait, s.deps.ACS.CreateCall, outcomeCreate)
	if err != nil {
		return nil, err
	}
	return &callgatev1.CreateCallResponse{Call: call, ResultEvent: ev}, nil
}

// startCall runs an operation that gives this application a new call connection (create, connect,
// answer), waiting for its outcome when asked: the new call's events are all its own, so the
// wait reads them from its first.
func startCall[R any](ctx context.Context, s *CallServer, up R, wait time.Duration,
	do func(context.Context, R) (*acs.CallConnectionProperties, error), o outcome,
) (*callgatev1.Call, *callgatev1.CallEvent, error) {
	pw, err := s.deps.prepareWait(wait, false)
	if err != nil {
		return nil, nil, err
	}
	props, err := do(ctx, up)
	if err != nil {
		return nil, nil, upstreamError(s.log, err)
	}
	ev, err := pw.await(ctx, s.deps, &s.streams, props.CallConnectionID, o, done{})
	if err != nil {
		return nil, nil, err
	}
	return callToProto(props), ev, nil
}

func (s *CallServer) createCallRequest(req *callgatev1.CreateCallRequest) (*acs.CreateCallRequest, time.Duration, error) {
	var v validator
	targets := req.GetTargets()
	if len(targets) == 0 {
		v.add("targets", "required: at least one target")
	}
	up := &acs.CreateCallRequest{
		Targets:           make([]acs.Identifier, len(targets)),
		SourceDisplayName: req.GetSourceDisplayName(),
		OperationContext:  req.GetOperationContext(),
		Repeatability:     acs.Repeatability{RequestID: req.GetRequestId()},
	}
	callsPhone := false
	for i, t := range targets {
		id := v.identifier(elem("targets", i), t, dialable)
		up.Targets[i] = id
		callsPhone = callsPhone || id.ObjectKind() == acs.KindPhoneNumber
		for j := range i {
			if id.RawID != "" && up.Targets[j].RawID == id.RawID {
				v.add(fieldIndex("targets", i), "repeats "+fieldIndex("targets", j))
				break
			}
		}
	}
	up.SourceCallerIDNumber = v.callerID("source_caller_id_number", req.GetSourceCallerIdNumber())
	if callsPhone && up.SourceCallerIDNumber == nil {
		v.add("source_caller_id_number", "required to call a phone number: a number of the ACS resource")
	}
	uri, wait, err := s.startRequestEnd(&v, req.GetRequestId(), req.GetWait())
	up.CallbackURI = uri
	return up, wait, err
}

// ConnectCall joins a running call.
func (s *CallServer) ConnectCall(ctx context.Context, req *callgatev1.ConnectCallRequest) (*callgatev1.ConnectCallResponse, error) {
	up, wait, err := s.connectRequest(req)
	if err != nil {
		return nil, err
	}
	call, ev, err := startCall(ctx, s, up, wait, s.deps.ACS.Connect, outcomeConnect)
	if err != nil {
		return nil, err
	}
	return &callgatev1.ConnectCallResponse{Call: call, ResultEvent: ev}, nil
}

func (s *CallServer) connectRequest(req *callgatev1.ConnectCallRequest) (*acs.ConnectRequest, time.Duration, error) {
	var v validator
	up := &acs.ConnectRequest{
		OperationContext: req.GetOperationContext(),
		Repeatability:    acs.Repeatability{RequestID: req.GetRequestId()},
	}
	switch l := req.GetCallLocator().(type) {
	case *callgatev1.ConnectCallRequest_ServerCallId:
		v.required("server_call_id", l.ServerCallId)
		up.CallLocator = acs.ServerCallLocator(l.ServerCallId)
	case *callgatev1.ConnectCallRequest_GroupCallId:
		switch {
		case l.GroupCallId == "":
			v.add("group_call_id", descRequired)
		case !acs.IsUUID(l.GroupCallId):
			v.add("group_call_id", "must be a UUID: group call IDs are")
		}
		up.CallLocator = acs.GroupCallLocator(l.GroupCallId)
	case *callgatev1.ConnectCallRequest_RoomId:
		v.required("room_id", l.RoomId)
		up.CallLocator = acs.RoomCallLocator(l.RoomId)
	default:
		v.add("call_locator", "required: set server_call_id, group_call_id or room_id")
	}
	uri, wait, err := s.startRequestEnd(&v, req.GetRequestId(), req.GetWait())
	up.CallbackURI = uri
	return up, wait, err
}

// GetCall reads a call connection.
func (s *CallServer) GetCall(ctx context.Context, req *callgatev1.GetCallRequest) (*callgatev1.GetCallResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	if err := v.err(); err != nil {
		return nil, err
	}
	props, err := s.deps.ACS.GetCall(ctx, &acs.GetCallRequest{CallConnectionID: req.GetCallConnectionId()})
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.GetCallResponse{Call: callToProto(props)}, nil
}

// HangUpCall leaves the call (DELETE) or, with for_everyone, ends it for all (:terminate).
func (s *CallServer) HangUpCall(ctx context.Context, req *callgatev1.HangUpCallRequest) (*callgatev1.HangUpCallResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	v.requestID("request_id", req.GetRequestId())
	if err := v.err(); err != nil {
		return nil, err
	}
	var err error
	if req.GetForEveryone() {
		err = s.deps.ACS.TerminateCall(ctx, &acs.TerminateCallRequest{
			CallConnectionID: req.GetCallConnectionId(),
			Repeatability:    acs.Repeatability{RequestID: req.GetRequestId()},
		})
	} else {
		// ACS's DELETE takes no Repeatability-Request-ID; leaving twice is harmless anyway.
		err = s.deps.ACS.HangUp(ctx, &acs.HangUpRequest{CallConnectionID: req.GetCallConnectionId()})
	}
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.HangUpCallResponse{}, nil
}

// TransferCall transfers a 1:1 call, or moves a group call's transferee, to the target.
func (s *CallServer) TransferCall(ctx context.Context, req *callgatev1.TransferCallRequest) (*callgatev1.TransferCallResponse, error) {
	up, wait, err := transferRequest(req)
	if err != nil {
		return nil, err
	}
	pw, err := s.deps.prepareWait(wait, true)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ACS.TransferToParticipant(ctx, up)
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	ev, err := pw.await(ctx, s.deps, &s.streams, up.CallConnectionID, outcomeTransfer.withOperationContext(up.OperationContext),
		done{"operation_context": up.OperationContext})
	if err != nil {
		return nil, err
	}
	return &callgatev1.TransferCallResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext), ResultEvent: ev}, nil
}

func transferRequest(req *callgatev1.TransferCallRequest) (*acs.TransferToParticipantRequest, time.Duration, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	up := &acs.TransferToParticipantRequest{
		CallConnectionID:     req.GetCallConnectionId(),
		TargetParticipant:    v.identifier(at("target"), req.GetTarget(), dialable),
		OperationContext:     operationContextFor(req.GetOperationContext(), req.GetRequestId()),
		OperationCallbackURI: req.GetOperationCallbackUri(),
		Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
	}
	if req.GetTransferee() != nil {
		t := v.identifier(at("transferee"), req.GetTransferee(), existing)
		up.Transferee = &t
	}
	up.CustomCallingContext = v.customCallingContext("custom_calling_context", req.GetCustomCallingContext(), up.TargetParticipant, "target")
	v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
	// Optional even for a phone target: ACS then shows the transferee's number.
	up.SourceCallerIDNumber = v.callerID("source_caller_id_number", req.GetSourceCallerIdNumber())
	v.requestID("request_id", req.GetRequestId())
	wait := v.wait(req.GetWait(), req.GetOperationCallbackUri())
	return up, wait, v.err()
}

// startRequestEnd finishes checking a request that starts a call connection (create, connect,
// answer): its request_id and wait, then every violation found; and gives the callback URI.
func (s *CallServer) startRequestEnd(v *validator, requestID string, wait *durationpb.Duration) (string, time.Duration, error) {
	v.requestID("request_id", requestID)
	w := v.wait(wait, "")
	if err := v.err(); err != nil {
		return "", 0, err
	}
	uri, err := s.callbackURL()
	return uri, w, err
}

// callbackURL is where ACS posts the events of calls this gateway creates, answers or connects:
// always the gateway's own endpoint, so WatchCall sees every event.
func (s *CallServer) callbackURL() (string, error) {
	if s.deps.CallbackURL == "" {
		return "", status.Error(codes.FailedPrecondition, "the gateway has no callback URL configured (its public URL), so it cannot receive call events")
	}
	return s.deps.CallbackURL, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
