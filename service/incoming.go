package service

import (
	"context"
	"time"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// AnswerCall answers an incoming call.
func (s *CallServer) AnswerCall(ctx context.Context, req *callgatev1.AnswerCallRequest) (*callgatev1.AnswerCallResponse, error) {
	up, wait, err := s.answerRequest(req)
	if err != nil {
		return nil, err
	}
	call, ev, err := startCall(ctx, s, up, wait, s.deps.ACS.AnswerCall, outcomeAnswer)
	if err != nil {
		return nil, err
	}
	return &callgatev1.AnswerCallResponse{Call: call, ResultEvent: ev}, nil
}

func (s *CallServer) answerRequest(req *callgatev1.AnswerCallRequest) (*acs.AnswerCallRequest, time.Duration, error) {
	var v validator
	v.required("incoming_call_context", req.GetIncomingCallContext())
	up := &acs.AnswerCallRequest{
		IncomingCallContext: req.GetIncomingCallContext(),
		OperationContext:    req.GetOperationContext(),
		Repeatability:       acs.Repeatability{RequestID: req.GetRequestId()},
	}
	if by := req.GetAnsweredBy(); by != nil {
		v.acsUserID("answered_by.id", by.GetId())
		up.AnsweredBy = &acs.CommunicationUserModel{ID: by.GetId()}
	}
	uri, wait, err := s.startRequestEnd(&v, req.GetRequestId(), req.GetWait())
	up.CallbackURI = uri
	return up, wait, err
}

// RejectCall rejects an incoming call.
func (s *CallServer) RejectCall(ctx context.Context, req *callgatev1.RejectCallRequest) (*callgatev1.RejectCallResponse, error) {
	var v validator
	v.required("incoming_call_context", req.GetIncomingCallContext())
	up := &acs.RejectCallRequest{
		IncomingCallContext: req.GetIncomingCallContext(),
		Repeatability:       acs.Repeatability{RequestID: req.GetRequestId()},
	}
	switch req.GetReason() {
	case callgatev1.CallRejectReason_CALL_REJECT_REASON_UNSPECIFIED:
		// Left out, as the SDK does: ACS takes it as none.
	case callgatev1.CallRejectReason_CALL_REJECT_REASON_NONE:
		up.CallRejectReason = acs.RejectNone
	case callgatev1.CallRejectReason_CALL_REJECT_REASON_BUSY:
		up.CallRejectReason = acs.RejectBusy
	case callgatev1.CallRejectReason_CALL_REJECT_REASON_FORBIDDEN:
		up.CallRejectReason = acs.RejectForbidden
	default:
		v.add("reason", "must be CALL_REJECT_REASON_NONE, CALL_REJECT_REASON_BUSY or CALL_REJECT_REASON_FORBIDDEN")
	}
	v.requestID("request_id", req.GetRequestId())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.deps.ACS.RejectCall(ctx, up); err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.RejectCallResponse{}, nil
}

// RedirectCall sends an incoming call to another target without answering it.
func (s *CallServer) RedirectCall(ctx context.Context, req *callgatev1.RedirectCallRequest) (*callgatev1.RedirectCallResponse, error) {
	var v validator
	v.required("incoming_call_context", req.GetIncomingCallContext())
	up := &acs.RedirectCallRequest{
		IncomingCallContext: req.GetIncomingCallContext(),
		// A phone target needs no caller ID here: the redirect request has no field for one (see
		// sdk-wire/redirectCall-pstn.json), ACS shows the original caller's number.
		Target:        v.identifier(at("target"), req.GetTarget(), dialable),
		Repeatability: acs.Repeatability{RequestID: req.GetRequestId()},
	}
	v.requestID("request_id", req.GetRequestId())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.deps.ACS.RedirectCall(ctx, up); err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.RedirectCallResponse{}, nil
}
