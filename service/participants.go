package service

import (
	"context"
	"time"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// AddParticipant invites a participant into the call.
func (s *ParticipantServer) AddParticipant(ctx context.Context, req *callgatev1.AddParticipantRequest) (*callgatev1.AddParticipantResponse, error) {
	up, wait, err := addRequest(req)
	if err != nil {
		return nil, err
	}
	pw, err := s.deps.prepareWait(wait, true)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ACS.AddParticipant(ctx, up)
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	ev, err := pw.await(ctx, s.deps, &s.waits, up.CallConnectionID, outcomeAdd.withOperationContext(up.OperationContext),
		done{"invitation_id": res.InvitationID, "operation_context": up.OperationContext})
	if err != nil {
		return nil, err
	}
	out := &callgatev1.AddParticipantResponse{
		ResultEvent:      ev,
		InvitationId:     res.InvitationID,
		Participant:      participantToProto(res.Participant),
		OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext),
	}
	if out.Participant == nil {
		out.Participant = &callgatev1.CallParticipant{Identifier: identifierToProto(up.ParticipantToAdd)}
	}
	return out, nil
}

func addRequest(req *callgatev1.AddParticipantRequest) (*acs.AddParticipantRequest, time.Duration, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	up := &acs.AddParticipantRequest{
		CallConnectionID:           req.GetCallConnectionId(),
		ParticipantToAdd:           v.identifier(at("participant"), req.GetParticipant(), dialable),
		SourceDisplayName:          req.GetSourceDisplayName(),
		InvitationTimeoutInSeconds: req.GetInvitationTimeoutSeconds(),
		OperationContext:           req.GetOperationContext(),
		OperationCallbackURI:       req.GetOperationCallbackUri(),
		Repeatability:              acs.Repeatability{RequestID: req.GetRequestId()},
	}
	up.SourceCallerIDNumber = v.callerID("source_caller_id_number", req.GetSourceCallerIdNumber())
	if up.SourceCallerIDNumber == nil && up.ParticipantToAdd.ObjectKind() == acs.KindPhoneNumber {
		v.add("source_caller_id_number", "required to add a phone number: a number of the ACS resource")
	}
	v.invitationTimeout("invitation_timeout_seconds", req.GetInvitationTimeoutSeconds())
	v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
	up.CustomCallingContext = v.customCallingContext("custom_calling_context", req.GetCustomCallingContext(), up.ParticipantToAdd, "participant")
	v.requestID("request_id", req.GetRequestId())
	wait := v.wait(req.GetWait(), req.GetOperationCallbackUri())
	if wait > 0 {
		// The outcome event is matched by operation context: it needs one.
		up.OperationContext = operationContextFor(up.OperationContext, req.GetRequestId())
	}
	return up, wait, v.err()
}

// CancelAddParticipant withdraws an invitation that has not been answered.
func (s *ParticipantServer) CancelAddParticipant(ctx context.Context, req *callgatev1.CancelAddParticipantRequest) (*callgatev1.CancelAddParticipantResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	v.required("invitation_id", req.GetInvitationId())
	v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
	v.requestID("request_id", req.GetRequestId())
	wait := v.wait(req.GetWait(), req.GetOperationCallbackUri())
	if err := v.err(); err != nil {
		return nil, err
	}
	up := &acs.CancelAddParticipantRequest{
		CallConnectionID:     req.GetCallConnectionId(),
		InvitationID:         req.GetInvitationId(),
		OperationContext:     req.GetOperationContext(),
		OperationCallbackURI: req.GetOperationCallbackUri(),
		Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
	}
	pw, err := s.deps.prepareWait(wait, true)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ACS.CancelAddParticipant(ctx, up)
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	ev, err := pw.await(ctx, s.deps, &s.waits, up.CallConnectionID, outcomeCancel.withInvitationID(up.InvitationID),
		done{"invitation_id": up.InvitationID, "operation_context": up.OperationContext})
	if err != nil {
		return nil, err
	}
	return &callgatev1.CancelAddParticipantResponse{
		InvitationId:     firstNonEmpty(res.InvitationID, up.InvitationID),
		OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext),
		ResultEvent:      ev,
	}, nil
}

// RemoveParticipant removes a participant from the call.
func (s *ParticipantServer) RemoveParticipant(ctx context.Context, req *callgatev1.RemoveParticipantRequest) (*callgatev1.RemoveParticipantResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	up := &acs.RemoveParticipantRequest{
		CallConnectionID:     req.GetCallConnectionId(),
		ParticipantToRemove:  v.identifier(at("participant"), req.GetParticipant(), existing),
		OperationContext:     req.GetOperationContext(),
		OperationCallbackURI: req.GetOperationCallbackUri(),
		Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
	}
	v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
	v.requestID("request_id", req.GetRequestId())
	wait := v.wait(req.GetWait(), req.GetOperationCallbackUri())
	if err := v.err(); err != nil {
		return nil, err
	}
	if wait > 0 {
		up.OperationContext = operationContextFor(up.OperationContext, req.GetRequestId())
	}
	pw, err := s.deps.prepareWait(wait, true)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.ACS.RemoveParticipant(ctx, up)
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	ev, err := pw.await(ctx, s.deps, &s.waits, up.CallConnectionID, outcomeRemove.withOperationContext(up.OperationContext),
		done{"operation_context": up.OperationContext})
	if err != nil {
		return nil, err
	}
	return &callgatev1.RemoveParticipantResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext), ResultEvent: ev}, nil
}

// ListParticipants lists everyone in the call, every page of ACS's listing.
func (s *ParticipantServer) ListParticipants(ctx context.Context, req *callgatev1.ListParticipantsRequest) (*callgatev1.ListParticipantsResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	if err := v.err(); err != nil {
		return nil, err
	}
	res, err := s.deps.ACS.ListParticipants(ctx, &acs.ListParticipantsRequest{CallConnectionID: req.GetCallConnectionId()})
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	out := &callgatev1.ListParticipantsResponse{Participants: make([]*callgatev1.CallParticipant, len(res.Participants))}
	for i := range res.Participants {
		out.Participants[i] = participantToProto(&res.Participants[i])
	}
	return out, nil
}

// GetParticipant reads one participant by raw ID.
func (s *ParticipantServer) GetParticipant(ctx context.Context, req *callgatev1.GetParticipantRequest) (*callgatev1.GetParticipantResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	switch raw := req.GetRawId(); {
	case raw == "":
		v.add("raw_id", descRequired)
	case raw[0] == '+':
		v.add("raw_id", "a phone number's raw ID is 4: then the number (4:+16471234567)")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := s.deps.ACS.GetParticipant(ctx, &acs.GetParticipantRequest{CallConnectionID: req.GetCallConnectionId(), ParticipantRawID: req.GetRawId()})
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.GetParticipantResponse{Participant: participantToProto(p)}, nil
}

// MuteParticipant mutes an ACS user.
func (s *ParticipantServer) MuteParticipant(ctx context.Context, req *callgatev1.MuteParticipantRequest) (*callgatev1.MuteParticipantResponse, error) {
	var v validator
	v.required("call_connection_id", req.GetCallConnectionId())
	before := len(v.violations)
	target := v.identifier(at("participant"), req.GetParticipant(), existing)
	if len(v.violations) == before && target.ObjectKind() != acs.KindCommunicationUser {
		v.add("participant", "only ACS users (communication_user) can be muted: the stable ACS API mutes no other kind")
	}
	v.requestID("request_id", req.GetRequestId())
	if err := v.err(); err != nil {
		return nil, err
	}
	up := &acs.MuteParticipantsRequest{
		CallConnectionID:   req.GetCallConnectionId(),
		TargetParticipants: []acs.Identifier{target},
		OperationContext:   req.GetOperationContext(),
		Repeatability:      acs.Repeatability{RequestID: req.GetRequestId()},
	}
	res, err := s.deps.ACS.MuteParticipants(ctx, up)
	if err != nil {
		return nil, upstreamError(s.log, err)
	}
	return &callgatev1.MuteParticipantResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext)}, nil
}
