package service_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func TestCreateCall(t *testing.T) {
	s := newStack(t)

	t.Run("ACS user", func(t *testing.T) {
		callee := s.acsUser()
		res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
			Targets:          []*callgatev1.CommunicationIdentifier{userID(callee)},
			OperationContext: "order-42",
		})
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		call := res.GetCall()
		if call.GetCallConnectionId() == "" || call.GetServerCallId() == "" || call.GetCorrelationId() == "" {
			t.Fatalf("call lacks its IDs: %v", call)
		}
		if call.GetState() != callgatev1.CallState_CALL_STATE_CONNECTING {
			t.Errorf("state = %v, want CONNECTING", call.GetState())
		}
		if len(call.GetTargets()) != 1 || call.GetTargets()[0].GetRawId() != callee || call.GetTargets()[0].GetCommunicationUser().GetId() != callee {
			t.Errorf("targets = %v, want %s with raw ID and kind", call.GetTargets(), callee)
		}
		if call.GetSource().GetRawId() != s.Emulator.ApplicationID() || call.GetSource().GetCommunicationUser() == nil {
			t.Errorf("source = %v, want the application %s", call.GetSource(), s.Emulator.ApplicationID())
		}
		ev := s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallConnected", "order-42")
		if ev.GetCorrelationId() != call.GetCorrelationId() {
			t.Errorf("CallConnected correlation %q, call %q", ev.GetCorrelationId(), call.GetCorrelationId())
		}
		// The gateway, not the caller, chose where ACS posts the call's events.
		var view emulator.CallView
		s.control(t, http.MethodGet, "/calls/"+call.GetCallConnectionId(), nil, http.StatusOK, &view)
		if view.CallbackURI == "" || view.State != "connected" {
			t.Errorf("emulator view: callback %q, state %q", view.CallbackURI, view.State)
		}
	})

	t.Run("phone number by raw ID, with caller ID", func(t *testing.T) {
		number := phoneNumber()
		res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
			Targets:              []*callgatev1.CommunicationIdentifier{rawOnly("4:" + number)},
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
			SourceDisplayName:    "Contoso",
		})
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		call := res.GetCall()
		if got := call.GetTargets()[0]; got.GetRawId() != "4:"+number || got.GetPhoneNumber().GetValue() != number {
			t.Errorf("target = %v, want 4:%s as a phone number", got, number)
		}
		if call.GetSourceCallerIdNumber().GetValue() != callerID || call.GetSourceDisplayName() != "Contoso" {
			t.Errorf("caller ID %v, display name %q", call.GetSourceCallerIdNumber(), call.GetSourceDisplayName())
		}
		s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
	})

	t.Run("group call", func(t *testing.T) {
		a, b, number := s.acsUser(), s.acsUser(), phoneNumber()
		res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
			Targets:              []*callgatev1.CommunicationIdentifier{userID(a), rawOnly(b), phoneID(number)},
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
		})
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		if n := len(res.GetCall().GetTargets()); n != 3 {
			t.Fatalf("%d targets, want 3", n)
		}
		id := res.GetCall().GetCallConnectionId()
		s.waitEvent(t, id, "Microsoft.Communication.CallConnected", "")
		list, err := s.Participants.ListParticipants(testContext(t), &callgatev1.ListParticipantsRequest{CallConnectionId: id})
		if err != nil {
			t.Fatalf("ListParticipants: %v", err)
		}
		// The first answer connects the call; the others may still be joining.
		if len(list.GetParticipants()) < 2 {
			t.Errorf("participants %v, want the application and at least one target", list.GetParticipants())
		}
	})

	t.Run("target declines", func(t *testing.T) {
		callee := s.acsUser()
		s.script(t, callee, map[string]any{"answer": "decline"})
		res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}})
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		ev := s.waitEvent(t, res.GetCall().GetCallConnectionId(), "Microsoft.Communication.CreateCallFailed", "")
		if ev.GetResultInformation().GetSubCode() != 8538 {
			t.Errorf("CreateCallFailed result %v, want sub-code 8538 (declined)", ev.GetResultInformation())
		}
	})
}

func TestGetCall(t *testing.T) {
	s := newStack(t)
	call, callee := s.connectedCall(t)
	res, err := s.Calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: call.GetCallConnectionId()})
	if err != nil {
		t.Fatalf("GetCall: %v", err)
	}
	got := res.GetCall()
	if got.GetCallConnectionId() != call.GetCallConnectionId() || got.GetServerCallId() != call.GetServerCallId() || got.GetCorrelationId() != call.GetCorrelationId() {
		t.Errorf("GetCall = %v, want the IDs of %v", got, call)
	}
	if got.GetState() != callgatev1.CallState_CALL_STATE_CONNECTED {
		t.Errorf("state %v, want CONNECTED", got.GetState())
	}
	if got.GetTargets()[0].GetRawId() != callee {
		t.Errorf("targets %v, want %s", got.GetTargets(), callee)
	}
}

func TestHangUpCall(t *testing.T) {
	s := newStack(t)

	t.Run("leave", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		id := call.GetCallConnectionId()
		if _, err := s.Calls.HangUpCall(testContext(t), &callgatev1.HangUpCallRequest{CallConnectionId: id}); err != nil {
			t.Fatalf("HangUpCall: %v", err)
		}
		s.waitEvent(t, id, "Microsoft.Communication.CallDisconnected", "")
		if got := s.Upstream.since(0); !contains(got, "DELETE /calling/callConnections/"+id) {
			t.Errorf("upstream requests %v, want a DELETE of the call", got)
		}
		_, err := s.Calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: id})
		if status.Code(err) != codes.NotFound {
			t.Errorf("GetCall after hang-up: %v, want NotFound", err)
		}
	})

	t.Run("for everyone", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		id := call.GetCallConnectionId()
		// A second application connection to the same call also ends.
		other, err := s.Calls.ConnectCall(testContext(t), &callgatev1.ConnectCallRequest{
			CallLocator: &callgatev1.ConnectCallRequest_ServerCallId{ServerCallId: call.GetServerCallId()},
		})
		if err != nil {
			t.Fatalf("ConnectCall: %v", err)
		}
		s.waitEvent(t, other.GetCall().GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
		_, err = s.Calls.HangUpCall(testContext(t), &callgatev1.HangUpCallRequest{
			CallConnectionId: id, ForEveryone: true, RequestId: "0b6f5f6e-9a43-4d2c-9d7e-3f1c2b4a5d6e",
		})
		if err != nil {
			t.Fatalf("HangUpCall: %v", err)
		}
		s.waitEvent(t, id, "Microsoft.Communication.CallDisconnected", "")
		s.waitEvent(t, other.GetCall().GetCallConnectionId(), "Microsoft.Communication.CallDisconnected", "")
		if got := s.Upstream.since(0); !contains(got, "POST /calling/callConnections/"+id+":terminate") {
			t.Errorf("upstream requests %v, want a POST :terminate", got)
		}
	})
}

func TestConnectCall(t *testing.T) {
	s := newStack(t)

	t.Run("server call", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		res, err := s.Calls.ConnectCall(testContext(t), &callgatev1.ConnectCallRequest{
			CallLocator:      &callgatev1.ConnectCallRequest_ServerCallId{ServerCallId: call.GetServerCallId()},
			OperationContext: "join",
		})
		if err != nil {
			t.Fatalf("ConnectCall: %v", err)
		}
		got := res.GetCall()
		if got.GetCallConnectionId() == "" || got.GetCallConnectionId() == call.GetCallConnectionId() {
			t.Fatalf("connect gave call connection %q, want a new one", got.GetCallConnectionId())
		}
		if got.GetServerCallId() != call.GetServerCallId() {
			t.Errorf("server call ID %q, want %q", got.GetServerCallId(), call.GetServerCallId())
		}
		s.waitEvent(t, got.GetCallConnectionId(), "Microsoft.Communication.CallConnected", "join")
	})

	t.Run("group call", func(t *testing.T) {
		res, err := s.Calls.ConnectCall(testContext(t), &callgatev1.ConnectCallRequest{
			CallLocator: &callgatev1.ConnectCallRequest_GroupCallId{GroupCallId: "11111111-2222-3333-4444-555555555555"},
		})
		if err != nil {
			t.Fatalf("ConnectCall: %v", err)
		}
		s.waitEvent(t, res.GetCall().GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
	})

	t.Run("room", func(t *testing.T) {
		res, err := s.Calls.ConnectCall(testContext(t), &callgatev1.ConnectCallRequest{
			CallLocator: &callgatev1.ConnectCallRequest_RoomId{RoomId: "99411735203453342"},
		})
		if err != nil {
			t.Fatalf("ConnectCall: %v", err)
		}
		s.waitEvent(t, res.GetCall().GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
	})

	t.Run("unknown server call fails later", func(t *testing.T) {
		res, err := s.Calls.ConnectCall(testContext(t), &callgatev1.ConnectCallRequest{
			CallLocator: &callgatev1.ConnectCallRequest_ServerCallId{ServerCallId: "aHR0cHM6Ly9zZXJ2ZXItY2FsbC1pZA"},
		})
		if err != nil {
			t.Fatalf("ConnectCall: %v", err)
		}
		s.waitEvent(t, res.GetCall().GetCallConnectionId(), "Microsoft.Communication.ConnectFailed", "")
	})
}

func TestTransferCall(t *testing.T) {
	s := newStack(t)

	t.Run("1:1 to an ACS user, operation context made up", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		target := s.acsUser()
		res, err := s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{
			CallConnectionId: call.GetCallConnectionId(),
			Target:           userID(target),
			CustomCallingContext: &callgatev1.CustomCallingContext{
				VoipHeaders: map[string]string{"ticket": "42"},
			},
		})
		if err != nil {
			t.Fatalf("TransferCall: %v", err)
		}
		opCtx := res.GetOperationContext()
		if len(opCtx) != 36 {
			t.Fatalf("operation context %q, want a UUID the gateway made up", opCtx)
		}
		ev := s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallTransferAccepted", opCtx)
		if got := ev.GetCallTransferAccepted().GetTransferTarget().GetRawId(); got != target {
			t.Errorf("transfer target %q, want %q", got, target)
		}
	})

	t.Run("to a phone number with SIP headers, request_id as operation context", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		requestID := "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
		res, err := s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{
			CallConnectionId:     call.GetCallConnectionId(),
			Target:               phoneID(phoneNumber()),
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
			CustomCallingContext: &callgatev1.CustomCallingContext{
				SipUserToUser: "uuivalue",
				SipXHeaders:   map[string]string{"header1": "headerValue"},
			},
			RequestId: requestID,
		})
		if err != nil {
			t.Fatalf("TransferCall: %v", err)
		}
		if res.GetOperationContext() != requestID {
			t.Errorf("operation context %q, want the request ID %q (a retry must send the same body)", res.GetOperationContext(), requestID)
		}
		s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallTransferAccepted", requestID)
	})

	t.Run("group call: move the transferee", func(t *testing.T) {
		a, b := s.acsUser(), s.acsUser()
		created, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(a), userID(b)}})
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		id := created.GetCall().GetCallConnectionId()
		s.waitEvent(t, id, "Microsoft.Communication.CallConnected", "")
		waitParticipant(t, s, id, b)
		target := s.acsUser()
		res, err := s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{
			CallConnectionId: id, Target: rawOnly(target), Transferee: rawOnly(b), OperationContext: "move-b",
		})
		if err != nil {
			t.Fatalf("TransferCall: %v", err)
		}
		ev := s.waitEvent(t, id, "Microsoft.Communication.CallTransferAccepted", res.GetOperationContext())
		if got := ev.GetCallTransferAccepted().GetTransferee().GetRawId(); got != b {
			t.Errorf("transferee %q, want %q", got, b)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// waitParticipant waits until rawID is in the call's roster: ParticipantsUpdated events say so.
func waitParticipant(t *testing.T, s *stack, callID, rawID string) {
	t.Helper()
	ctx := testContext(t)
	w, err := s.Events.WatchCall(ctx, callID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	for {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s to join: %v", rawID, err)
		}
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			t.Fatal(err)
		}
		for _, p := range ev.GetParticipantsUpdated().GetParticipants() {
			if p.GetIdentifier().GetRawId() == rawID {
				return
			}
		}
	}
}
