package service

import (
	"context"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// AnswerCall answers an incoming call.
func (s *CallServer) AnswerCall(ctx context.Context, req *callgatev1.AnswerCallRequest) (*callgatev1.AnswerCallResponse, error) {
	return answerCall.serve(ctx, s.core, req)
}

var answerCall = unary[*callgatev1.AnswerCallRequest, *callgatev1.AnswerCallResponse, *acs.AnswerCallRequest, *acs.CallConnectionProperties]{
	build: func(c *core, v *validator, req *callgatev1.AnswerCallRequest) (*acs.AnswerCallRequest, outcome) {
		up := &acs.AnswerCallRequest{
			IncomingCallContext: req.GetIncomingCallContext(),
			OperationContext:    req.GetOperationContext(),
			CallbackURI:         c.callbackURL,
			Repeatability:       acs.Repeatability{RequestID: req.GetRequestId()},
		}
		if by := req.GetAnsweredBy(); by != nil {
			v.acsUserID("answered_by.id", by.GetId())
			up.AnsweredBy = &acs.CommunicationUserModel{ID: by.GetId()}
		}
		media := v.setupOptions(req.GetCallIntelligenceOptions(), req.GetMediaStreamingOptions(), req.GetTranscriptionOptions())
		up.CallIntelligenceOptions, up.MediaStreamingOptions, up.TranscriptionOptions = media.intelligence, media.streaming, media.transcription
		return up, outcomeAnswer
	},
	call: (*acs.Client).AnswerCall,
	respond: respondCall[*acs.AnswerCallRequest](func(c *callgatev1.Call) *callgatev1.AnswerCallResponse {
		return &callgatev1.AnswerCallResponse{Call: c}
	}),
}

// RejectCall rejects an incoming call.
func (s *CallServer) RejectCall(ctx context.Context, req *callgatev1.RejectCallRequest) (*callgatev1.RejectCallResponse, error) {
	return rejectCall.serve(ctx, s.core, req)
}

var rejectCall = unary[*callgatev1.RejectCallRequest, *callgatev1.RejectCallResponse, *acs.RejectCallRequest, struct{}]{
	build: func(_ *core, _ *validator, req *callgatev1.RejectCallRequest) (*acs.RejectCallRequest, outcome) {
		up := &acs.RejectCallRequest{
			IncomingCallContext: req.GetIncomingCallContext(),
			Repeatability:       acs.Repeatability{RequestID: req.GetRequestId()},
		}
		// The reason is a defined value (a declared rule); unspecified is left out, as the SDK
		// does: ACS takes it as none.
		switch req.GetReason() {
		case callgatev1.CallRejectReason_CALL_REJECT_REASON_NONE:
			up.CallRejectReason = acs.RejectNone
		case callgatev1.CallRejectReason_CALL_REJECT_REASON_BUSY:
			up.CallRejectReason = acs.RejectBusy
		case callgatev1.CallRejectReason_CALL_REJECT_REASON_FORBIDDEN:
			up.CallRejectReason = acs.RejectForbidden
		}
		return up, outcome{}
	},
	call: noResult((*acs.Client).RejectCall),
	respond: func(*acs.RejectCallRequest, struct{}) *callgatev1.RejectCallResponse {
		return &callgatev1.RejectCallResponse{}
	},
}

// RedirectCall sends an incoming call to another target without answering it.
func (s *CallServer) RedirectCall(ctx context.Context, req *callgatev1.RedirectCallRequest) (*callgatev1.RedirectCallResponse, error) {
	return redirectCall.serve(ctx, s.core, req)
}

var redirectCall = unary[*callgatev1.RedirectCallRequest, *callgatev1.RedirectCallResponse, *acs.RedirectCallRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.RedirectCallRequest) (*acs.RedirectCallRequest, outcome) {
		return &acs.RedirectCallRequest{
			IncomingCallContext: req.GetIncomingCallContext(),
			// A phone target needs no caller ID here: the redirect request has no field for one
			// (see sdk-wire/redirectCall-pstn.json), ACS shows the original caller's number.
			Target:        v.identifier(at("target"), req.GetTarget(), dialable),
			Repeatability: acs.Repeatability{RequestID: req.GetRequestId()},
		}, outcome{}
	},
	call: noResult((*acs.Client).RedirectCall),
	respond: func(*acs.RedirectCallRequest, struct{}) *callgatev1.RedirectCallResponse {
		return &callgatev1.RedirectCallResponse{}
	},
}
