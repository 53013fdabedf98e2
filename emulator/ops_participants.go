package emulator

import (
	"net/http"
	"time"

	"go.uber.org/zap"
)

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
	if _, err := parseRawID(rc.rawID, existingParty); err != nil {
		return 0, nil, errInvalid("participantRawId", "The participant raw ID of the path is invalid: %v.", err)
	}
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
	var bad violations
	target, _ := bad.identifier("participantToAdd", req.ParticipantToAdd, newParty)
	timeout := e.cfg.InvitationTimeout
	if req.InvitationTimeoutInSeconds != nil {
		s := *req.InvitationTimeoutInSeconds
		switch {
		case s < 0 || s > maxInvitationTimeout:
			bad.add("invitationTimeoutInSeconds", "The field InvitationTimeoutInSeconds must be between 0 and %d.", maxInvitationTimeout)
		case s > 0:
			timeout = time.Duration(s) * time.Second
		}
	}
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	bad.text("sourceDisplayName", "SourceDisplayName", req.SourceDisplayName, maxDisplayNameRunes)
	bad.customContext("customCallingContext", req.CustomCallingContext)
	if aerr := bad.refuse(e.checkCallerID(&bad, req.SourceCallerIDNumber)); aerr != nil {
		return 0, nil, aerr
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if target.isPhone() && req.SourceCallerIDNumber == nil && c.callerID() == nil {
		return 0, nil, errInvalid("sourceCallerIdNumber", "SourceCallerIdNumber is required to add a phone number to this call.")
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

	if v.invitedRemotes() >= maxCallParticipants {
		return 0, nil, errCallFull("participantToAdd")
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
	var bad violations
	bad.id("invitationId", "InvitationId", req.InvitationID, maxInvitationIDBytes, true)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
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
	var bad violations
	target, _ := bad.identifier("participantToRemove", req.ParticipantToRemove, existingParty)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
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
		return 0, nil, errInvalid("participantToRemove", "The application cannot remove itself; hang up instead.")
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
	var bad violations
	targets := bad.identifiers("targetParticipants", "TargetParticipants", req.TargetParticipants, maxCallParticipants, existingParty)
	for i, t := range targets {
		if len(targets) == len(req.TargetParticipants) && !t.isCommunicationUser() {
			bad.add(indexed("targetParticipants", i), "Only Azure Communication Services users can be muted; %s is a %s.", t.RawID, t.Kind)
		}
	}
	bad.text("operationContext", "OperationContext", req.OperationContext, maxOperationContextRunes)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
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
	var bad violations
	bad.id("fromCall", "FromCall", req.FromCall, maxCallConnectionIDBytes, true)
	targets := bad.identifiers("targetParticipants", "TargetParticipants", req.TargetParticipants, maxCallParticipants, existingParty)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
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
		return 0, nil, errInvalid("fromCall", "FromCall is this call.")
	}
	src, dst := from.conv, c.conv
	joining := 0
	for _, t := range targets {
		if src.find(t.RawID) != nil && !src.isApp(t.RawID) && dst.find(t.RawID) == nil {
			joining++
		}
	}
	if dst.invitedRemotes()+joining > maxCallParticipants {
		return 0, nil, errCallFull("targetParticipants")
	}
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

// errCallFull refuses a participant past maxCallParticipants. ACS documents
// no code for this case; the emulator answers as for any request it cannot
// take, 400 8523, naming the field that would overfill the call.
func errCallFull(target string) *apiError {
	return errInvalid(target, "The call already has the most participants it can have (%d, those being invited included).", maxCallParticipants)
}
