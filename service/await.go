package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// MaxWait bounds an RPC's `wait`: the longest ACS operation (an invitation) rings for 180 s.
const MaxWait = 10 * time.Minute

// outcome says which events finish an operation.
type outcome struct {
	success string // the CloudEvent type that reports success
	failure string // the CloudEvent type that reports failure
	// operationContext, when set, must equal the event's: it tells apart two operations of one call.
	operationContext string
	// invitationID, when set, must equal the event's invitation ID (cancel add).
	invitationID string
}

func (o outcome) matches(ev *callgatev1.CallEvent) bool {
	if ev.GetType() != o.success && ev.GetType() != o.failure {
		return false
	}
	if o.operationContext != "" && ev.GetOperationContext() != o.operationContext {
		return false
	}
	if o.invitationID != "" && invitationIDOf(ev) != o.invitationID {
		return false
	}
	return true
}

func invitationIDOf(ev *callgatev1.CallEvent) string {
	switch e := ev.GetEvent().(type) {
	case *callgatev1.CallEvent_CancelAddParticipantSucceeded:
		return e.CancelAddParticipantSucceeded.GetInvitationId()
	case *callgatev1.CallEvent_CancelAddParticipantFailed:
		return e.CancelAddParticipantFailed.GetInvitationId()
	}
	return ""
}

func (o outcome) withOperationContext(c string) outcome { o.operationContext = c; return o }
func (o outcome) withInvitationID(id string) outcome    { o.invitationID = id; return o }

// wait reads an RPC's optional wait: 0 when unset. An operation whose events go to its own
// operation_callback_uri cannot be waited for: the gateway never sees them.
func (v *validator) wait(d *durationpb.Duration, operationCallbackURI string) time.Duration {
	if d == nil {
		return 0
	}
	if err := d.CheckValid(); err != nil {
		v.add("wait", "not a valid duration")
		return 0
	}
	w := d.AsDuration()
	switch {
	case w <= 0 || w > MaxWait:
		v.add("wait", "must be more than 0 and at most "+MaxWait.String())
		return 0
	case operationCallbackURI != "":
		v.add("wait", "cannot be combined with operation_callback_uri: the outcome event goes there, not to the gateway")
		return 0
	}
	return w
}

// pendingWait is an RPC's wait for its outcome, set up before the request goes to ACS: whatever
// the wait needs is checked while nothing has happened yet.
type pendingWait struct {
	wait  time.Duration // 0: the RPC does not wait
	after uint64        // read the call's events after this sequence
}

// prepareWait readies a wait. A mid-call operation's events can only come after the log's current
// end (LastSequence may lag other replicas' appends, which only makes the wait read a few more);
// a new call's are all its own, from its first.
func (d Deps) prepareWait(wait time.Duration, midCall bool) (pendingWait, error) {
	if wait == 0 {
		return pendingWait{}, nil
	}
	if d.Events == nil {
		return pendingWait{}, status.Error(codes.FailedPrecondition, "the gateway has no event log, so it cannot wait for outcomes")
	}
	p := pendingWait{wait: wait}
	if midCall {
		p.after = d.Events.LastSequence()
	}
	return p, nil
}

// done is the operation's identity at ACS, sent along with every error of its wait: the operation
// happened whatever became of the wait, and a client must be able to find it (and must not place a
// second call by retrying blindly).
type done map[string]string

// await reads the call's events until one reports the operation's outcome. It answers the success
// event; a failure event, or the call ending first, is ABORTED carrying the event and its result
// codes; no outcome within the wait (or the caller's deadline) is DEADLINE_EXCEEDED; a gateway
// shutting down ends it with UNAVAILABLE. The log is shared by every replica, so the callback may
// reach any of them. Without a wait it returns nothing.
func (p pendingWait) await(ctx context.Context, d Deps, waits *streamRegistry, callID string, o outcome, op done) (*callgatev1.CallEvent, error) {
	if p.wait == 0 {
		return nil, nil
	}
	op["call_connection_id"] = callID
	ctx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	w, err := d.Events.WatchCall(ctx, callID, p.after)
	if err != nil {
		return nil, waitError(codes.Unavailable, "WAIT_FAILED", op, "the operation was sent, but its outcome cannot be watched: %v", err)
	}
	defer func() { _ = w.Close() }()
	if !waits.add(w) {
		return nil, waitError(codes.Unavailable, "SHUTTING_DOWN", op, "the operation was sent, but the gateway is shutting down; watch call %s for its outcome", callID)
	}
	defer waits.remove(w)
	for {
		e, err := w.Next(ctx)
		switch {
		case err == nil:
		case waits.isStopped():
			return nil, waitError(codes.Unavailable, "SHUTTING_DOWN", op, "the operation was sent, but the gateway is shutting down; watch call %s after sequence %d for its outcome", callID, w.Progress())
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, waitError(codes.DeadlineExceeded, "OUTCOME_NOT_YET_KNOWN", op,
				"no %s or %s event within the wait; the operation may still complete: watch call %s after sequence %d",
				shortType(o.success), shortType(o.failure), callID, w.Progress())
		case ctx.Err() != nil:
			return nil, status.FromContextError(ctx.Err()).Err()
		default:
			return nil, waitError(codes.Unavailable, "WAIT_FAILED", op, "the operation was sent, but waiting for its outcome failed: %v", err)
		}
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			continue
		}
		ev.Sequence = e.Seq
		switch {
		case o.matches(ev) && ev.GetType() == o.success:
			return ev, nil
		case o.matches(ev):
			return nil, outcomeError(ev, shortType(ev.GetType()), op)
		case ev.GetType() == callDisconnectedType:
			return nil, outcomeError(ev, fmt.Sprintf("the call ended before %s or %s", shortType(o.success), shortType(o.failure)), op)
		}
	}
}

// waitError is a wait's failure with the operation's identity in its ErrorInfo.
func waitError(code codes.Code, reason string, op done, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain, Metadata: op})
	if err != nil {
		return status.Error(code, msg)
	}
	return st.Err()
}

// outcomeError is ABORTED with the event that ended the wait, its ACS result codes and the
// operation's identity.
func outcomeError(ev *callgatev1.CallEvent, what string, op done) error {
	ri := ev.GetResultInformation()
	msg := fmt.Sprintf("%s: result %d/%d", what, ri.GetCode(), ri.GetSubCode())
	if ri.GetMessage() != "" {
		msg += ": " + ri.GetMessage()
	}
	meta := map[string]string{
		"event_id":        ev.GetId(),
		"sequence":        strconv.FormatUint(ev.GetSequence(), 10),
		"result_code":     strconv.Itoa(int(ri.GetCode())),
		"result_sub_code": strconv.Itoa(int(ri.GetSubCode())),
	}
	for k, v := range op {
		meta[k] = v
	}
	info := &errdetails.ErrorInfo{Reason: upperSnake(shortType(ev.GetType())), Domain: errorDomain, Metadata: meta}
	st, err := status.New(codes.Aborted, msg).WithDetails(info, ev)
	if err != nil {
		return status.Error(codes.Aborted, msg)
	}
	return st.Err()
}

func shortType(t string) string { return strings.TrimPrefix(t, "Microsoft.Communication.") }

// upperSnake turns AddParticipantFailed into ADD_PARTICIPANT_FAILED, the style of ErrorInfo reasons.
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

// Event types that finish an operation, as outcome pairs.
var (
	outcomeCreate   = outcome{success: "Microsoft.Communication.CallConnected", failure: "Microsoft.Communication.CreateCallFailed"}
	outcomeConnect  = outcome{success: "Microsoft.Communication.CallConnected", failure: "Microsoft.Communication.ConnectFailed"}
	outcomeAnswer   = outcome{success: "Microsoft.Communication.CallConnected", failure: "Microsoft.Communication.AnswerFailed"}
	outcomeTransfer = outcome{success: "Microsoft.Communication.CallTransferAccepted", failure: "Microsoft.Communication.CallTransferFailed"}
	outcomeAdd      = outcome{success: "Microsoft.Communication.AddParticipantSucceeded", failure: "Microsoft.Communication.AddParticipantFailed"}
	outcomeCancel   = outcome{success: "Microsoft.Communication.CancelAddParticipantSucceeded", failure: "Microsoft.Communication.CancelAddParticipantFailed"}
	outcomeRemove   = outcome{success: "Microsoft.Communication.RemoveParticipantSucceeded", failure: "Microsoft.Communication.RemoveParticipantFailed"}
)
