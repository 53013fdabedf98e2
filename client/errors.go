package client

import (
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The gateway's errors are gRPC statuses with details (google.rpc.BadRequest, ErrorInfo,
// RetryInfo, the event of a failed outcome). The helpers below read them from any error that is
// or wraps a status, so that callers never parse messages; status.Code(err) gives the code.

// Error domains of ErrorInfo.
const (
	// DomainCallgate is the domain of what the gateway itself reports: resume points, waits.
	DomainCallgate = "callgate.v1"
	// DomainACS is the domain of errors ACS answered; the reason is ACS's error code.
	DomainACS = "communication.azure.com"
)

// ErrorInfo reasons of DomainCallgate.
const (
	// A stream fell too far behind its call's events (RESOURCE_EXHAUSTED). Watch resumes.
	ReasonSlowConsumer = "SLOW_CONSUMER"
	// The replica is shutting down: a stream ended (UNAVAILABLE, Watch resumes), or a wait ended
	// before its outcome (DEADLINE_EXCEEDED, see Started).
	ReasonShuttingDown = "SHUTTING_DOWN"
	// The event log closed or failed under a stream (UNAVAILABLE). Watch resumes.
	ReasonLogClosed      = "LOG_CLOSED"
	ReasonLogUnavailable = "LOG_UNAVAILABLE"
	// ACS no longer knows a watched call whose CallDisconnected never came (NOT_FOUND). Watch ends.
	ReasonCallGone = "CALL_GONE"
	// The resume point is older than the log holds (OUT_OF_RANGE): resuming would leave a gap.
	// Watch ends; ResumeAfter gives the oldest point that can be resumed from.
	ReasonResumePointUnavailable = "RESUME_POINT_UNAVAILABLE"
	// No outcome event came within the wait (DEADLINE_EXCEEDED); the operation may still finish.
	ReasonOutcomeNotYetKnown = "OUTCOME_NOT_YET_KNOWN"
	// The operation was sent but its outcome could not be watched (DEADLINE_EXCEEDED).
	ReasonWaitFailed = "WAIT_FAILED"
)

// details are the decoded details of err's status (none when err is no status).
func details(err error) []any {
	st, ok := status.FromError(err)
	if !ok || st == nil {
		return nil
	}
	return st.Details()
}

// ErrorInfo is the status' google.rpc.ErrorInfo, or nil. Its Domain says who reports
// (DomainCallgate, DomainACS), its Reason what.
func ErrorInfo(err error) *errdetails.ErrorInfo {
	for _, d := range details(err) {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// Reason is the ErrorInfo reason (ReasonSlowConsumer, an ACS error code such as "8522"), or "".
func Reason(err error) string { return ErrorInfo(err).GetReason() }

// FieldViolations are the bad fields of an INVALID_ARGUMENT, each named by its path in the
// request (`targets[1].phone_number.value`) with what is wrong with it.
func FieldViolations(err error) []*errdetails.BadRequest_FieldViolation {
	var out []*errdetails.BadRequest_FieldViolation
	for _, d := range details(err) {
		if br, ok := d.(*errdetails.BadRequest); ok {
			out = append(out, br.GetFieldViolations()...)
		}
	}
	return out
}

// ResumeAfter is the sequence a stream that ended with err can resume after
// (WatchCallRequest.after_sequence), when the status carries one. Watch uses it by itself; it
// matters to a caller after OUT_OF_RANGE (resume there, accepting the gap) or NOT_FOUND.
func ResumeAfter(err error) (uint64, bool) {
	info := ErrorInfo(err)
	if info.GetDomain() != DomainCallgate {
		return 0, false
	}
	s, ok := info.GetMetadata()["resume_after_sequence"]
	if !ok {
		return 0, false
	}
	n, perr := strconv.ParseUint(s, 10, 64)
	return n, perr == nil
}

// RetryDelay is how long the gateway asked to wait before trying again (google.rpc.RetryInfo,
// sent with RESOURCE_EXHAUSTED when ACS throttles).
func RetryDelay(err error) (time.Duration, bool) {
	for _, d := range details(err) {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// FailureEvent is the event that failed an operation waited for (ABORTED): AddParticipantFailed,
// CreateCallFailed, or the CallDisconnected that came first. Its result_information says why.
func FailureEvent(err error) *callgatev1.CallEvent {
	for _, d := range details(err) {
		if ev, ok := d.(*callgatev1.CallEvent); ok {
			return ev
		}
	}
	return nil
}

// Started is what an operation started when its wait failed: the gateway sent the request and
// ACS accepted it, whatever ended the wait (DEADLINE_EXCEEDED, ABORTED). The call is placed, the
// participant invited: do not place it again, follow it (Watch, Client.Outcome).
func Started(err error) (Operation, bool) {
	info := ErrorInfo(err)
	md := info.GetMetadata()
	if info.GetDomain() != DomainCallgate || md["call_connection_id"] == "" {
		return Operation{}, false
	}
	return Operation{
		CallConnectionID: md["call_connection_id"],
		OperationContext: md["operation_context"],
		InvitationID:     md["invitation_id"],
	}, true
}

// ACSResult is what ACS answered about a failure.
type ACSResult struct {
	// Code is the HTTP status of ACS's error answer, or the result code of the failure event
	// (an HTTP-like code: 486 busy, 487 no answer, 603 declined).
	Code int
	// SubCode is ACS's sub-code, which says why (8522 call not found, 8539 busy, 10004 no
	// answer); 0 when ACS gave none or a code that is not a number.
	SubCode int
	// ErrorCode is ACS's error code as sent in its error answer ("8522", "Denied"); empty for a
	// failure event.
	ErrorCode string
}

// ACS reads ACS's codes from err: from an error ACS answered a request with (ErrorInfo of
// DomainACS), or from a failure event a wait ended with (ABORTED).
func ACS(err error) (ACSResult, bool) {
	info := ErrorInfo(err)
	md := info.GetMetadata()
	switch info.GetDomain() {
	case DomainACS:
		code, _ := strconv.Atoi(md["http_status"])
		sub, _ := strconv.Atoi(info.GetReason())
		return ACSResult{Code: code, SubCode: sub, ErrorCode: info.GetReason()}, true
	case DomainCallgate:
		if ri := FailureEvent(err).GetResultInformation(); ri != nil {
			return ACSResult{Code: int(ri.GetCode()), SubCode: int(ri.GetSubCode())}, true
		}
	}
	return ACSResult{}, false
}
