package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// eventTypePrefix begins the CloudEvent type of every Call Automation event.
const eventTypePrefix = "Microsoft.Communication."

// EventType is the CloudEvent type of the events m types, m being a message of CallEvent's
// `event` oneof: EventType(&callgatev1.CallConnected{}) is "Microsoft.Communication.CallConnected"
// (each message is named as ACS names the event). For EventTypes and comparisons with
// CallEvent.type.
//
// (The gateway's package acsproto has the same rule; the client does not import it, since it
// brings the gateway's ACS client with it.)
func EventType(m proto.Message) string {
	return eventTypePrefix + string(m.ProtoReflect().Descriptor().Name())
}

// OnEvent is the typed content of ev when it is a T, a message of CallEvent's `event` oneof:
//
//	if u, ok := client.OnEvent[*callgatev1.ParticipantsUpdated](ev); ok {
//		fmt.Println(len(u.GetParticipants()), "in the call")
//	}
//
// A type switch on ev.GetEvent() does the same for several types at once.
func OnEvent[T proto.Message](ev *callgatev1.CallEvent) (T, bool) {
	var zero T
	m := ev.ProtoReflect()
	if !m.IsValid() {
		return zero, false
	}
	fd := m.WhichOneof(eventOneof())
	if fd == nil {
		return zero, false
	}
	t, ok := m.Get(fd).Message().Interface().(T)
	return t, ok
}

// Disconnected reports whether ev is a CallDisconnected: the call ended for this application,
// and ev is the last event of its call connection.
func Disconnected(ev *callgatev1.CallEvent) bool { return ev.GetCallDisconnected() != nil }

func eventOneof() protoreflect.OneofDescriptor {
	return (&callgatev1.CallEvent{}).ProtoReflect().Descriptor().Oneofs().ByName("event")
}

// Operation is one operation started at ACS, named as its events name it: the call connection,
// the operation context (Transfer, AddParticipant and RemoveParticipant always have one: the
// caller's, else the request_id), and for invitations the invitation ID. Each response says it:
// operation_context, invitation_id; Started reads it from the error of a wait.
type Operation struct {
	CallConnectionID string
	OperationContext string
	InvitationID     string
}

// OperationOf is the operation a request and its response started, named as the gateway names
// it in the errors of a wait: for example OperationOf(req, resp) of an AddParticipant, to match
// its events with Ends or wait with Client.Outcome.
func OperationOf(req, resp proto.Message) Operation {
	var op Operation
	if g, ok := req.(interface{ GetCallConnectionId() string }); ok {
		op.CallConnectionID = g.GetCallConnectionId()
	}
	if g, ok := resp.(interface{ GetCall() *callgatev1.Call }); ok && g.GetCall().GetCallConnectionId() != "" {
		op.CallConnectionID = g.GetCall().GetCallConnectionId()
	}
	if g, ok := resp.(interface{ GetOperationContext() string }); ok {
		op.OperationContext = g.GetOperationContext()
	}
	if g, ok := resp.(interface{ GetInvitationId() string }); ok {
		op.InvitationID = g.GetInvitationId()
	}
	return op
}

// outcome is how an event type ends an operation.
type outcome int

const (
	noOutcome outcome = iota
	success
	failure
)

// outcomes sorts the typed events by the rule of their names: `...Failed` ends an operation
// badly; CallConnected, `...Succeeded`, `...Accepted` and `...Completed` end one well; the others
// (ParticipantsUpdated, CallDisconnected) end none. A new typed event of the proto needs no entry.
var outcomes = sync.OnceValue(func() map[string]outcome {
	fields := eventOneof().Fields()
	m := make(map[string]outcome, fields.Len())
	for i := range fields.Len() {
		name := string(fields.Get(i).Message().Name())
		switch {
		case strings.HasSuffix(name, "Failed"):
			m[eventTypePrefix+name] = failure
		case name == "CallConnected" || strings.HasSuffix(name, "Succeeded") || strings.HasSuffix(name, "Accepted") || strings.HasSuffix(name, "Completed"):
			m[eventTypePrefix+name] = success
		}
	}
	return m
})

// startsCall are the outcomes of the operations that start a call connection (create, connect,
// answer): the connection's first outcome is theirs.
func startsCall(eventType string) bool {
	switch eventType {
	case EventType(&callgatev1.CallConnected{}), EventType(&callgatev1.CreateCallFailed{}),
		EventType(&callgatev1.AnswerFailed{}), EventType(&callgatev1.ConnectFailed{}):
		return true
	}
	return false
}

// Ends reports whether ev ends op, and whether it succeeded: ev is an outcome event of op's call
// (see Client.Outcome) with op's operation context, or for an operation without one, of its
// invitation; for an operation with neither (CreateCall, Answer and Connect as Started names them)
// the call connection's first outcome.
func (op Operation) Ends(ev *callgatev1.CallEvent) (ends, succeeded bool) {
	kind := outcomes()[ev.GetType()]
	if kind == noOutcome || (op.CallConnectionID != "" && ev.GetCallConnectionId() != op.CallConnectionID) {
		return false, false
	}
	inv := invitationOf(ev)
	switch {
	case op.OperationContext != "":
		if ev.GetOperationContext() != op.OperationContext || (op.InvitationID != "" && inv != "" && inv != op.InvitationID) {
			return false, false
		}
	case op.InvitationID != "":
		if inv != op.InvitationID {
			return false, false
		}
	case !startsCall(ev.GetType()):
		return false, false
	}
	return true, kind == success
}

func invitationOf(ev *callgatev1.CallEvent) string {
	switch e := ev.GetEvent().(type) {
	case *callgatev1.CallEvent_CancelAddParticipantSucceeded:
		return e.CancelAddParticipantSucceeded.GetInvitationId()
	case *callgatev1.CallEvent_CancelAddParticipantFailed:
		return e.CancelAddParticipantFailed.GetInvitationId()
	}
	return ""
}

// Outcome waits for op's outcome event, from the call's first event (so it finds one that came
// before it was asked), and answers it. A failure event, or the call ending first, is ABORTED
// carrying the event (FailureEvent, ACS), as the gateway's own waits are; ctx ending first is
// DEADLINE_EXCEEDED naming op (Started), or CANCELED.
//
// It is the wait of Wait, done by the client: for an operation that was started without Wait,
// or whose Wait ran out (Started(err) gives op).
func (c *Client) Outcome(ctx context.Context, op Operation) (*callgatev1.CallEvent, error) {
	types := []string{EventType(&callgatev1.CallDisconnected{})}
	for t := range outcomes() {
		types = append(types, t)
	}
	for ev, err := range c.Watch(ctx, op.CallConnectionID, EventTypes(types...)) {
		if err != nil {
			if expired(ctx) && !errors.Is(ctx.Err(), context.Canceled) {
				return nil, op.status(codes.DeadlineExceeded, ReasonOutcomeNotYetKnown, nil, nil,
					fmt.Sprintf("no outcome of the operation on call %s yet; it may still complete: %v", op.CallConnectionID, err))
			}
			return nil, err
		}
		if ends, succeeded := op.Ends(ev); ends && succeeded {
			return ev, nil
		} else if ends {
			return nil, op.failed(ev, shortType(ev.GetType()))
		}
		if Disconnected(ev) {
			return nil, op.failed(ev, "the call ended before the operation's outcome")
		}
	}
	// Watch ends only after CallDisconnected, which answered above.
	return nil, status.Errorf(codes.Internal, "client: the events of call %s ended without CallDisconnected", op.CallConnectionID)
}

// failed is the ABORTED status of a failure event, shaped as the gateway's: ErrorInfo with the
// event's name as reason and its result codes, and the event itself.
func (op Operation) failed(ev *callgatev1.CallEvent, what string) error {
	ri := ev.GetResultInformation()
	md := map[string]string{
		"event_id":        ev.GetId(),
		"sequence":        strconv.FormatUint(ev.GetSequence(), 10),
		"result_code":     strconv.Itoa(int(ri.GetCode())),
		"result_sub_code": strconv.Itoa(int(ri.GetSubCode())),
	}
	msg := strings.TrimSpace(fmt.Sprintf("%s: result %d/%d %s", what, ri.GetCode(), ri.GetSubCode(), ri.GetMessage()))
	return op.status(codes.Aborted, upperSnake(shortType(ev.GetType())), md, ev, msg)
}

// status is a status with an ErrorInfo of DomainCallgate that names op (Started reads it), and
// ev, when given, in its details (FailureEvent reads it).
func (op Operation) status(code codes.Code, reason string, md map[string]string, ev *callgatev1.CallEvent, msg string) error {
	if md == nil {
		md = map[string]string{}
	}
	for k, v := range map[string]string{"call_connection_id": op.CallConnectionID, "operation_context": op.OperationContext, "invitation_id": op.InvitationID} {
		if v != "" {
			md[k] = v
		}
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: DomainCallgate, Metadata: md}}
	if ev != nil {
		details = append(details, ev)
	}
	st, err := status.New(code, msg).WithDetails(details...)
	if err != nil {
		return status.Error(code, msg)
	}
	return st.Err()
}

func shortType(t string) string { return strings.TrimPrefix(t, eventTypePrefix) }

// upperSnake turns AddParticipantFailed into ADD_PARTICIPANT_FAILED, the style of reasons.
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
