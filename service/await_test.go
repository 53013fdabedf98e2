package service_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

var tenSeconds = durationpb.New(10 * time.Second)

// outcomeOf reads what an ABORTED wait carries: the ErrorInfo and the event that ended it.
func outcomeOf(t *testing.T, err error) (*errdetails.ErrorInfo, *callgatev1.CallEvent) {
	t.Helper()
	if status.Code(err) != codes.Aborted {
		t.Fatalf("got %v, want ABORTED with the failure event", err)
	}
	var info *errdetails.ErrorInfo
	var ev *callgatev1.CallEvent
	for _, d := range status.Convert(err).Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *callgatev1.CallEvent:
			ev = d
		}
	}
	if info == nil || ev == nil {
		t.Fatalf("%v lacks the ErrorInfo or the event", err)
	}
	return info, ev
}

func TestWaitForCreateCallOutcome(t *testing.T) {
	s := newStack(t)

	res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: tenSeconds,
	})
	if err != nil {
		t.Fatalf("CreateCall with wait: %v", err)
	}
	ev := res.GetResultEvent()
	if ev.GetCallConnected() == nil || ev.GetCallConnectionId() != res.GetCall().GetCallConnectionId() || ev.GetSequence() == 0 {
		t.Fatalf("result event %v, want this call's CallConnected from the log", ev)
	}

	declining := s.acsUser()
	s.script(t, declining, map[string]any{"answer": "decline"})
	_, err = s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{userID(declining)}, Wait: tenSeconds,
	})
	info, failed := outcomeOf(t, err)
	if info.GetReason() != "CREATE_CALL_FAILED" || info.GetMetadata()["result_sub_code"] != "8538" || failed.GetCreateCallFailed() == nil {
		t.Fatalf("declined call: %v / %v", info, failed)
	}
}

func TestWaitForParticipantOutcomes(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	id := call.GetCallConnectionId()
	ctx := testContext(t)

	guest := s.acsUser()
	added, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(guest), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("AddParticipant with wait: %v", err)
	}
	ev := added.GetResultEvent()
	if ev.GetAddParticipantSucceeded().GetParticipant().GetRawId() != guest || ev.GetOperationContext() != added.GetOperationContext() || added.GetOperationContext() == "" {
		t.Fatalf("add result %v (operation context %q)", ev, added.GetOperationContext())
	}

	busy := s.acsUser()
	s.script(t, busy, map[string]any{"answer": "busy"})
	_, err = s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(busy), Wait: tenSeconds})
	info, failed := outcomeOf(t, err)
	if info.GetReason() != "ADD_PARTICIPANT_FAILED" || failed.GetAddParticipantFailed().GetParticipant().GetRawId() != busy || info.GetMetadata()["result_code"] != "486" {
		t.Fatalf("busy participant: %v / %v", info, failed)
	}

	// Nobody answers within the wait: DEADLINE_EXCEEDED, while the invitation rings on; the error
	// says which invitation, so the client can still cancel it.
	ringing := s.acsUser()
	s.script(t, ringing, map[string]any{"answerDelay": "10m"})
	pending, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(ringing), Wait: durationpb.New(200 * time.Millisecond)})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("unanswered add: %v, %v, want DEADLINE_EXCEEDED", pending, err)
	}
	if meta := errorInfo(t, err).GetMetadata(); meta["invitation_id"] == "" || meta["call_connection_id"] != id || meta["operation_context"] == "" {
		t.Fatalf("the timed-out add does not say what it started: %v", meta)
	}
	// Cancel it, waiting for the cancellation, matched by invitation ID.
	ringing2 := s.acsUser()
	s.script(t, ringing2, map[string]any{"answerDelay": "10m"})
	inv, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: id, Participant: userID(ringing2)})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, err := s.Participants.CancelAddParticipant(ctx, &callgatev1.CancelAddParticipantRequest{CallConnectionId: id, InvitationId: inv.GetInvitationId(), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("CancelAddParticipant with wait: %v", err)
	}
	if cancelled.GetResultEvent().GetCancelAddParticipantSucceeded().GetInvitationId() != inv.GetInvitationId() {
		t.Fatalf("cancel result %v", cancelled.GetResultEvent())
	}

	removed, err := s.Participants.RemoveParticipant(ctx, &callgatev1.RemoveParticipantRequest{CallConnectionId: id, Participant: userID(guest), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("RemoveParticipant with wait: %v", err)
	}
	if removed.GetResultEvent().GetRemoveParticipantSucceeded().GetParticipant().GetRawId() != guest {
		t.Fatalf("remove result %v", removed.GetResultEvent())
	}
}

func errorInfo(t *testing.T, err error) *errdetails.ErrorInfo {
	t.Helper()
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	t.Fatalf("%v has no ErrorInfo", err)
	return nil
}

// A gateway that stops while an RPC waits ends the wait at once, and the error names the call
// that was placed, so that the client neither loses it nor places another.
func TestShutdownEndsWaitsWithWhatWasDone(t *testing.T) {
	s := newStack(t)
	callee := s.acsUser()
	s.script(t, callee, map[string]any{"answerDelay": "10m"})
	errc := make(chan error, 1)
	go func() {
		_, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}, Wait: durationpb.New(5 * time.Minute)})
		errc <- err
	}()
	// Once the request reached ACS, stop the gateway's streams and waits: whether the wait had
	// begun or not, the answer must name the call.
	for path := range s.Upstream.arrived {
		if path == "/calling/callConnections" {
			break
		}
	}
	s.StopStreams()
	err := <-errc
	// Not UNAVAILABLE: the call was placed, and a client that retries UNAVAILABLE would place
	// another.
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("CreateCall waiting through a shutdown: %v, want DEADLINE_EXCEEDED", err)
	}
	info := errorInfo(t, err)
	if info.GetReason() != "SHUTTING_DOWN" || info.GetMetadata()["call_connection_id"] == "" {
		t.Fatalf("the error does not name the call that was placed: %v", info)
	}
}

func TestWaitForTransferAndAnswer(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	target := s.acsUser()
	res, err := s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{CallConnectionId: call.GetCallConnectionId(), Target: userID(target), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("TransferCall with wait: %v", err)
	}
	if res.GetResultEvent().GetCallTransferAccepted().GetTransferTarget().GetRawId() != target || res.GetResultEvent().GetOperationContext() != res.GetOperationContext() {
		t.Fatalf("transfer result %v", res.GetResultEvent())
	}

	refusing := s.acsUser()
	s.script(t, refusing, map[string]any{"transfer": "refuse"})
	call2, _ := s.connectedCall(t)
	_, err = s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{CallConnectionId: call2.GetCallConnectionId(), Target: userID(refusing), Wait: tenSeconds})
	if info, _ := outcomeOf(t, err); info.GetReason() != "CALL_TRANSFER_FAILED" {
		t.Fatalf("refused transfer: %v", info)
	}

	in, _ := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
	answered, err := s.Calls.AnswerCall(testContext(t), &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext(), Wait: tenSeconds})
	if err != nil {
		t.Fatalf("AnswerCall with wait: %v", err)
	}
	if answered.GetResultEvent().GetCallConnected() == nil || answered.GetResultEvent().GetCallConnectionId() != answered.GetCall().GetCallConnectionId() {
		t.Fatalf("answer result %v", answered.GetResultEvent())
	}
}

func TestWaitIsValidated(t *testing.T) {
	s := newStack(t)
	before := s.Upstream.count()
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"negative", func() error {
			_, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: durationpb.New(-time.Second)})
			return err
		}},
		{"too long", func() error {
			_, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: durationpb.New(time.Hour)})
			return err
		}},
		{"events sent elsewhere", func() error {
			_, err := s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{CallConnectionId: "c", Participant: userID(s.acsUser()),
				OperationCallbackUri: "https://elsewhere.example/cb", Wait: tenSeconds})
			return err
		}},
	} {
		err := c.call()
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", c.name, err)
			continue
		}
		var fields []string
		for _, d := range status.Convert(err).Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if len(fields) != 1 || fields[0] != "wait" {
			t.Errorf("%s: fields %v, want [wait]", c.name, fields)
		}
	}
	if n := s.Upstream.count(); n != before {
		t.Errorf("%d requests reached ACS for invalid waits", n-before)
	}
}

// TestWaitSeesCallbacksThatReachAnotherReplica: replica A sends the request and waits; ACS calls
// back replica B; both share the log on one NATS.
func TestWaitSeesCallbacksThatReachAnotherReplica(t *testing.T) {
	url := natsServer(t)
	logA := openLog(t, eventlog.Config{NATSURL: url})
	logB := openLog(t, eventlog.Config{NATSURL: url})

	emu, err := emulator.New(emulator.Config{AccessKey: randomBytes(32)})
	if err != nil {
		t.Fatal(err)
	}
	emuServer := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(emuServer.URL)
	t.Cleanup(func() { _ = emu.Close(); emuServer.Close() })

	cbB, err := callbacks.New(callbacks.Config{Secret: "replica-b-secret-123",
		JWT: &callbacks.JWTConfig{JWKSURL: emu.JWKSURL(), Issuer: emu.Issuer(), Audience: emu.Audience()}}, logB)
	if err != nil {
		t.Fatal(err)
	}
	cbServer := httptest.NewServer(cbB)
	t.Cleanup(func() { cbServer.Close(); cbB.Close() })

	client, err := acs.NewClientFromConnectionString(emu.ConnectionString(emuServer.URL), acs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	services, err := service.New(service.Deps{ACS: client, Events: logA, CallbackURL: cbB.CallbackURL(cbServer.URL), Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	lns := loopbackListeners(t)
	g, err := gateway.New(gateway.Config{Logger: zap.NewNop()}, lns, gateway.Parts{Services: services})
	if err != nil {
		t.Fatal(err)
	}
	gctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(gctx) }()
	t.Cleanup(func() { stop(); <-served })
	conn := dial(t, lns.GRPC.Addr().String())
	calls, participants := callgatev1.NewCallServiceClient(conn), callgatev1.NewParticipantServiceClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	created, err := calls.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{rawOnly("8:acs:" + emu.ResourceID() + "_callee")}, Wait: tenSeconds,
	})
	if err != nil {
		t.Fatalf("CreateCall on A, callbacks to B: %v", err)
	}
	added, err := participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{
		CallConnectionId: created.GetCall().GetCallConnectionId(), Participant: rawOnly("8:acs:" + emu.ResourceID() + "_guest"), Wait: tenSeconds,
	})
	if err != nil || added.GetResultEvent().GetAddParticipantSucceeded() == nil {
		t.Fatalf("AddParticipant on A, callbacks to B: %v %v", added, err)
	}
}

// A wait shorter than the time to reach the event log is DEADLINE_EXCEEDED carrying what was
// started, never UNAVAILABLE: a client that retries UNAVAILABLE would place a second call.
func TestTinyWaitIsDeadlineExceededWithWhatWasStarted(t *testing.T) {
	s := newStack(t)
	for _, d := range []time.Duration{time.Nanosecond, time.Microsecond} {
		t.Run(d.String(), func(t *testing.T) {
			created, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
				Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: durationpb.New(d),
			})
			if status.Code(err) != codes.DeadlineExceeded {
				t.Fatalf("CreateCall with wait %s: %v %v, want DEADLINE_EXCEEDED", d, created, err)
			}
			callID := errorInfo(t, err).GetMetadata()["call_connection_id"]
			if callID == "" {
				t.Fatalf("%v does not name the call it placed", err)
			}
			s.waitEvent(t, callID, "Microsoft.Communication.CallConnected", "")

			_, err = s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{
				CallConnectionId: callID, Participant: userID(s.acsUser()), Wait: durationpb.New(d),
			})
			if status.Code(err) != codes.DeadlineExceeded {
				t.Fatalf("AddParticipant with wait %s: %v, want DEADLINE_EXCEEDED", d, err)
			}
			meta := errorInfo(t, err).GetMetadata()
			if meta["invitation_id"] == "" || meta["call_connection_id"] != callID || meta["operation_context"] == "" {
				t.Errorf("metadata %v, want the call, the invitation and the operation context", meta)
			}
		})
	}
}

// A retried mid-call operation (the same request_id) whose outcome arrived before the retry
// still gets it: the wait of a request with a request_id reads the call from its first event.
func TestRetriedWaitFindsAnOutcomeThatCameFirst(t *testing.T) {
	s := newStack(t)
	call, _ := s.connectedCall(t)
	req := &callgatev1.AddParticipantRequest{
		CallConnectionId: call.GetCallConnectionId(), Participant: userID(s.acsUser()),
		RequestId: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4c",
	}
	first, err := s.Participants.AddParticipant(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	s.waitEvent(t, call.GetCallConnectionId(), "Microsoft.Communication.AddParticipantSucceeded", first.GetOperationContext())
	req.Wait = tenSeconds
	again, err := s.Participants.AddParticipant(testContext(t), req)
	if err != nil {
		t.Fatalf("the retry with wait: %v", err)
	}
	if again.GetResultEvent().GetAddParticipantSucceeded() == nil || again.GetInvitationId() != first.GetInvitationId() {
		t.Errorf("the retry answered %v, want the first's outcome for invitation %s", again, first.GetInvitationId())
	}
}
