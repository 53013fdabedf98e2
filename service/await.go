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

	"github.com/callgate/callgate/eventlog"
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

// resumePoint is where an operation's wait starts reading the call's events: nothing it waits
// for can be in the log before the request is sent. LastSequence may lag other replicas' appends,
// which only makes the wait read a few more events.
func (d Deps) resumePoint(wait time.Duration) uint64 {
	if wait == 0 || d.Events == nil {
		return 0
	}
	return d.Events.LastSequence()
}

// await waits for the outcome when the RPC asked to (wait > 0); otherwise it returns nothing.
func (d Deps) await(ctx context.Context, wait time.Duration, callID string, after uint64, o outcome) (*callgatev1.CallEvent, error) {
	if wait == 0 {
		return nil, nil
	}
	if d.Events == nil {
		return nil, status.Error(codes.FailedPrecondition, "the gateway has no event log, so it cannot wait for outcomes")
	}
	return awaitOutcome(ctx, d.Events, callID, after, wait, o)
}

// awaitOutcome reads the call's events after `after` until one reports the operation's outcome. It
// answers the success event; a failure event, or the call ending first, is ABORTED carrying the
// event and its result codes; no outcome within `wait` (or the caller's deadline) is
// DEADLINE_EXCEEDED. The log is shared by every replica, so the callback may reach any of them.
func awaitOutcome(ctx context.Context, events *eventlog.Log, callID string, after uint64, wait time.Duration, o outcome) (*callgatev1.CallEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	w, err := events.WatchCall(ctx, callID, after)
	if err != nil {
		return nil, watchError(err, after)
	}
	defer func() { _ = w.Close() }()
	for {
		e, err := w.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				if errors.Is(ctx.Err(), context.Canceled) {
					return nil, status.FromContextError(ctx.Err()).Err()
				}
				return nil, status.Errorf(codes.DeadlineExceeded,
					"no %s or %s event within the wait; the operation may still complete: watch call %s after sequence %d",
					shortType(o.success), shortType(o.failure), callID, w.Progress())
			}
			return nil, status.Errorf(codes.Unavailable, "waiting for the outcome: %v", err)
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
			return nil, outcomeError(ev, shortType(ev.GetType()))
		case ev.GetType() == callDisconnectedType:
			return nil, outcomeError(ev, fmt.Sprintf("the call ended before %s or %s", shortType(o.success), shortType(o.failure)))
		}
	}
}

// outcomeError is ABORTED with the event that ended the wait and its ACS result codes.
func outcomeError(ev *callgatev1.CallEvent, what string) error {
	ri := ev.GetResultInformation()
	msg := fmt.Sprintf("%s: result %d/%d", what, ri.GetCode(), ri.GetSubCode())
	if ri.GetMessage() != "" {
		msg += ": " + ri.GetMessage()
	}
	info := &errdetails.ErrorInfo{
		Reason: upperSnake(shortType(ev.GetType())),
		Domain: errorDomain,
		Metadata: map[string]string{
			"call_connection_id": ev.GetCallConnectionId(),
			"event_id":           ev.GetId(),
			"sequence":           strconv.FormatUint(ev.GetSequence(), 10),
			"result_code":        strconv.Itoa(int(ri.GetCode())),
			"result_sub_code":    strconv.Itoa(int(ri.GetSubCode())),
		},
	}
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
