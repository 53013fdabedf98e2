package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// connectedCall creates a 1:1 call to remote and waits until it is connected.
func (env *testEnv) connectedCall(remote string, extra map[string]any) callConnectionProperties {
	env.t.Helper()
	props := env.createCall(env.recv.url("/cb"), extra, acsUser(remote))
	env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	return props
}

func TestAddParticipant(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("first"), nil)
	id := call.CallConnectionID

	var res addParticipantResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{
		"participantToAdd": acsUser(user("added")), "invitationTimeoutInSeconds": 60,
		"operationContext": "add-ctx", "operationCallbackUri": env.recv.url("/op"),
		"customCallingContext": map[string]any{"voipHeaders": map[string]string{"myHeader": "myValue"}, "sipHeaders": map[string]string{}},
	}, &res)
	if res.InvitationID == "" || res.OperationContext != "add-ctx" || res.Participant.Identifier.RawID != user("added") {
		t.Fatalf("add answer %+v", res)
	}
	evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evAddParticipantSucceeded, evParticipantsUpdated)
	succeeded := evs[2]
	checkEnvelope(t, succeeded, id)
	if succeeded.path != "/op" {
		t.Errorf("AddParticipantSucceeded went to %s, not the operation callback", succeeded.path)
	}
	if evs[3].path != "/cb" {
		t.Errorf("ParticipantsUpdated went to %s", evs[3].path)
	}
	if p := succeeded.event.Data["participant"].(map[string]any); p["rawId"] != user("added") || succeeded.event.Data["operationContext"] != "add-ctx" {
		t.Errorf("AddParticipantSucceeded data %v", succeeded.event.Data)
	}
	if got := participantIDs(t, evs[3]); len(got) != 3 || got[2] != user("added") {
		t.Errorf("participants %v", got)
	}

	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{"participantToAdd": acsUser(user("added"))})
	if status != http.StatusConflict {
		t.Errorf("adding a participant twice: %d %s", status, out)
	}
	status, out, _ = env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{"participantToAdd": phone("+16041234567")})
	if status != http.StatusBadRequest || !strings.Contains(string(out), "SourceCallerIdNumber") {
		t.Errorf("PSTN add without caller ID: %d %s", status, out)
	}
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{
		"participantToAdd": phone("+16041234567"), "sourceCallerIdNumber": map[string]any{"value": "+16044561234"}, "sourceDisplayName": "Contoso",
	}, &res)
	env.recv.waitFor(id, "PSTN join", func(evs []received) bool { return len(evs) >= 6 })
	status, out, _ = env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{
		"participantToAdd": acsUser(user("z")), "invitationTimeoutInSeconds": 181,
	})
	if status != http.StatusBadRequest {
		t.Errorf("timeout 181s: %d %s", status, out)
	}
}

func TestAddParticipantFailures(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("first"), nil)
	id := call.CallConnectionID
	cases := []struct {
		answer    string
		code, sub int
	}{
		{AnswerDecline, 603, 8538},
		{AnswerBusy, 486, 8539},
		{AnswerNoAnswer, 487, 10004},
	}
	for _, tc := range cases {
		target := user("add-") + tc.answer
		env.script(target, Behavior{Answer: tc.answer})
		var res addParticipantResponse
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{
			"participantToAdd": acsUser(target), "invitationTimeoutInSeconds": 1, "operationContext": tc.answer,
		}, &res)
		evs := env.recv.waitFor(id, "AddParticipantFailed "+tc.answer, func(evs []received) bool {
			return len(evs) > 0 && evs[len(evs)-1].kind() == evAddParticipantFailed && evs[len(evs)-1].event.Data["operationContext"] == tc.answer
		})
		last := evs[len(evs)-1]
		if code, sub := resultOf(t, last); code != tc.code || sub != tc.sub {
			t.Errorf("%s: result %d/%d, want %d/%d", tc.answer, code, sub, tc.code, tc.sub)
		}
		if p := last.event.Data["participant"].(map[string]any); p["rawId"] != target {
			t.Errorf("participant %v", p)
		}
	}
	if n := len(env.recv.events(id)); n != 5 {
		t.Errorf("events %v", kinds(env.recv.events(id)))
	}
}

func TestCancelAddParticipant(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("first"), nil)
	id := call.CallConnectionID
	env.script(user("ringing"), Behavior{Answer: AnswerNoAnswer})
	var res addParticipantResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add",
		map[string]any{"participantToAdd": acsUser(user("ringing"))}, &res)
	var cres cancelAddParticipantResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:cancelAddParticipant",
		map[string]any{"invitationId": res.InvitationID, "operationContext": "cancel-ctx"}, &cres)
	if cres.InvitationID != res.InvitationID || cres.OperationContext != "cancel-ctx" {
		t.Errorf("cancel answer %+v", cres)
	}
	evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evCancelAddParticipantSucceeded)
	if evs[2].event.Data["invitationId"] != res.InvitationID {
		t.Errorf("data %v", evs[2].event.Data)
	}

	// Cancelling an invitation that was already answered fails.
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add",
		map[string]any{"participantToAdd": acsUser(user("quick"))}, &res)
	env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evCancelAddParticipantSucceeded, evAddParticipantSucceeded, evParticipantsUpdated)
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:cancelAddParticipant",
		map[string]any{"invitationId": res.InvitationID}, nil)
	evs = env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evCancelAddParticipantSucceeded, evAddParticipantSucceeded, evParticipantsUpdated, evCancelAddParticipantFailed)
	if code, sub := resultOf(t, evs[5]); code != 409 || sub != 8519 {
		t.Errorf("CancelAddParticipantFailed %d/%d", code, sub)
	}
	status, _, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:cancelAddParticipant", map[string]any{"invitationId": "nope"})
	if status != http.StatusNotFound {
		t.Errorf("unknown invitation: %d", status)
	}
}

func TestRemoveAndMute(t *testing.T) {
	env := newEnv(t, nil)
	props := env.createCall(env.recv.url("/cb"), nil, acsUser(user("a")), acsUser(user("b")))
	id := props.CallConnectionID
	// Both targets answer at the same instant: one roster update names both.
	evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
	if got := participantIDs(t, evs[1]); len(got) != 3 {
		t.Fatalf("participants %v", got)
	}

	var mres operationContextResponse
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections/"+id+"/participants:mute",
		map[string]any{"targetParticipants": []any{acsUser(user("a"))}, "operationContext": "mute"}, &mres)
	if mres.OperationContext != "mute" {
		t.Errorf("mute answer %+v", mres)
	}
	evs = env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evParticipantsUpdated)
	for _, p := range evs[2].event.Data["participants"].([]any) {
		pm := p.(map[string]any)
		muted := pm["identifier"].(map[string]any)["rawId"] == user("a")
		if pm["isMuted"] != muted {
			t.Errorf("after mute: %v", pm)
		}
	}
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:mute",
		map[string]any{"targetParticipants": []any{phone("+16041234567")}})
	if status != http.StatusBadRequest || !strings.Contains(string(out), `"code":"8523"`) {
		t.Errorf("mute a phone number: %d %s", status, out)
	}
	status, _, _ = env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:mute",
		map[string]any{"targetParticipants": []any{acsUser(user("nobody"))}})
	if status != http.StatusNotFound {
		t.Errorf("mute a stranger: %d", status)
	}

	var rres operationContextResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:remove",
		map[string]any{"participantToRemove": acsUser(user("a")), "operationContext": "remove-ctx"}, &rres)
	if rres.OperationContext != "remove-ctx" {
		t.Errorf("remove answer %+v", rres)
	}
	evs = env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evParticipantsUpdated, evRemoveParticipantSucceeded, evParticipantsUpdated)
	if got := participantIDs(t, evs[4]); len(got) != 2 || got[1] != user("b") {
		t.Errorf("after remove %v", got)
	}
	status, _, _ = env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:remove", map[string]any{"participantToRemove": acsUser(user("a"))})
	if status != http.StatusNotFound {
		t.Errorf("remove twice: %d", status)
	}
	// Removing the last remote participant ends the call.
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:remove",
		map[string]any{"participantToRemove": acsUser(user("b"))}, nil)
	env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evParticipantsUpdated,
		evRemoveParticipantSucceeded, evParticipantsUpdated, evRemoveParticipantSucceeded, evParticipantsUpdated, evCallDisconnected)
}

func TestTransfer(t *testing.T) {
	env := newEnv(t, nil)
	t.Run("accepted", func(t *testing.T) {
		call := env.connectedCall(user("caller"), nil)
		var res operationContextResponse
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+":transferToParticipant", map[string]any{
			"targetParticipant": acsUser(user("agent")), "operationContext": "xfer-ctx", "operationCallbackUri": env.recv.url("/op"),
		}, &res)
		if res.OperationContext != "xfer-ctx" {
			t.Errorf("transfer answer %+v", res)
		}
		evs := env.recv.waitKinds(call.CallConnectionID, evCallConnected, evParticipantsUpdated, evCallTransferAccepted, evCallDisconnected)
		acc := evs[2]
		// The application is out of the call because the transfer completed.
		checkResult(t, evs[3], resultTransferEnded)
		if code, sub := resultOf(t, acc); code != 200 || sub != 7015 {
			t.Errorf("CallTransferAccepted %d/%d", code, sub)
		}
		if acc.path != "/op" || acc.event.Data["operationContext"] != "xfer-ctx" {
			t.Errorf("CallTransferAccepted to %s: %v", acc.path, acc.event.Data)
		}
		if tt := acc.event.Data["transferTarget"].(map[string]any); tt["rawId"] != user("agent") {
			t.Errorf("transferTarget %v", tt)
		}
		if te := acc.event.Data["transferee"].(map[string]any); te["rawId"] != user("caller") {
			t.Errorf("transferee %v", te)
		}
	})
	t.Run("refused", func(t *testing.T) {
		env.script(user("stubborn"), Behavior{Transfer: TransferRefuse})
		call := env.connectedCall(user("caller2"), nil)
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+":transferToParticipant",
			map[string]any{"targetParticipant": acsUser(user("stubborn"))}, nil)
		evs := env.recv.waitKinds(call.CallConnectionID, evCallConnected, evParticipantsUpdated, evCallTransferFailed)
		if code, sub := resultOf(t, evs[2]); code != 603 || sub != 8538 {
			t.Errorf("CallTransferFailed %d/%d", code, sub)
		}
		var props callConnectionProperties
		env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+call.CallConnectionID, nil, &props)
		if props.CallConnectionState != stateConnected {
			t.Errorf("state after refused transfer %s", props.CallConnectionState)
		}
	})
	t.Run("target does not answer", func(t *testing.T) {
		env.script(user("away"), Behavior{Answer: AnswerBusy})
		call := env.connectedCall(user("caller3"), nil)
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+":transferToParticipant",
			map[string]any{"targetParticipant": acsUser(user("away"))}, nil)
		evs := env.recv.waitKinds(call.CallConnectionID, evCallConnected, evParticipantsUpdated, evCallTransferFailed)
		if code, _ := resultOf(t, evs[2]); code != 486 {
			t.Errorf("code %d", code)
		}
	})
	t.Run("conflict while transferring", func(t *testing.T) {
		env.script(user("slowagent"), Behavior{AnswerDelay: &Duration{D: time.Hour}})
		call := env.connectedCall(user("caller4"), nil)
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+":transferToParticipant",
			map[string]any{"targetParticipant": acsUser(user("slowagent"))}, nil)
		var props callConnectionProperties
		env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+call.CallConnectionID, nil, &props)
		if props.CallConnectionState != stateTransferring {
			t.Errorf("state %s", props.CallConnectionState)
		}
		status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+":transferToParticipant",
			map[string]any{"targetParticipant": acsUser(user("other"))})
		if status != http.StatusConflict || !strings.Contains(string(out), "8607") {
			t.Errorf("second transfer: %d %s", status, out)
		}
	})
	t.Run("group call transfer replaces the transferee", func(t *testing.T) {
		props := env.createCall(env.recv.url("/cb"), nil, acsUser(user("g1")), acsUser(user("g2")))
		id := props.CallConnectionID
		env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
		status, _, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+":transferToParticipant", map[string]any{"targetParticipant": acsUser(user("g3"))})
		if status != http.StatusBadRequest {
			t.Errorf("group transfer without transferee: %d", status)
		}
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+":transferToParticipant",
			map[string]any{"targetParticipant": acsUser(user("g3")), "transferee": acsUser(user("g1"))}, nil)
		evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evCallTransferAccepted, evParticipantsUpdated)
		if got := strings.Join(participantIDs(t, evs[3]), ","); got != env.srv.ApplicationID()+","+user("g2")+","+user("g3") {
			t.Errorf("participants %s", got)
		}
	})
}

func TestMoveParticipants(t *testing.T) {
	env := newEnv(t, nil)
	a := env.connectedCall(user("a-remote"), nil)
	b := env.connectedCall(user("b-remote"), nil)
	var res moveParticipantsResponse
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+a.CallConnectionID+"/participants:moveHere", map[string]any{
		"targetParticipants": []any{acsUser(user("b-remote"))}, "fromCall": b.CallConnectionID, "operationContext": "move",
	}, &res)
	if res.FromCall != b.CallConnectionID || len(res.Participants) != 3 || res.OperationContext != "move" {
		t.Errorf("move answer %+v", res)
	}
	evs := env.recv.waitKinds(a.CallConnectionID, evCallConnected, evParticipantsUpdated, evMoveParticipantSucceeded, evParticipantsUpdated)
	if evs[2].event.Data["fromCall"] != b.CallConnectionID {
		t.Errorf("MoveParticipantSucceeded %v", evs[2].event.Data)
	}
	// b lost its only remote participant.
	env.recv.waitKinds(b.CallConnectionID, evCallConnected, evParticipantsUpdated, evParticipantsUpdated, evCallDisconnected)
}
