package emulator

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// maxInvitationTimeout is the API's upper bound of invitationTimeoutInSeconds.
const maxInvitationTimeout = 180

// listParticipants is GET /calling/callConnections/{id}/participants.
func (e *Emulator) listParticipants(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	return http.StatusOK, getParticipantsResponse{Value: c.conv.roster()}, nil
}

// getParticipant is GET /calling/callConnections/{id}/participants/{rawId}.
func (e *Emulator) getParticipant(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	p := c.conv.find(rc.rawID)
	if p == nil {
		return 0, nil, errNotFound("Participant not found.")
	}
	return http.StatusOK, p.wire(), nil
}

// addParticipant is POST .../participants:add: invite the target; it joins
// (AddParticipantSucceeded + ParticipantsUpdated) or not (AddParticipantFailed).
func (e *Emulator) addParticipant(rc *restCall) (int, any, *apiError) {
	var req addParticipantRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	target, err := normalizeIdentifier(req.ParticipantToAdd, "participantToAdd")
	if err != nil {
		return 0, nil, errBadRequest("%v.", err)
	}
	timeout := e.cfg.InvitationTimeout
	if req.InvitationTimeoutInSeconds != nil {
		s := *req.InvitationTimeoutInSeconds
		if s < 0 || s > maxInvitationTimeout {
			return 0, nil, errBadRequest("The field InvitationTimeoutInSeconds must be between 0 and %d.", maxInvitationTimeout)
		}
		if s > 0 {
			timeout = time.Duration(s) * time.Second
		}
	}
	if aerr := e.checkOperationCallbackURI(req.OperationCallbackURI); aerr != nil {
		return 0, nil, aerr
	}
	if req.SourceCallerIDNumber != nil && !validPhoneNumber(req.SourceCallerIDNumber.Value) {
		return 0, nil, errBadRequest("The field SourceCallerIdNumber is not an E.164 phone number.")
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if target.isPhone() && req.SourceCallerIDNumber == nil && c.callerID() == nil {
		return 0, nil, errBadRequest("SourceCallerIdNumber is required to add a phone number to this call.")
	}
	v := c.conv
	if v.find(target.RawID) != nil {
		return 0, nil, errConflict(subConflict, "%s is already a participant of the call.", target.RawID)
	}
	for inv := range v.invites {
		if inv.target.RawID == target.RawID {
			return 0, nil, errConflict(subConflict, "%s is already being invited.", target.RawID)
		}
	}

	inv := &invitation{id: newUUID(), target: target, operationContext: req.OperationContext, callbackOverride: req.OperationCallbackURI}
	inv.onAnswer = func() {
		delete(v.invites, inv)
		if !c.live() {
			return
		}
		t := inv.target
		v.addParticipant(t)
		v.hadRemote = true
		e.emitLocked(c, evAddParticipantSucceeded, inv.callbackOverride, eventData{Participant: &t, OperationContext: inv.operationContext, ResultInformation: &resultSuccess})
		e.participantsUpdatedLocked(v)
	}
	inv.onFail = func(res resultInformation) {
		delete(v.invites, inv)
		if !c.live() {
			return
		}
		t := inv.target
		e.emitLocked(c, evAddParticipantFailed, inv.callbackOverride, eventData{Participant: &t, OperationContext: inv.operationContext, ResultInformation: &res})
		e.checkConversationLocked(v, resultOthersLeft)
	}
	c.adds[inv.id] = inv
	v.invites[inv] = true
	e.ringLocked(timeout, inv)
	e.log.Info("participant invited", append(c.logFields(), zap.String("invitation_id", inv.id), zap.Duration("invitation_timeout", timeout))...)
	return http.StatusAccepted, addParticipantResponse{
		Participant:      callParticipant{Identifier: target},
		OperationContext: req.OperationContext,
		InvitationID:     inv.id,
	}, nil
}

// cancelAddParticipant is POST .../participants:cancelAddParticipant.
func (e *Emulator) cancelAddParticipant(rc *restCall) (int, any, *apiError) {
	var req cancelAddParticipantRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	if req.InvitationID == "" {
		return 0, nil, errBadRequest("The field InvitationId is required.")
	}
	if aerr := e.checkOperationCallbackURI(req.OperationCallbackURI); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	inv, ok := c.adds[req.InvitationID]
	if !ok {
		return 0, nil, errNotFound("Invitation %s not found.", req.InvitationID)
	}
	d := eventData{InvitationID: inv.id, OperationContext: req.OperationContext}
	if inv.cancel() {
		delete(c.conv.invites, inv)
		d.ResultInformation = &resultSuccess
		e.emitLocked(c, evCancelAddParticipantSucceeded, req.OperationCallbackURI, d)
		e.checkConversationLocked(c.conv, resultOthersLeft)
	} else {
		res := resultCancelTooLate
		d.ResultInformation = &res
		e.emitLocked(c, evCancelAddParticipantFailed, req.OperationCallbackURI, d)
	}
	return http.StatusAccepted, cancelAddParticipantResponse{InvitationID: inv.id, OperationContext: req.OperationContext}, nil
}

// removeParticipant is POST .../participants:remove.
func (e *Emulator) removeParticipant(rc *restCall) (int, any, *apiError) {
	var req removeParticipantRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	target, err := normalizeIdentifier(req.ParticipantToRemove, "participantToRemove")
	if err != nil {
		return 0, nil, errBadRequest("%v.", err)
	}
	if aerr := e.checkOperationCallbackURI(req.OperationCallbackURI); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	v := c.conv
	if v.find(target.RawID) == nil {
		return 0, nil, errNotFound("Participant not found.")
	}
	if v.isApp(target.RawID) {
		return 0, nil, errBadRequest("The application cannot remove itself; hang up instead.")
	}
	v.removeParticipant(target.RawID)
	e.emitLocked(c, evRemoveParticipantSucceeded, req.OperationCallbackURI, eventData{Participant: &target, OperationContext: req.OperationContext, ResultInformation: &resultSuccess})
	e.participantsUpdatedLocked(v)
	e.checkConversationLocked(v, resultEndedByAPI)
	return http.StatusAccepted, operationContextResponse{OperationContext: req.OperationContext}, nil
}

// muteParticipants is POST .../participants:mute. Only ACS users can be
// muted, as in the stable API.
func (e *Emulator) muteParticipants(rc *restCall) (int, any, *apiError) {
	var req muteParticipantsRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	if len(req.TargetParticipants) == 0 {
		return 0, nil, errBadRequest("The field TargetParticipants is required.")
	}
	targets := make([]identifierModel, 0, len(req.TargetParticipants))
	for i := range req.TargetParticipants {
		t, err := normalizeIdentifier(&req.TargetParticipants[i], fmt.Sprintf("targetParticipants[%d]", i))
		if err != nil {
			return 0, nil, errBadRequest("%v.", err)
		}
		if !t.isCommunicationUser() {
			return 0, nil, errBadRequest("Only Azure Communication Services users can be muted; %s is a %s.", t.RawID, t.Kind)
		}
		targets = append(targets, t)
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	v := c.conv
	var ps []*participant
	for _, t := range targets {
		p := v.find(t.RawID)
		if p == nil {
			return 0, nil, errNotFound("Participant %s not found.", t.RawID)
		}
		ps = append(ps, p)
	}
	changed := false
	for _, p := range ps {
		changed = changed || !p.muted
		p.muted = true
	}
	if changed {
		e.participantsUpdatedLocked(v)
	}
	return http.StatusOK, operationContextResponse{OperationContext: req.OperationContext}, nil
}

// moveParticipants is POST .../participants:moveHere: take participants
// from another call (fromCall, a call connection ID) into this one.
func (e *Emulator) moveParticipants(rc *restCall) (int, any, *apiError) {
	var req moveParticipantsRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	if req.FromCall == "" {
		return 0, nil, errBadRequest("The field FromCall is required.")
	}
	if len(req.TargetParticipants) == 0 {
		return 0, nil, errBadRequest("The field TargetParticipants is required.")
	}
	targets := make([]identifierModel, 0, len(req.TargetParticipants))
	for i := range req.TargetParticipants {
		t, err := normalizeIdentifier(&req.TargetParticipants[i], fmt.Sprintf("targetParticipants[%d]", i))
		if err != nil {
			return 0, nil, errBadRequest("%v.", err)
		}
		targets = append(targets, t)
	}
	if aerr := e.checkOperationCallbackURI(req.OperationCallbackURI); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	from, ok := e.calls[req.FromCall]
	if !ok || !from.live() {
		return 0, nil, errNotFound("The call %s to move participants from was not found.", req.FromCall)
	}
	if from.conv == c.conv {
		return 0, nil, errBadRequest("FromCall is this call.")
	}
	src, dst := from.conv, c.conv
	moved := false
	for _, t := range targets {
		tt := t
		p := src.find(t.RawID)
		if p == nil || src.isApp(t.RawID) {
			res := resultMoveNotFound
			e.emitLocked(c, evMoveParticipantFailed, req.OperationCallbackURI, eventData{Participant: &tt, FromCall: req.FromCall, OperationContext: req.OperationContext, ResultInformation: &res})
			continue
		}
		src.removeParticipant(t.RawID)
		if dst.find(t.RawID) == nil {
			dst.join(p)
		}
		dst.hadRemote = true
		moved = true
		e.emitLocked(c, evMoveParticipantSucceeded, req.OperationCallbackURI, eventData{Participant: &tt, FromCall: req.FromCall, OperationContext: req.OperationContext, ResultInformation: &resultSuccess})
	}
	if moved {
		e.participantsUpdatedLocked(dst)
		e.participantsUpdatedLocked(src)
		e.checkConversationLocked(src, resultOthersLeft)
	}
	return http.StatusAccepted, moveParticipantsResponse{Participants: dst.roster(), OperationContext: req.OperationContext, FromCall: req.FromCall}, nil
}
