package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// outcome says which events finish an operation and how to tell its events from another's.
type outcome struct {
	success []string // the CloudEvent types that report success
	failure []string // the CloudEvent types that report failure
	// newCall: the operation gives this application a new call connection (create, connect,
	// answer), whose events are all its own: read from its first, the call's ID from the answer.
	newCall bool
	// operationContext, when set, must equal the event's: it tells two operations of one call apart.
	operationContext string
	// invitationID, when set, must equal the event's invitation ID (cancel add).
	invitationID string
	// onHold, when set, is the raw ID of a participant being put on hold: ACS sends no event of
	// its own for a hold that worked, so the success is the ParticipantsUpdated that shows the
	// participant on hold (such an event has no operation context to match).
	onHold string
	// each, when set, are the raw IDs of participants that each get an outcome event (a move):
	// the wait ends at the first failure, or when every one has its success.
	each []string
	// recording: the outcome is an event of the recording the operation started, whose ID ACS
	// answers (the wait takes it from the response: recordingID); such events have no
	// operation context.
	recording   bool
	recordingID string
}

// outcomeOf is the outcome reported by an event of success's type or of one of failures':
// messages of CallEvent's `event` oneof, so the compiler checks the names.
func outcomeOf(success proto.Message, failures ...proto.Message) outcome {
	return outcome{}.or(success, failures...)
}

// or adds events that report the outcome too: the same events under the names of older
// api-versions (SendDtmfCompleted for SendDtmfTonesCompleted), which a gateway set to such a
// version receives.
func (o outcome) or(success proto.Message, failures ...proto.Message) outcome {
	o.success = append(slices.Clone(o.success), acsproto.EventType(success))
	o.failure = slices.Clone(o.failure)
	for _, f := range failures {
		o.failure = append(o.failure, acsproto.EventType(f))
	}
	return o
}

// startsCall marks the outcome of an operation that starts a call connection.
func (o outcome) startsCall() outcome { o.newCall = true; return o }

func (o outcome) none() bool { return len(o.success) == 0 }

// classify says whether ev reports the operation's outcome and, if so, whether a success.
func (o outcome) classify(ev *callgatev1.CallEvent) (isOutcome, success bool) {
	success = slices.Contains(o.success, ev.GetType())
	if !success && !slices.Contains(o.failure, ev.GetType()) {
		return false, false
	}
	if o.onHold != "" && success {
		held := showsOnHold(ev, o.onHold)
		return held, held
	}
	if o.operationContext != "" && ev.GetOperationContext() != o.operationContext {
		return false, false
	}
	if o.invitationID != "" && invitationIDOf(ev) != o.invitationID {
		return false, false
	}
	if o.recording && recordingIDOf(ev) != o.recordingID {
		return false, false
	}
	// An event of a success type can still report a failure: ACS's recognize event table lists
	// RecognizeCompleted with 400/8532 (inter-digit timeout) and 400/8508 (cancelled).
	return true, success && ev.GetResultInformation().GetCode() < 400
}

// showsOnHold reports whether ev, a ParticipantsUpdated, shows the participant on hold.
func showsOnHold(ev *callgatev1.CallEvent, rawID string) bool {
	for _, p := range ev.GetParticipantsUpdated().GetParticipants() {
		if p.GetIdentifier().GetRawId() == rawID {
			return p.GetIsOnHold()
		}
	}
	return false
}

func (o outcome) names() string {
	var n []string
	for _, t := range append(slices.Clone(o.success), o.failure...) {
		n = append(n, shortType(t))
	}
	return strings.Join(n, " or ")
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

// participantOf is the raw ID of the participant an outcome event is about, for outcomes that
// wait for each participant.
func participantOf(ev *callgatev1.CallEvent) string {
	switch e := ev.GetEvent().(type) {
	case *callgatev1.CallEvent_MoveParticipantSucceeded:
		return e.MoveParticipantSucceeded.GetParticipant().GetRawId()
	case *callgatev1.CallEvent_MoveParticipantFailed:
		return e.MoveParticipantFailed.GetParticipant().GetRawId()
	}
	return ""
}

// pendingWait is an RPC's wait for its outcome, set up before the request goes to ACS: whatever
// the wait needs is checked while nothing has happened yet.
type pendingWait struct {
	wait    time.Duration // 0: the RPC does not wait
	after   uint64        // read the call's events after this sequence
	outcome outcome
}

// prepareWait readies a wait. A new call's events are all its own: the wait reads them from its
// first. A mid-call operation's outcome comes after the log's current end (LastSequence may lag
// other replicas' appends, which only makes the wait read a few more), unless the request is a
// retry, which has a request_id: its outcome may have come already, so the wait reads the call
// from its first event (its operation context is the request_id or the caller's).
func (c *core) prepareWait(wait time.Duration, o outcome, requestID string) (pendingWait, error) {
	if wait == 0 {
		return pendingWait{}, nil
	}
	if o.none() {
		// Every request with a `wait` field names its outcome; a missing one is a bug here.
		return pendingWait{}, status.Error(codes.Internal, "the gateway does not know this operation's outcome events")
	}
	p := pendingWait{wait: wait, outcome: o}
	if !o.newCall && requestID == "" {
		p.after = c.events.LastSequence()
	}
	return p, nil
}

// done is the operation's identity at ACS, sent along with every error of its wait: the operation
// happened whatever became of the wait, and a client must be able to find it (and must not place a
// second call by retrying blindly).
type done map[string]string

// await reads the call's events until one reports the operation's outcome. It answers the success
// event; a failure event, or the call ending first, is ABORTED carrying the event and its result
// codes. Anything else that ends the wait (the wait or the caller's deadline passing, the log
// failing, the gateway shutting down) is DEADLINE_EXCEEDED: the operation was sent and its outcome
// is not known, which is not an error a client may retry blindly (UNAVAILABLE would be). The log
// is shared by every replica, so the callback may reach any of them.
func (p pendingWait) await(ctx context.Context, c *core, op done) (*callgatev1.CallEvent, error) {
	callID := op["call_connection_id"]
	o := p.outcome
	if o.recording {
		o.recordingID = op["recording_id"]
	}
	ctx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	unknown := func(reason, format string, args ...any) error {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return status.FromContextError(ctx.Err()).Err() // the caller went away
		}
		return waitError(codes.DeadlineExceeded, reason, op, format, args...)
	}
	w, err := c.events.WatchCall(ctx, callID, p.after)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, unknown("OUTCOME_NOT_YET_KNOWN", "no %s event within the wait; the operation may still complete: watch call %s", o.names(), callID)
	case err != nil:
		return nil, unknown("WAIT_FAILED", "the operation was sent, but its outcome cannot be watched (%v): watch call %s", err, callID)
	}
	defer func() { _ = w.Close() }()
	if !c.open.add(w) {
		return nil, unknown("SHUTTING_DOWN", "the operation was sent, but the gateway is shutting down: watch call %s for its outcome", callID)
	}
	defer c.open.remove(w)
	pending := make(map[string]bool, len(o.each))
	for _, id := range o.each {
		pending[id] = true
	}
	for {
		e, err := w.Next(ctx)
		switch {
		case err == nil:
		case c.open.isStopped():
			return nil, unknown("SHUTTING_DOWN", "the operation was sent, but the gateway is shutting down: watch call %s after sequence %d for its outcome", callID, w.Progress())
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, unknown("OUTCOME_NOT_YET_KNOWN", "no %s event within the wait; the operation may still complete: watch call %s after sequence %d", o.names(), callID, w.Progress())
		default:
			return nil, unknown("WAIT_FAILED", "the operation was sent, but waiting for its outcome failed (%v): watch call %s after sequence %d", err, callID, w.Progress())
		}
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			c.unreadable(callID, e.Seq, err)
			continue
		}
		ev.Sequence = e.Seq
		isOutcome, success := o.classify(ev)
		switch {
		case isOutcome && success && len(pending) > 0:
			delete(pending, participantOf(ev))
			if len(pending) == 0 {
				return ev, nil
			}
		case isOutcome && success:
			return ev, nil
		case isOutcome:
			return nil, outcomeError(ev, shortType(ev.GetType()), op)
		case ev.GetType() == callDisconnectedType:
			return nil, outcomeError(ev, "the call ended before "+o.names(), op)
		}
	}
}

// unreadable is the one rule for a stored event that cannot be read, for streams and waits alike:
// it is logged at Error and skipped. The gateway wrote it itself, so this is a bug or a damaged
// store, and ending every stream of the call on it would not bring it back.
func (c *core) unreadable(callID string, seq uint64, err error) {
	c.log.Error("unreadable event in the log, skipped", zap.String("call_connection_id", callID), zap.Uint64("sequence", seq), zap.Error(err))
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

func shortType(t string) string { return strings.TrimPrefix(t, acsproto.EventTypePrefix) }

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

var (
	callDisconnectedType = acsproto.EventType(&callgatev1.CallDisconnected{})

	outcomeCreate   = outcomeOf(&callgatev1.CallConnected{}, &callgatev1.CreateCallFailed{}).startsCall()
	outcomeConnect  = outcomeOf(&callgatev1.CallConnected{}, &callgatev1.ConnectFailed{}).startsCall()
	outcomeAnswer   = outcomeOf(&callgatev1.CallConnected{}, &callgatev1.AnswerFailed{}).startsCall()
	outcomeTransfer = outcomeOf(&callgatev1.CallTransferAccepted{}, &callgatev1.CallTransferFailed{})
	outcomeAdd      = outcomeOf(&callgatev1.AddParticipantSucceeded{}, &callgatev1.AddParticipantFailed{})
	outcomeCancel   = outcomeOf(&callgatev1.CancelAddParticipantSucceeded{}, &callgatev1.CancelAddParticipantFailed{})
	outcomeRemove   = outcomeOf(&callgatev1.RemoveParticipantSucceeded{}, &callgatev1.RemoveParticipantFailed{})
	outcomeMove     = outcomeOf(&callgatev1.MoveParticipantSucceeded{}, &callgatev1.MoveParticipantFailed{})
	// A cancelled play or recognize ends its wait as a failure does: it will not complete.
	outcomePlay      = outcomeOf(&callgatev1.PlayCompleted{}, &callgatev1.PlayFailed{}, &callgatev1.PlayCanceled{})
	outcomeRecognize = outcomeOf(&callgatev1.RecognizeCompleted{}, &callgatev1.RecognizeFailed{}, &callgatev1.RecognizeCanceled{})
	outcomeSendDtmf  = outcomeOf(&callgatev1.SendDtmfTonesCompleted{}, &callgatev1.SendDtmfTonesFailed{}).
				or(&callgatev1.SendDtmfCompleted{}, &callgatev1.SendDtmfFailed{})
	outcomeHold = outcomeOf(&callgatev1.ParticipantsUpdated{}, &callgatev1.HoldFailed{})
)
