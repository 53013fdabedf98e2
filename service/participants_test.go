package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func TestAddParticipant(t *testing.T) {
	s := newStack(t)

	t.Run("ACS user", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		id, user := call.GetCallConnectionId(), s.acsUser()
		res, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{
			CallConnectionId:         id,
			Participant:              userID(user),
			InvitationTimeoutSeconds: 30,
			OperationContext:         "add-user",
			CustomCallingContext:     &callgatev1.CustomCallingContext{VoipHeaders: map[string]string{"ticket": "42"}},
		})
		if err != nil {
			t.Fatalf("AddParticipant: %v", err)
		}
		if res.GetInvitationId() == "" || res.GetOperationContext() != "add-user" {
			t.Errorf("invitation %q, operation context %q", res.GetInvitationId(), res.GetOperationContext())
		}
		if got := res.GetParticipant().GetIdentifier(); got.GetRawId() != user || got.GetCommunicationUser().GetId() != user {
			t.Errorf("participant %v, want %s with raw ID and kind", got, user)
		}
		ev := s.waitEvent(t, id, "Microsoft.Communication.AddParticipantSucceeded", "add-user")
		if ev.GetAddParticipantSucceeded().GetParticipant().GetRawId() != user {
			t.Errorf("AddParticipantSucceeded for %v", ev.GetAddParticipantSucceeded().GetParticipant())
		}
	})

	t.Run("phone number with caller ID and SIP headers", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		number := phoneNumber()
		res, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{
			CallConnectionId:     call.GetCallConnectionId(),
			Participant:          rawOnly("4:" + number),
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
			SourceDisplayName:    "Contoso",
			CustomCallingContext: &callgatev1.CustomCallingContext{
				SipUserToUser: "uui",
				SipXHeaders:   map[string]string{"ticket": "42"},
			},
			RequestId: "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
		})
		if err != nil {
			t.Fatalf("AddParticipant: %v", err)
		}
		if got := res.GetParticipant().GetIdentifier(); got.GetPhoneNumber().GetValue() != number {
			t.Errorf("participant %v, want %s", got, number)
		}
		s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.AddParticipantSucceeded", "")
	})

	t.Run("operation callback URI gets the outcome instead of the gateway", func(t *testing.T) {
		got := make(chan []map[string]any, 4) // one per delivery; a test adds one participant
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var evs []map[string]any
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &evs)
			select {
			case got <- evs:
			default:
			}
		}))
		defer hook.Close()
		call, _ := s.connectedCall(t)
		_, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{
			CallConnectionId:     call.GetCallConnectionId(),
			Participant:          userID(s.acsUser()),
			OperationContext:     "elsewhere",
			OperationCallbackUri: hook.URL + "/events",
		})
		if err != nil {
			t.Fatalf("AddParticipant: %v", err)
		}
		select {
		case evs := <-got:
			if len(evs) != 1 || evs[0]["type"] != "Microsoft.Communication.AddParticipantSucceeded" {
				t.Errorf("the operation callback URI got %v", evs)
			}
		case <-testContext(t).Done():
			t.Fatal("nothing reached the operation callback URI")
		}
	})
}

func TestCancelAddParticipant(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	id, slow := call.GetCallConnectionId(), s.acsUser()
	s.script(t, slow, map[string]any{"answerDelay": "10m"})
	added, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(slow)})
	if err != nil {
		t.Fatalf("AddParticipant: %v", err)
	}
	res, err := s.Participants.CancelAddParticipant(testContext(t), &callgatev1.CancelAddParticipantRequest{
		CallConnectionId: id, InvitationId: added.GetInvitationId(), OperationContext: "never-mind",
	})
	if err != nil {
		t.Fatalf("CancelAddParticipant: %v", err)
	}
	if res.GetInvitationId() != added.GetInvitationId() || res.GetOperationContext() != "never-mind" {
		t.Errorf("response %v", res)
	}
	ev := s.waitEvent(t, id, "Microsoft.Communication.CancelAddParticipantSucceeded", "never-mind")
	if ev.GetCancelAddParticipantSucceeded().GetInvitationId() != added.GetInvitationId() {
		t.Errorf("cancelled invitation %q, want %q", ev.GetCancelAddParticipantSucceeded().GetInvitationId(), added.GetInvitationId())
	}
}

func TestRemoveParticipant(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	id, user := call.GetCallConnectionId(), s.acsUser()
	if _, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(user)}); err != nil {
		t.Fatalf("AddParticipant: %v", err)
	}
	s.waitEvent(t, id, "Microsoft.Communication.AddParticipantSucceeded", "")
	res, err := s.Participants.RemoveParticipant(testContext(t), &callgatev1.RemoveParticipantRequest{
		CallConnectionId: id, Participant: rawOnly(user), OperationContext: "bye",
	})
	if err != nil {
		t.Fatalf("RemoveParticipant: %v", err)
	}
	if res.GetOperationContext() != "bye" {
		t.Errorf("operation context %q", res.GetOperationContext())
	}
	ev := s.waitEvent(t, id, "Microsoft.Communication.RemoveParticipantSucceeded", "bye")
	if ev.GetRemoveParticipantSucceeded().GetParticipant().GetRawId() != user {
		t.Errorf("removed %v, want %s", ev.GetRemoveParticipantSucceeded().GetParticipant(), user)
	}
}

func TestListAndGetParticipants(t *testing.T) {
	s := newStack(t)
	user, number := s.acsUser(), phoneNumber()
	created, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		Targets:              []*callgatev1.CommunicationIdentifier{userID(user), phoneID(number)},
		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
	})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	id := created.GetCall().GetCallConnectionId()
	waitParticipant(t, s, id, "4:"+number)
	waitParticipant(t, s, id, user)

	list, err := s.Participants.ListParticipants(testContext(t), &callgatev1.ListParticipantsRequest{CallConnectionId: id})
	if err != nil {
		t.Fatalf("ListParticipants: %v", err)
	}
	kinds := map[string]string{}
	for _, p := range list.GetParticipants() {
		i := p.GetIdentifier()
		kind := ""
		switch {
		case i.GetCommunicationUser() != nil:
			kind = "communication_user"
		case i.GetPhoneNumber() != nil:
			kind = "phone_number"
		}
		kinds[i.GetRawId()] = kind
	}
	want := map[string]string{s.Emulator.ApplicationID(): "communication_user", user: "communication_user", "4:" + number: "phone_number"}
	for raw, kind := range want {
		if kinds[raw] != kind {
			t.Errorf("participant %s: kind %q, want %q (list %v)", raw, kinds[raw], kind, list.GetParticipants())
		}
	}

	for _, raw := range []string{user, "4:" + number} {
		got, err := s.Participants.GetParticipant(testContext(t), &callgatev1.GetParticipantRequest{CallConnectionId: id, RawId: raw})
		if err != nil {
			t.Fatalf("GetParticipant %s: %v", raw, err)
		}
		if got.GetParticipant().GetIdentifier().GetRawId() != raw {
			t.Errorf("GetParticipant %s = %v", raw, got.GetParticipant())
		}
	}
}

func TestMuteParticipant(t *testing.T) {
	s := newStack(t)
	call, callee := s.connectedCall(t)
	id := call.GetCallConnectionId()
	res, err := s.Participants.MuteParticipant(testContext(t), &callgatev1.MuteParticipantRequest{
		CallConnectionId: id, Participant: userID(callee), OperationContext: "hush",
	})
	if err != nil {
		t.Fatalf("MuteParticipant: %v", err)
	}
	if res.GetOperationContext() != "hush" {
		t.Errorf("operation context %q", res.GetOperationContext())
	}
	got, err := s.Participants.GetParticipant(testContext(t), &callgatev1.GetParticipantRequest{CallConnectionId: id, RawId: callee})
	if err != nil {
		t.Fatalf("GetParticipant: %v", err)
	}
	if !got.GetParticipant().GetIsMuted() {
		t.Errorf("participant %v is not muted", got.GetParticipant())
	}
}
