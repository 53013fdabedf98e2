package service

import (
	"context"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// AddParticipant invites a participant into the call.
func (s *ParticipantServer) AddParticipant(ctx context.Context, req *callgatev1.AddParticipantRequest) (*callgatev1.AddParticipantResponse, error) {
	return addParticipant.serve(ctx, s.core, req)
}

var addParticipant = unary[*callgatev1.AddParticipantRequest, *callgatev1.AddParticipantResponse, *acs.AddParticipantRequest, *acs.AddParticipantResponse]{
	build: func(_ *core, v *validator, req *callgatev1.AddParticipantRequest) (*acs.AddParticipantRequest, outcome) {
		up := &acs.AddParticipantRequest{
			CallConnectionID:           req.GetCallConnectionId(),
			ParticipantToAdd:           v.identifier(at("participant"), req.GetParticipant(), dialable),
			SourceDisplayName:          req.GetSourceDisplayName(),
			InvitationTimeoutInSeconds: req.GetInvitationTimeoutSeconds(),
			OperationContext:           v.operationContext(req.GetOperationContext()),
			OperationCallbackURI:       req.GetOperationCallbackUri(),
			Repeatability:              acs.Repeatability{RequestID: req.GetRequestId()},
		}
		up.SourceCallerIDNumber = v.callerID("source_caller_id_number", req.GetSourceCallerIdNumber())
		if up.SourceCallerIDNumber == nil && up.ParticipantToAdd.ObjectKind() == acs.KindPhoneNumber {
			v.add("source_caller_id_number", "required to add a phone number: a number of the ACS resource")
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up.CustomCallingContext = v.customCallingContext("custom_calling_context", req.GetCustomCallingContext(), up.ParticipantToAdd, "participant")
		o := outcomeAdd
		o.operationContext = up.OperationContext
		return up, o
	},
	call: (*acs.Client).AddParticipant,
	respond: func(up *acs.AddParticipantRequest, res *acs.AddParticipantResponse) *callgatev1.AddParticipantResponse {
		out := &callgatev1.AddParticipantResponse{
			InvitationId:     res.InvitationID,
			Participant:      acsproto.Participant(res.Participant),
			OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext),
		}
		if out.Participant == nil {
			out.Participant = &callgatev1.CallParticipant{Identifier: acsproto.Identifier(up.ParticipantToAdd)}
		}
		return out
	},
}

// CancelAddParticipant withdraws an invitation that has not been answered.
func (s *ParticipantServer) CancelAddParticipant(ctx context.Context, req *callgatev1.CancelAddParticipantRequest) (*callgatev1.CancelAddParticipantResponse, error) {
	return cancelAddParticipant.serve(ctx, s.core, req)
}

var cancelAddParticipant = unary[*callgatev1.CancelAddParticipantRequest, *callgatev1.CancelAddParticipantResponse, *acs.CancelAddParticipantRequest, *acs.CancelAddParticipantResponse]{
	build: func(_ *core, v *validator, req *callgatev1.CancelAddParticipantRequest) (*acs.CancelAddParticipantRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.CancelAddParticipantRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			InvitationID:         req.GetInvitationId(),
			OperationContext:     req.GetOperationContext(),
			OperationCallbackURI: req.GetOperationCallbackUri(),
			Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
		}
		// Matched by the invitation it cancels: no operation context needed.
		o := outcomeCancel
		o.invitationID = up.InvitationID
		return up, o
	},
	call: (*acs.Client).CancelAddParticipant,
	respond: func(up *acs.CancelAddParticipantRequest, res *acs.CancelAddParticipantResponse) *callgatev1.CancelAddParticipantResponse {
		return &callgatev1.CancelAddParticipantResponse{
			InvitationId:     firstNonEmpty(res.InvitationID, up.InvitationID),
			OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext),
		}
	},
}

// RemoveParticipant removes a participant from the call.
func (s *ParticipantServer) RemoveParticipant(ctx context.Context, req *callgatev1.RemoveParticipantRequest) (*callgatev1.RemoveParticipantResponse, error) {
	return removeParticipant.serve(ctx, s.core, req)
}

var removeParticipant = unary[*callgatev1.RemoveParticipantRequest, *callgatev1.RemoveParticipantResponse, *acs.RemoveParticipantRequest, *acs.RemoveParticipantResponse]{
	build: func(_ *core, v *validator, req *callgatev1.RemoveParticipantRequest) (*acs.RemoveParticipantRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.RemoveParticipantRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			ParticipantToRemove:  v.identifier(at("participant"), req.GetParticipant(), existing),
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
			Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
		}
		o := outcomeRemove
		o.operationContext = up.OperationContext
		return up, o
	},
	call: (*acs.Client).RemoveParticipant,
	respond: func(up *acs.RemoveParticipantRequest, res *acs.RemoveParticipantResponse) *callgatev1.RemoveParticipantResponse {
		return &callgatev1.RemoveParticipantResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext)}
	},
}

// ListParticipants lists everyone in the call, every page of ACS's listing.
func (s *ParticipantServer) ListParticipants(ctx context.Context, req *callgatev1.ListParticipantsRequest) (*callgatev1.ListParticipantsResponse, error) {
	return listParticipants.serve(ctx, s.core, req)
}

var listParticipants = unary[*callgatev1.ListParticipantsRequest, *callgatev1.ListParticipantsResponse, *acs.ListParticipantsRequest, *acs.ListParticipantsResponse]{
	build: func(_ *core, _ *validator, req *callgatev1.ListParticipantsRequest) (*acs.ListParticipantsRequest, outcome) {
		return &acs.ListParticipantsRequest{CallConnectionID: req.GetCallConnectionId()}, outcome{}
	},
	call: (*acs.Client).ListParticipants,
	respond: func(_ *acs.ListParticipantsRequest, res *acs.ListParticipantsResponse) *callgatev1.ListParticipantsResponse {
		out := &callgatev1.ListParticipantsResponse{Participants: make([]*callgatev1.CallParticipant, len(res.Participants))}
		for i := range res.Participants {
			out.Participants[i] = acsproto.Participant(&res.Participants[i])
		}
		return out
	},
}

// GetParticipant reads one participant by raw ID.
func (s *ParticipantServer) GetParticipant(ctx context.Context, req *callgatev1.GetParticipantRequest) (*callgatev1.GetParticipantResponse, error) {
	return getParticipant.serve(ctx, s.core, req)
}

var getParticipant = unary[*callgatev1.GetParticipantRequest, *callgatev1.GetParticipantResponse, *acs.GetParticipantRequest, *acs.CallParticipant]{
	build: func(_ *core, v *validator, req *callgatev1.GetParticipantRequest) (*acs.GetParticipantRequest, outcome) {
		// Checked as any raw ID of a request is, and by the same rules; an empty one is a declared
		// violation already.
		if raw := req.GetRawId(); raw != "" {
			v.rawIdentifier(path{name: "raw_id", index: -1, whole: true}, raw, existing)
		}
		return &acs.GetParticipantRequest{CallConnectionID: req.GetCallConnectionId(), ParticipantRawID: req.GetRawId()}, outcome{}
	},
	call: (*acs.Client).GetParticipant,
	respond: func(_ *acs.GetParticipantRequest, p *acs.CallParticipant) *callgatev1.GetParticipantResponse {
		return &callgatev1.GetParticipantResponse{Participant: acsproto.Participant(p)}
	},
}

// MuteParticipant mutes an ACS user.
func (s *ParticipantServer) MuteParticipant(ctx context.Context, req *callgatev1.MuteParticipantRequest) (*callgatev1.MuteParticipantResponse, error) {
	return muteParticipant.serve(ctx, s.core, req)
}

var muteParticipant = unary[*callgatev1.MuteParticipantRequest, *callgatev1.MuteParticipantResponse, *acs.MuteParticipantsRequest, *acs.MuteParticipantsResponse]{
	build: func(_ *core, v *validator, req *callgatev1.MuteParticipantRequest) (*acs.MuteParticipantsRequest, outcome) {
		before := len(v.violations)
		target := v.identifier(at("participant"), req.GetParticipant(), existing)
		if len(v.violations) == before && target.ObjectKind() != acs.KindCommunicationUser {
			v.add("participant", "only ACS users (communication_user) can be muted: the stable ACS API mutes no other kind")
		}
		return &acs.MuteParticipantsRequest{
			CallConnectionID:   req.GetCallConnectionId(),
			TargetParticipants: []acs.Identifier{target},
			OperationContext:   req.GetOperationContext(),
			Repeatability:      acs.Repeatability{RequestID: req.GetRequestId()},
		}, outcome{}
	},
	call: (*acs.Client).MuteParticipants,
	respond: func(up *acs.MuteParticipantsRequest, res *acs.MuteParticipantsResponse) *callgatev1.MuteParticipantResponse {
		return &callgatev1.MuteParticipantResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext)}
	},
}

// MoveParticipants moves participants of another call of this application into this one.
func (s *ParticipantServer) MoveParticipants(ctx context.Context, req *callgatev1.MoveParticipantsRequest) (*callgatev1.MoveParticipantsResponse, error) {
	return moveParticipants.serve(ctx, s.core, req)
}

var moveParticipants = unary[*callgatev1.MoveParticipantsRequest, *callgatev1.MoveParticipantsResponse, *acs.MoveParticipantsRequest, *acs.MoveParticipantsResponse]{
	build: func(_ *core, v *validator, req *callgatev1.MoveParticipantsRequest) (*acs.MoveParticipantsRequest, outcome) {
		targets := req.GetTargetParticipants()
		up := &acs.MoveParticipantsRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			TargetParticipants:   make([]acs.Identifier, len(targets)),
			FromCall:             req.GetFromCall(),
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
			Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
		}
		o := outcomeMove
		o.operationContext = up.OperationContext
		seen := make(map[string]int, len(targets))
		for i, t := range targets {
			id := v.identifier(elem("target_participants", i), t, existing)
			up.TargetParticipants[i] = id
			if id.RawID == "" {
				continue
			}
			if j, ok := seen[id.RawID]; ok {
				v.add(fieldIndex("target_participants", i), "repeats "+fieldIndex("target_participants", j))
				continue
			}
			seen[id.RawID] = i
			// ACS sends one outcome event per participant: the wait is for all of them.
			o.each = append(o.each, id.RawID)
		}
		if req.GetFromCall() != "" && req.GetFromCall() == req.GetCallConnectionId() {
			v.add("from_call", "is this call connection: participants move from another call")
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		return up, o
	},
	call: (*acs.Client).MoveParticipants,
	respond: func(up *acs.MoveParticipantsRequest, res *acs.MoveParticipantsResponse) *callgatev1.MoveParticipantsResponse {
		out := &callgatev1.MoveParticipantsResponse{
			OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext),
			FromCall:         firstNonEmpty(res.FromCall, up.FromCall),
		}
		for i := range res.Participants {
			out.Participants = append(out.Participants, acsproto.Participant(&res.Participants[i]))
		}
		return out
	},
}
