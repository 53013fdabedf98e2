package client_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/client"
	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// connected places a call to a new ACS user and waits until it is connected.
func connected(t testing.TB, cl *cluster, c *client.Client) string {
	t.Helper()
	res, err := c.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{client.User(cl.User())}}, client.Wait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return res.GetCall().GetCallConnectionId()
}

// The helpers read the gateway's errors as it sends them: bad fields, ACS's codes, the failure
// event of a wait, what a wait started.
func TestErrorHelpersReadTheGatewaysStatuses(t *testing.T) {
	cl := newCluster(t)
	c := dial(t, cl.Target())
	ctx := testContext(t)

	t.Run("bad request", func(t *testing.T) {
		_, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{
			Targets:              []*callgatev1.CommunicationIdentifier{client.User(cl.User()), client.Phone("16471234567")},
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
		})
		v := client.FieldViolations(err)
		if status.Code(err) != codes.InvalidArgument || !slices.ContainsFunc(v, func(v *errdetails.BadRequest_FieldViolation) bool {
			return v.GetField() == "targets[1].phone_number.value"
		}) {
			t.Fatalf("%v: violations %v", err, v)
		}
	})

	t.Run("ACS error", func(t *testing.T) {
		_, err := c.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "no-such-call"})
		res, ok := client.ACS(err)
		if status.Code(err) != codes.NotFound || !ok || res.Code != http.StatusNotFound || res.SubCode != 8522 || res.ErrorCode != "8522" {
			t.Fatalf("%v: ACS = %+v, %v", err, res, ok)
		}
		if info := client.ErrorInfo(err); info.GetDomain() != client.DomainACS {
			t.Fatalf("ErrorInfo %v", info)
		}
	})

	t.Run("failed outcome", func(t *testing.T) {
		callID, busy := connected(t, cl, c), cl.User()
		cl.Emulator.SetBehavior(busy, emulator.Behavior{Answer: emulator.AnswerBusy})
		_, err := c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: callID, Participant: client.User(busy)}, client.Wait(10*time.Second))
		ev := client.FailureEvent(err)
		res, ok := client.ACS(err)
		if status.Code(err) != codes.Aborted || ev.GetAddParticipantFailed() == nil || !ok || res.Code != 486 || res.SubCode != 8539 {
			t.Fatalf("%v: event %v, ACS %+v", err, ev, res)
		}
		if client.Reason(err) != "ADD_PARTICIPANT_FAILED" {
			t.Fatalf("reason %q", client.Reason(err))
		}
	})

	t.Run("wait ran out, then Outcome", func(t *testing.T) {
		callID, late := connected(t, cl, c), cl.User()
		cl.Emulator.SetBehavior(late, emulator.Behavior{Answer: emulator.AnswerNoAnswer})
		_, err := c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: callID, Participant: client.User(late), InvitationTimeoutSeconds: 1},
			client.Wait(100*time.Millisecond))
		op, ok := client.Started(err)
		if status.Code(err) != codes.DeadlineExceeded || client.Reason(err) != client.ReasonOutcomeNotYetKnown || !ok ||
			op.CallConnectionID != callID || op.OperationContext == "" || op.InvitationID == "" {
			t.Fatalf("%v: started %+v, %v", err, op, ok)
		}
		// The invitation rings out after a second: Outcome sees it fail.
		_, err = c.Outcome(ctx, op)
		res, _ := client.ACS(err)
		if status.Code(err) != codes.Aborted || client.FailureEvent(err).GetAddParticipantFailed() == nil || res.Code != 487 || res.SubCode != 10004 {
			t.Fatalf("Outcome: %v, ACS %+v", err, res)
		}
		if again, ok := client.Started(err); !ok || again != op {
			t.Fatalf("Outcome's error names %+v, want %+v", again, op)
		}
		calls, err := cl.Calls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range calls {
			if v.CallConnectionID == callID && len(v.Invitations) != 1 {
				t.Fatalf("%d invitations: the wait's end was retried", len(v.Invitations))
			}
		}
	})
}

// Watch ends, with an error it yields once, on what resuming cannot mend.
func TestWatchStopsOnWhatResumingCannotMend(t *testing.T) {
	t.Run("unknown call", func(t *testing.T) {
		cl := newCluster(t)
		n := 0
		for ev, err := range dial(t, cl.Target()).Watch(testContext(t), "no-such-call") {
			n++
			if ev != nil || status.Code(err) != codes.NotFound {
				t.Fatalf("yielded %v, %v; want NOT_FOUND", ev, err)
			}
		}
		if n != 1 {
			t.Fatalf("yielded %d times", n)
		}
	})

	t.Run("resume point gone", func(t *testing.T) {
		cl := newCluster(t, withSyntheticEvents(), withMaxEvents(5))
		ctx := testContext(t)
		const callID = "call-old"
		for i := range 10 {
			if err := cl.post(ctx, cloudEvent(fmt.Sprintf("ev-%d", i), callID, "ParticipantsUpdated", nil)); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.post(ctx, cloudEvent("end", callID, "CallDisconnected", nil)); err != nil {
			t.Fatal(err)
		}
		c := dial(t, cl.Target())
		var stopped error
		for _, err := range c.Watch(ctx, callID, client.AfterSequence(1)) {
			stopped = err
		}
		after, ok := client.ResumeAfter(stopped)
		if status.Code(stopped) != codes.OutOfRange || client.Reason(stopped) != client.ReasonResumePointUnavailable || !ok {
			t.Fatalf("Watch ended with %v", stopped)
		}
		// Starting over where the gateway says, accepting the gap: the five events it keeps.
		var ids []string
		for ev, err := range c.Watch(ctx, callID, client.AfterSequence(after)) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.GetId())
		}
		if want := []string{"ev-6", "ev-7", "ev-8", "ev-9", "end"}; fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("after %d: %v, want %v", after, ids, want)
		}
	})
}

func TestOnEvent(t *testing.T) {
	ev := &callgatev1.CallEvent{Event: &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: &callgatev1.ParticipantsUpdated{SequenceNumber: 7}}}
	if u, ok := client.OnEvent[*callgatev1.ParticipantsUpdated](ev); !ok || u.GetSequenceNumber() != 7 {
		t.Fatalf("OnEvent = %v, %v", u, ok)
	}
	if _, ok := client.OnEvent[*callgatev1.CallConnected](ev); ok {
		t.Fatal("a ParticipantsUpdated is a CallConnected")
	}
	if _, ok := client.OnEvent[*callgatev1.CallConnected](&callgatev1.CallEvent{}); ok {
		t.Fatal("an untyped event is a CallConnected")
	}
	if _, ok := client.OnEvent[*callgatev1.CallConnected](nil); ok {
		t.Fatal("nil is a CallConnected")
	}
	if got := client.EventType(&callgatev1.CallTransferAccepted{}); got != "Microsoft.Communication.CallTransferAccepted" {
		t.Fatalf("EventType = %s", got)
	}
}

func TestOperationEnds(t *testing.T) {
	ev := func(call, opCtx string, e any) *callgatev1.CallEvent {
		out := &callgatev1.CallEvent{CallConnectionId: call, OperationContext: opCtx}
		switch e := e.(type) {
		case *callgatev1.CallConnected:
			out.Event = &callgatev1.CallEvent_CallConnected{CallConnected: e}
		case *callgatev1.CreateCallFailed:
			out.Event = &callgatev1.CallEvent_CreateCallFailed{CreateCallFailed: e}
		case *callgatev1.ParticipantsUpdated:
			out.Event = &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: e}
		case *callgatev1.AddParticipantSucceeded:
			out.Event = &callgatev1.CallEvent_AddParticipantSucceeded{AddParticipantSucceeded: e}
		case *callgatev1.AddParticipantFailed:
			out.Event = &callgatev1.CallEvent_AddParticipantFailed{AddParticipantFailed: e}
		case *callgatev1.CancelAddParticipantSucceeded:
			out.Event = &callgatev1.CallEvent_CancelAddParticipantSucceeded{CancelAddParticipantSucceeded: e}
		}
		out.Type = client.EventType(e.(proto.Message))
		return out
	}
	add := client.Operation{CallConnectionID: "c", OperationContext: "op", InvitationID: "inv"}
	cancel := client.Operation{CallConnectionID: "c", InvitationID: "inv"}
	create := client.Operation{CallConnectionID: "c"}
	for _, tc := range []struct {
		name            string
		op              client.Operation
		ev              *callgatev1.CallEvent
		ends, succeeded bool
	}{
		{"add succeeded", add, ev("c", "op", &callgatev1.AddParticipantSucceeded{}), true, true},
		{"add failed", add, ev("c", "op", &callgatev1.AddParticipantFailed{}), true, false},
		{"another operation's add", add, ev("c", "other", &callgatev1.AddParticipantSucceeded{}), false, false},
		{"another call's add", add, ev("d", "op", &callgatev1.AddParticipantSucceeded{}), false, false},
		{"no outcome", add, ev("c", "op", &callgatev1.ParticipantsUpdated{}), false, false},
		{"the call's connection is not the add's", add, ev("c", "", &callgatev1.CallConnected{}), false, false},
		{"cancel by invitation", cancel, ev("c", "", &callgatev1.CancelAddParticipantSucceeded{InvitationId: "inv"}), true, true},
		{"another invitation", cancel, ev("c", "", &callgatev1.CancelAddParticipantSucceeded{InvitationId: "x"}), false, false},
		{"the add's failure is not the cancel's", cancel, ev("c", "op", &callgatev1.AddParticipantFailed{}), false, false},
		{"create connected", create, ev("c", "", &callgatev1.CallConnected{}), true, true},
		{"create failed", create, ev("c", "", &callgatev1.CreateCallFailed{}), true, false},
		{"a later add is not the create's", create, ev("c", "op", &callgatev1.AddParticipantSucceeded{}), false, false},
	} {
		if ends, ok := tc.op.Ends(tc.ev); ends != tc.ends || ok != tc.succeeded {
			t.Errorf("%s: Ends = %v, %v; want %v, %v", tc.name, ends, ok, tc.ends, tc.succeeded)
		}
	}
	op := client.OperationOf(&callgatev1.AddParticipantRequest{CallConnectionId: "c"}, &callgatev1.AddParticipantResponse{InvitationId: "inv", OperationContext: "op"})
	if op != add {
		t.Errorf("OperationOf = %+v, want %+v", op, add)
	}
}
