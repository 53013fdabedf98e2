package service_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func TestAnswerCall(t *testing.T) {
	s := newStack(t)

	t.Run("to an ACS user", func(t *testing.T) {
		caller, callee := phoneNumber(), s.acsUser()
		in, id := s.incomingCall(t, "4:"+caller, callee)
		res, err := s.Calls.AnswerCall(testContext(t), &callgatev1.AnswerCallRequest{
			IncomingCallContext: in.GetIncomingCallContext(),
			OperationContext:    "answer-ctx",
		})
		if err != nil {
			t.Fatalf("AnswerCall: %v", err)
		}
		call := res.GetCall()
		if call.GetCallConnectionId() == "" || call.GetCorrelationId() != in.GetCorrelationId() || call.GetServerCallId() != in.GetServerCallId() {
			t.Errorf("answered call %v, want the IDs of the incoming call %v", call, in)
		}
		if src := call.GetSource(); src.GetRawId() != "4:"+caller || src.GetPhoneNumber().GetValue() != caller {
			t.Errorf("source %v, want the caller 4:%s", src, caller)
		}
		if call.GetAnsweredBy().GetRawId() != s.Emulator.ApplicationID() || call.GetAnsweredBy().GetCommunicationUser() == nil {
			t.Errorf("answered by %v, want the application", call.GetAnsweredBy())
		}
		s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallConnected", "answer-ctx")
		if st := s.incomingState(t, id); st != "answered" {
			t.Errorf("emulator says the incoming call is %s", st)
		}
	})

	t.Run("to a phone number, answered by a chosen user", func(t *testing.T) {
		number, agent := phoneNumber(), s.acsUser()
		in, _ := s.incomingCall(t, s.acsUser(), "4:"+number)
		res, err := s.Calls.AnswerCall(testContext(t), &callgatev1.AnswerCallRequest{
			IncomingCallContext: in.GetIncomingCallContext(),
			AnsweredBy:          &callgatev1.CommunicationUser{Id: agent},
			RequestId:           "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		})
		if err != nil {
			t.Fatalf("AnswerCall: %v", err)
		}
		call := res.GetCall()
		if call.GetAnsweredFor().GetValue() != number {
			t.Errorf("answered for %v, want %s", call.GetAnsweredFor(), number)
		}
		if call.GetAnsweredBy().GetRawId() != agent {
			t.Errorf("answered by %v, want %s", call.GetAnsweredBy(), agent)
		}
		s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
	})

	t.Run("twice", func(t *testing.T) {
		in, _ := s.incomingCall(t, s.acsUser(), s.acsUser())
		req := &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext()}
		if _, err := s.Calls.AnswerCall(testContext(t), req); err != nil {
			t.Fatalf("AnswerCall: %v", err)
		}
		_, err := s.Calls.AnswerCall(testContext(t), req)
		assertUpstreamError(t, err, codes.FailedPrecondition, "8519", 409)
	})
}

func TestRejectCall(t *testing.T) {
	s := newStack(t)
	for _, reason := range []callgatev1.CallRejectReason{
		callgatev1.CallRejectReason_CALL_REJECT_REASON_UNSPECIFIED,
		callgatev1.CallRejectReason_CALL_REJECT_REASON_NONE,
		callgatev1.CallRejectReason_CALL_REJECT_REASON_BUSY,
		callgatev1.CallRejectReason_CALL_REJECT_REASON_FORBIDDEN,
	} {
		t.Run(reason.String(), func(t *testing.T) {
			in, id := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
			n := s.Upstream.count()
			_, err := s.Calls.RejectCall(testContext(t), &callgatev1.RejectCallRequest{IncomingCallContext: in.GetIncomingCallContext(), Reason: reason})
			if err != nil {
				t.Fatalf("RejectCall: %v", err)
			}
			if got := s.Upstream.since(n); len(got) != 1 || got[0] != "POST /calling/callConnections:reject" {
				t.Errorf("upstream requests %v, want one POST :reject", got)
			}
			if st := s.incomingState(t, id); st != "rejected" {
				t.Errorf("emulator says the incoming call is %s", st)
			}
		})
	}
}

func TestRedirectCall(t *testing.T) {
	s := newStack(t)

	t.Run("to a phone number, no caller ID", func(t *testing.T) {
		in, id := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		_, err := s.Calls.RedirectCall(testContext(t), &callgatev1.RedirectCallRequest{
			IncomingCallContext: in.GetIncomingCallContext(),
			Target:              phoneID(phoneNumber()),
		})
		if err != nil {
			t.Fatalf("RedirectCall: %v", err)
		}
		if st := s.incomingState(t, id); st != "redirected" {
			t.Errorf("emulator says the incoming call is %s", st)
		}
	})

	t.Run("to a user of the resource, who gets a new incoming call", func(t *testing.T) {
		in, _ := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		next := s.acsUser()
		ctx := testContext(t)
		w, err := s.Events.WatchIncoming(ctx, eventlog.IncomingOptions{Called: next, NewOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = w.Close() }()
		_, err = s.Calls.RedirectCall(ctx, &callgatev1.RedirectCallRequest{IncomingCallContext: in.GetIncomingCallContext(), Target: rawOnly(next)})
		if err != nil {
			t.Fatalf("RedirectCall: %v", err)
		}
		if _, err := w.Next(ctx); err != nil {
			t.Fatalf("no IncomingCall for the redirect target: %v", err)
		}
	})

	t.Run("after the caller hung up", func(t *testing.T) {
		in, id := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		s.control(t, "POST", "/incomingCalls/"+id+"/hangUp", nil, 204, nil)
		_, err := s.Calls.RedirectCall(testContext(t), &callgatev1.RedirectCallRequest{IncomingCallContext: in.GetIncomingCallContext(), Target: rawOnly(s.acsUser())})
		if status.Code(err) != codes.NotFound {
			t.Errorf("RedirectCall: %v, want NotFound", err)
		}
	})
}
