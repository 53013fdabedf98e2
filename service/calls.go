package service

import (
	"context"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// CreateCall places a 1:1 or group call.
func (s *CallServer) CreateCall(ctx context.Context, req *callgatev1.CreateCallRequest) (*callgatev1.CreateCallResponse, error) {
	return createCall.serve(ctx, s.core, req)
}

var createCall = unary[*callgatev1.CreateCallRequest, *callgatev1.CreateCallResponse, *acs.CreateCallRequest, *acs.CallConnectionProperties]{
	build: func(c *core, v *validator, req *callgatev1.CreateCallRequest) (*acs.CreateCallRequest, outcome) {
		targets := req.GetTargets()
		up := &acs.CreateCallRequest{
			Targets:           make([]acs.Identifier, len(targets)),
			SourceDisplayName: req.GetSourceDisplayName(),
			OperationContext:  req.GetOperationContext(),
			CallbackURI:       c.callbackURL,
			Repeatability:     acs.Repeatability{RequestID: req.GetRequestId()},
		}
		callsPhone := false
		seen := make(map[string]int, len(targets))
		for i, t := range targets {
			id := v.identifier(elem("targets", i), t, dialable)
			up.Targets[i] = id
			callsPhone = callsPhone || id.ObjectKind() == acs.KindPhoneNumber
			if id.RawID == "" {
				continue
			}
			if j, ok := seen[id.RawID]; ok {
				v.add(fieldIndex("targets", i), "repeats "+fieldIndex("targets", j))
			} else {
				seen[id.RawID] = i
			}
		}
		up.SourceCallerIDNumber = v.callerID("source_caller_id_number", req.GetSourceCallerIdNumber())
		if callsPhone && up.SourceCallerIDNumber == nil {
			v.add("source_caller_id_number", "required to call a phone number: a number of the ACS resource")
		}
		media := v.setupOptions(req.GetCallIntelligenceOptions(), req.GetMediaStreamingOptions(), req.GetTranscriptionOptions())
		up.CallIntelligenceOptions, up.MediaStreamingOptions, up.TranscriptionOptions = media.intelligence, media.streaming, media.transcription
		up.TeamsAppSource = v.teamsAppSource(req.GetTeamsAppSource())
		return up, outcomeCreate
	},
	call: (*acs.Client).CreateCall,
	respond: respondCall[*acs.CreateCallRequest](func(c *callgatev1.Call) *callgatev1.CreateCallResponse {
		return &callgatev1.CreateCallResponse{Call: c}
	}),
}

// respondCall maps the call connection that create, connect and answer all answer with.
func respondCall[U any, Resp any](wrap func(*callgatev1.Call) Resp) func(U, *acs.CallConnectionProperties) Resp {
	return func(_ U, p *acs.CallConnectionProperties) Resp { return wrap(callToProto(p)) }
}

// ConnectCall joins a running call.
func (s *CallServer) ConnectCall(ctx context.Context, req *callgatev1.ConnectCallRequest) (*callgatev1.ConnectCallResponse, error) {
	return connectCall.serve(ctx, s.core, req)
}

var connectCall = unary[*callgatev1.ConnectCallRequest, *callgatev1.ConnectCallResponse, *acs.ConnectRequest, *acs.CallConnectionProperties]{
	build: func(c *core, v *validator, req *callgatev1.ConnectCallRequest) (*acs.ConnectRequest, outcome) {
		up := &acs.ConnectRequest{
			OperationContext: req.GetOperationContext(),
			CallbackURI:      c.callbackURL,
			Repeatability:    acs.Repeatability{RequestID: req.GetRequestId()},
		}
		// Which locator is set, and its form, are declared rules.
		switch l := req.GetCallLocator().(type) {
		case *callgatev1.ConnectCallRequest_ServerCallId:
			up.CallLocator = acs.ServerCallLocator(l.ServerCallId)
		case *callgatev1.ConnectCallRequest_GroupCallId:
			up.CallLocator = acs.GroupCallLocator(l.GroupCallId)
		case *callgatev1.ConnectCallRequest_RoomId:
			up.CallLocator = acs.RoomCallLocator(l.RoomId)
		}
		media := v.setupOptions(req.GetCallIntelligenceOptions(), req.GetMediaStreamingOptions(), req.GetTranscriptionOptions())
		up.CallIntelligenceOptions, up.MediaStreamingOptions, up.TranscriptionOptions = media.intelligence, media.streaming, media.transcription
		return up, outcomeConnect
	},
	call: (*acs.Client).Connect,
	respond: respondCall[*acs.ConnectRequest](func(c *callgatev1.Call) *callgatev1.ConnectCallResponse {
		return &callgatev1.ConnectCallResponse{Call: c}
	}),
}

// GetCall reads a call connection.
func (s *CallServer) GetCall(ctx context.Context, req *callgatev1.GetCallRequest) (*callgatev1.GetCallResponse, error) {
	return getCall.serve(ctx, s.core, req)
}

var getCall = unary[*callgatev1.GetCallRequest, *callgatev1.GetCallResponse, *acs.GetCallRequest, *acs.CallConnectionProperties]{
	build: func(_ *core, _ *validator, req *callgatev1.GetCallRequest) (*acs.GetCallRequest, outcome) {
		return &acs.GetCallRequest{CallConnectionID: req.GetCallConnectionId()}, outcome{}
	},
	call:    (*acs.Client).GetCall,
	respond: respondCall[*acs.GetCallRequest](func(c *callgatev1.Call) *callgatev1.GetCallResponse { return &callgatev1.GetCallResponse{Call: c} }),
}

// HangUpCall leaves the call (DELETE) or, with for_everyone, ends it for all (:terminate).
func (s *CallServer) HangUpCall(ctx context.Context, req *callgatev1.HangUpCallRequest) (*callgatev1.HangUpCallResponse, error) {
	return hangUpCall.serve(ctx, s.core, req)
}

var hangUpCall = unary[*callgatev1.HangUpCallRequest, *callgatev1.HangUpCallResponse, *callgatev1.HangUpCallRequest, struct{}]{
	build: func(_ *core, _ *validator, req *callgatev1.HangUpCallRequest) (*callgatev1.HangUpCallRequest, outcome) {
		return req, outcome{}
	},
	call: func(c *acs.Client, ctx context.Context, req *callgatev1.HangUpCallRequest) (struct{}, error) {
		if req.GetForEveryone() {
			return struct{}{}, c.TerminateCall(ctx, &acs.TerminateCallRequest{
				CallConnectionID: req.GetCallConnectionId(),
				Repeatability:    acs.Repeatability{RequestID: req.GetRequestId()},
			})
		}
		// ACS's DELETE takes no Repeatability-Request-ID; leaving twice is harmless anyway.
		return struct{}{}, c.HangUp(ctx, &acs.HangUpRequest{CallConnectionID: req.GetCallConnectionId()})
	},
	respond: func(*callgatev1.HangUpCallRequest, struct{}) *callgatev1.HangUpCallResponse {
		return &callgatev1.HangUpCallResponse{}
	},
}

// TransferCall transfers a 1:1 call, or moves a group call's transferee, to the target.
func (s *CallServer) TransferCall(ctx context.Context, req *callgatev1.TransferCallRequest) (*callgatev1.TransferCallResponse, error) {
	return transferCall.serve(ctx, s.core, req)
}

var transferCall = unary[*callgatev1.TransferCallRequest, *callgatev1.TransferCallResponse, *acs.TransferToParticipantRequest, *acs.TransferCallResponse]{
	build: func(_ *core, v *validator, req *callgatev1.TransferCallRequest) (*acs.TransferToParticipantRequest, outcome) {
		up := &acs.TransferToParticipantRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			TargetParticipant:    v.identifier(at("target"), req.GetTarget(), dialable),
			OperationContext:     v.operationContext(req.GetOperationContext()),
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
		o := outcomeTransfer
		o.operationContext = up.OperationContext
		return up, o
	},
	call: (*acs.Client).TransferToParticipant,
	respond: func(up *acs.TransferToParticipantRequest, res *acs.TransferCallResponse) *callgatev1.TransferCallResponse {
		return &callgatev1.TransferCallResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext)}
	},
}

func callToProto(p *acs.CallConnectionProperties) *callgatev1.Call {
	if p == nil {
		return nil
	}
	c := &callgatev1.Call{
		CallConnectionId:     p.CallConnectionID,
		ServerCallId:         p.ServerCallID,
		CorrelationId:        p.CorrelationID,
		State:                callStateToProto(p.CallConnectionState),
		Source:               acsproto.OptionalIdentifier(p.Source),
		SourceCallerIdNumber: acsproto.PhoneNumber(p.SourceCallerIDNumber),
		SourceDisplayName:    p.SourceDisplayName,
		AnsweredFor:          acsproto.PhoneNumber(p.AnsweredFor),

		MediaStreamingSubscription: mediaStreamingSubscription(p.MediaStreamingSubscription),
		TranscriptionSubscription:  transcriptionSubscription(p.TranscriptionSubscription),
	}
	if len(p.Targets) > 0 {
		c.Targets = make([]*callgatev1.CommunicationIdentifier, len(p.Targets))
		for i, t := range p.Targets {
			c.Targets[i] = acsproto.Identifier(t)
		}
	}
	if p.AnsweredBy != nil && p.AnsweredBy.ID != "" {
		c.AnsweredBy = acsproto.Identifier(acs.CommunicationUser(p.AnsweredBy.ID))
	}
	return c
}

func callStateToProto(s acs.CallConnectionState) callgatev1.CallState {
	switch s {
	case "":
		return callgatev1.CallState_CALL_STATE_UNSPECIFIED
	case acs.CallStateConnecting:
		return callgatev1.CallState_CALL_STATE_CONNECTING
	case acs.CallStateConnected:
		return callgatev1.CallState_CALL_STATE_CONNECTED
	case acs.CallStateTransferring:
		return callgatev1.CallState_CALL_STATE_TRANSFERRING
	case acs.CallStateTransferAccepted:
		return callgatev1.CallState_CALL_STATE_TRANSFER_ACCEPTED
	case acs.CallStateDisconnecting:
		return callgatev1.CallState_CALL_STATE_DISCONNECTING
	case acs.CallStateDisconnected:
		return callgatev1.CallState_CALL_STATE_DISCONNECTED
	}
	// "unknown", and any state newer than this API.
	return callgatev1.CallState_CALL_STATE_UNKNOWN
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
