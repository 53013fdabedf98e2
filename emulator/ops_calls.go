package emulator

import (
	"net/http"
	"slices"

	"go.uber.org/zap"
)

// createCall is POST /calling/callConnections: ring every target; the first
// to answer connects the call (CallConnected + ParticipantsUpdated); when all
// fail the call fails (CreateCallFailed + CallDisconnected).
func (e *Emulator) createCall(rc *restCall) (int, any, *apiError) {
	var req createCallRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.callbackURI("callbackUri", "CallbackUri", req.CallbackURI, true, e.cfg.AllowInsecureCallbacks)
	bad.text("operationContext", "OperationContext", req.OperationContext, maxOperationContextRunes)
	bad.text("sourceDisplayName", "SourceDisplayName", req.SourceDisplayName, maxDisplayNameRunes)
	targets := bad.identifiers("targets", "Targets", req.Targets, maxCreateTargets, newParty)
	self := e.appIdentity
	if req.Source != nil {
		if id, ok := bad.acsUser("source.id", req.Source); ok {
			self = id
		}
	}
	bad.setupOptions(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	if a := req.TeamsAppSource; a != nil {
		// Accepted and checked; the simulated call is the same with it.
		bad.id("teamsAppSource.appId", "AppId", a.AppID, maxIdentifierBytes, true)
	}
	forbidden := e.checkCallerID(&bad, req.SourceCallerIDNumber)
	if req.SourceCallerIDNumber == nil && slices.ContainsFunc(targets, identifierModel.isPhone) {
		bad.add("sourceCallerIdNumber", "SourceCallerIdNumber is required to call a phone number.")
	}
	if aerr := bad.refuse(forbidden); aerr != nil {
		return 0, nil, aerr
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	v := e.newConversationLocked()
	c := e.newConnLocked(v, originCreate, req.CallbackURI, rc.apiVersion)
	c.operationContext = req.OperationContext
	c.setUpMedia(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	c.self = self
	c.source = &self
	c.targets = targets
	if req.SourceCallerIDNumber != nil {
		c.sourceCallerID = &phoneNumberModel{Value: req.SourceCallerIDNumber.Value}
	}
	c.sourceDisplayName = req.SourceDisplayName
	v.addParticipant(c.self)

	ringing := len(targets)
	invs := make([]*invitation, 0, len(targets))
	for _, t := range targets {
		inv := &invitation{id: newUUID(), target: t}
		inv.onAnswer = func() {
			delete(v.invites, inv)
			ringing--
			if !c.live() {
				return
			}
			v.addParticipant(inv.target)
			v.hadRemote = true
			if c.state == stateConnecting {
				e.connectedLocked(c)
				return
			}
			e.participantsUpdatedLocked(v)
		}
		inv.onFail = func(res resultInformation) {
			delete(v.invites, inv)
			ringing--
			if !c.live() || c.state != stateConnecting || ringing > 0 {
				return
			}
			e.emitLocked(c, evCreateCallFailed, "", eventData{OperationContext: c.operationContext, ResultInformation: &res})
			e.endConnLocked(c, res, true, c.operationContext)
		}
		v.invites[inv] = true
		invs = append(invs, inv)
	}
	c.createInvites = invs
	e.ringLocked(e.cfg.InvitationTimeout, invs...)
	e.log.Info("call created", append(c.logFields(), zap.Int("targets", len(targets)))...)
	return http.StatusCreated, c.properties(), nil
}

// answerCall is POST /calling/callConnections:answer.
func (e *Emulator) answerCall(rc *restCall) (int, any, *apiError) {
	var req answerCallRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.incomingCallContext(req.IncomingCallContext)
	bad.callbackURI("callbackUri", "CallbackUri", req.CallbackURI, true, e.cfg.AllowInsecureCallbacks)
	bad.text("operationContext", "OperationContext", req.OperationContext, maxOperationContextRunes)
	bad.setupOptions(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	answeredBy := e.appIdentity
	if req.AnsweredBy != nil {
		if id, ok := bad.acsUser("answeredBy.id", req.AnsweredBy); ok {
			answeredBy = id
		}
	}
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	in, ok := e.contexts[req.IncomingCallContext]
	if !ok {
		return 0, nil, errUnknownIncomingCall()
	}
	switch in.state {
	case incomingAnswered, incomingRejected, incomingRedirected:
		return 0, nil, errConflict(subConflict, "The incoming call was already %s.", in.state)
	}
	v := in.conv
	c := e.newConnLocked(v, originAnswer, req.CallbackURI, rc.apiVersion)
	c.operationContext = req.OperationContext
	c.setUpMedia(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	c.self = in.to
	from := in.from
	c.source = &from
	c.targets = []identifierModel{in.to}
	if in.from.isPhone() {
		c.sourceCallerID = in.from.phone()
	}
	if in.to.isPhone() {
		c.answeredFor = in.to.phone()
	}
	c.answeredBy = &communicationUserModel{ID: answeredBy.RawID}
	props := c.properties()

	if in.state != incomingRinging {
		// The caller gave up (or nobody answered in time) before this
		// answer: the service takes the request and then reports
		// AnswerFailed.
		res := resultCallerCanceled
		if in.state == incomingExpired {
			res = resultNotAnsweredTime
		}
		e.sched.after(0, func() {
			e.mu.Lock()
			defer e.unlockAndFlush()
			e.emitLocked(c, evAnswerFailed, "", eventData{OperationContext: c.operationContext, ResultInformation: &res})
			e.endConnLocked(c, res, false, "")
		})
		return http.StatusOK, props, nil
	}
	in.state = incomingAnswered
	in.answeredBy = c.id
	in.stopExpiry()
	e.settleLocked(in)
	v.addParticipant(in.to)
	e.sched.after(0, func() {
		e.mu.Lock()
		defer e.unlockAndFlush()
		if c.state == stateConnecting {
			e.connectedLocked(c)
		}
	})
	e.log.Info("incoming call answered", c.logFields()...)
	return http.StatusOK, props, nil
}

var rejectReasons = map[string]bool{"": true, "none": true, "busy": true, "forbidden": true}

// rejectCall is POST /calling/callConnections:reject; it raises no event.
func (e *Emulator) rejectCall(rc *restCall) (int, any, *apiError) {
	var req rejectCallRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.incomingCallContext(req.IncomingCallContext)
	if !rejectReasons[req.CallRejectReason] {
		bad.add("callRejectReason", "The field CallRejectReason must be one of none, busy, forbidden.")
	}
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	in, aerr := e.ringingIncomingLocked(req.IncomingCallContext)
	if aerr != nil {
		return 0, nil, aerr
	}
	in.state = incomingRejected
	in.stopExpiry()
	e.finishIncomingLocked(in)
	e.log.Info("incoming call rejected", zap.String("incoming_call_id", in.id), zap.String("correlation_id", in.conv.correlationID), zap.String("reason", req.CallRejectReason))
	return http.StatusNoContent, nil, nil
}

// redirectCall is POST /calling/callConnections:redirect. It raises no
// callback; a redirect to an identity of the resource raises a new
// IncomingCall for it, as the service does.
func (e *Emulator) redirectCall(rc *restCall) (int, any, *apiError) {
	var req redirectCallRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.incomingCallContext(req.IncomingCallContext)
	target, _ := bad.identifier("target", req.Target, newParty)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	in, aerr := e.ringingIncomingLocked(req.IncomingCallContext)
	if aerr != nil {
		return 0, nil, aerr
	}
	in.state = incomingRedirected
	in.stopExpiry()
	e.log.Info("incoming call redirected", zap.String("incoming_call_id", in.id), zap.String("correlation_id", in.conv.correlationID))
	webhook := in.webhook
	if webhook == "" {
		webhook = e.webhookURL
	}
	if e.ownsIdentity(target) && webhook != "" {
		next := e.newIncomingLocked(in.from, target, in.displayName, in.customContext, in.conv)
		next.webhook = webhook
		e.settleLocked(in)
		e.postIncomingInBackground(webhook, e.incomingCallEvent(next))
	} else {
		e.finishIncomingLocked(in)
	}
	return http.StatusNoContent, nil, nil
}

func (e *Emulator) ringingIncomingLocked(token string) (*incomingCall, *apiError) {
	in, ok := e.contexts[token]
	if !ok {
		return nil, errUnknownIncomingCall()
	}
	switch in.state {
	case incomingRinging:
		return in, nil
	case incomingCanceled, incomingExpired:
		return nil, errCallNotFound()
	default:
		return nil, errConflict(subConflict, "The incoming call was already %s.", in.state)
	}
}

// errUnknownIncomingCall answers a well-formed incomingCallContext that no
// incoming call of this emulator issued.
func errUnknownIncomingCall() *apiError {
	return errInvalid("incomingCallContext", "The field IncomingCallContext is invalid.")
}

// postIncomingInBackground delivers an IncomingCall outside any request; Close
// stops and waits for it.
func (e *Emulator) postIncomingInBackground(webhook string, ev eventGridEvent) {
	e.bgMu.Lock()
	defer e.bgMu.Unlock()
	if e.bgClosed {
		return
	}
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		if err := e.deliverIncomingCall(e.bgCtx, webhook, ev); err != nil && e.bgCtx.Err() == nil {
			e.log.Warn("incoming call not delivered", zap.String("webhook", redactURL(webhook)), zap.Error(err))
		}
	}()
}

// connectCall is POST /calling/callConnections:connect: join a server call
// the emulator knows, or a group call or room (made on first use).
func (e *Emulator) connectCall(rc *restCall) (int, any, *apiError) {
	var req connectRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.callbackURI("callbackUri", "CallbackUri", req.CallbackURI, true, e.cfg.AllowInsecureCallbacks)
	bad.text("operationContext", "OperationContext", req.OperationContext, maxOperationContextRunes)
	kind, id := bad.locator(req.CallLocator)
	bad.setupOptions(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	var v *conversation
	var failure *resultInformation
	var failAfter = e.cfg.AnswerDelay
	switch kind {
	case locatorServerCall:
		v = e.convs[id]
		if v == nil || v.ended {
			failure = &resultCallNotFound
			failAfter = 0
		}
	default:
		key := map[string]string{locatorGroupCall: "group:", locatorRoom: "room:"}[kind] + id
		b := e.behaviorLocked(id)
		failAfter = e.answerDelayLocked(b)
		switch b.Answer {
		case AnswerDecline:
			failure = &resultDeclined
		case AnswerBusy:
			failure = &resultBusy
		case AnswerUnavailable:
			failure, failAfter = &resultUnavailable, 0
		case AnswerNoAnswer:
			failure, failAfter = &resultNoAnswer, e.cfg.InvitationTimeout
		}
		if failure == nil {
			v = e.locators[key]
			if v == nil {
				v = e.newConversationLocked()
				v.locatorKey = key
				e.locators[key] = v
			}
		}
	}
	if failure != nil {
		// A connection that never joins: it exists so the failure event
		// has a call connection to be about.
		v = &conversation{serverCallID: id, correlationID: newUUID(), invites: map[*invitation]bool{}, ended: true}
		if kind != locatorServerCall {
			v.serverCallID = newServerCallID()
		}
	}
	c := e.newConnLocked(v, originConnect, req.CallbackURI, rc.apiVersion)
	c.operationContext = req.OperationContext
	c.setUpMedia(req.CallIntelligenceOptions, req.MediaStreamingOptions, req.TranscriptionOptions)
	c.self = e.appIdentity
	props := c.properties()
	if failure != nil {
		res := *failure
		e.sched.after(failAfter, func() {
			e.mu.Lock()
			defer e.unlockAndFlush()
			if !c.live() {
				return
			}
			e.emitLocked(c, evConnectFailed, "", eventData{OperationContext: c.operationContext, ResultInformation: &res})
			e.endConnLocked(c, res, false, "")
		})
		return http.StatusOK, props, nil
	}
	e.sched.after(0, func() {
		e.mu.Lock()
		defer e.unlockAndFlush()
		if c.state != stateConnecting {
			return
		}
		v.addParticipant(c.self)
		e.connectedLocked(c)
	})
	e.log.Info("call connect requested", append(c.logFields(), zap.String("locator_kind", kind))...)
	return http.StatusOK, props, nil
}

// getCall is GET /calling/callConnections/{id}.
func (e *Emulator) getCall(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	return http.StatusOK, c.properties(), nil
}

// hangUp is DELETE /calling/callConnections/{id}: the application leaves.
func (e *Emulator) hangUp(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	e.endConnLocked(c, resultEndedByAPI, true, "")
	return http.StatusNoContent, nil, nil
}

// terminate is POST /calling/callConnections/{id}:terminate: the call ends
// for everyone.
func (e *Emulator) terminate(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	v := c.conv
	if v.ended {
		e.endConnLocked(c, resultEndedByAPI, true, "")
		return http.StatusNoContent, nil, nil
	}
	v.ending = true
	e.endConnLocked(c, resultEndedByAPI, true, "")
	// The other applications in the call learn that someone else ended it.
	e.endAllLocked(v, resultConversationEnded)
	v.participants, v.byID = nil, nil
	e.dropConversationLocked(v)
	e.log.Info("call terminated", c.logFields()...)
	return http.StatusNoContent, nil, nil
}

// transfer is POST /calling/callConnections/{id}:transferToParticipant.
func (e *Emulator) transfer(rc *restCall) (int, any, *apiError) {
	var req transferToParticipantRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	target, _ := bad.identifier("targetParticipant", req.TargetParticipant, newParty)
	var transferee *identifierModel
	if req.Transferee != nil {
		if t, ok := bad.identifier("transferee", req.Transferee, existingParty); ok {
			transferee = &t
		}
	}
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	bad.customContext("customCallingContext", req.CustomCallingContext)
	if aerr := bad.refuse(e.checkCallerID(&bad, req.SourceCallerIDNumber)); aerr != nil {
		return 0, nil, aerr
	}

	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.liveCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if c.state == stateTransferring {
		return 0, nil, errConflict(subTransferConflict, "A transfer is already in progress on this call.")
	}
	if !c.established() {
		return 0, nil, errNotEstablished()
	}
	v := c.conv
	remotes := v.remotes()
	if transferee == nil {
		if len(remotes) != 1 {
			return 0, nil, errInvalid("transferee", "The field Transferee is required when the call has %d other participants.", len(remotes))
		}
		t := remotes[0].id
		transferee = &t
	} else if v.find(transferee.RawID) == nil || v.isApp(transferee.RawID) {
		return 0, nil, errNotFound("Transferee %s is not a participant of the call.", transferee.RawID)
	}
	if v.find(target.RawID) != nil {
		return 0, nil, errInvalid("targetParticipant", "The transfer target is already in the call.")
	}
	oneToOne := len(remotes) == 1

	c.state = stateTransferring
	inv := &invitation{id: newUUID(), target: target, operationContext: req.OperationContext, callbackOverride: req.OperationCallbackURI}
	c.transfer = inv
	tee := *transferee
	fail := func(res resultInformation) {
		c.transfer = nil
		if !c.live() {
			return
		}
		c.state = stateConnected
		e.emitLocked(c, evCallTransferFailed, inv.callbackOverride, eventData{OperationContext: inv.operationContext, ResultInformation: &res})
	}
	inv.onFail = fail
	inv.onAnswer = func() {
		c.transfer = nil
		if !c.live() {
			return
		}
		tgt := inv.target
		c.state = stateTransferAccepted
		e.emitLocked(c, evCallTransferAccepted, inv.callbackOverride, eventData{
			TransferTarget: &tgt, Transferee: &tee,
			OperationContext: inv.operationContext, ResultInformation: &resultTransferred,
		})
		if oneToOne {
			// The transferee now talks to the target; the application is
			// out of the call.
			v.addParticipant(tgt)
			e.endConnLocked(c, resultTransferEnded, true, "")
			return
		}
		c.state = stateConnected
		v.removeParticipant(tee.RawID)
		v.addParticipant(tgt)
		e.participantsUpdatedLocked(v)
	}
	if e.behaviorLocked(tee.RawID).Transfer == TransferRefuse || e.behaviorLocked(target.RawID).Transfer == TransferRefuse {
		inv.state = invPending
		delay := e.answerDelayLocked(e.behaviorLocked(target.RawID))
		inv.stops = append(inv.stops, e.sched.after(delay, func() {
			e.mu.Lock()
			defer e.unlockAndFlush()
			if inv.state != invPending {
				return
			}
			inv.state = invFailed
			fail(resultTransferRefused)
		}))
	} else {
		e.ringLocked(e.cfg.InvitationTimeout, inv)
	}
	e.log.Info("transfer requested", c.logFields()...)
	return http.StatusAccepted, operationContextResponse{OperationContext: req.OperationContext}, nil
}
