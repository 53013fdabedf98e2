package service

import (
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errorDomain is the ErrorInfo domain of errors the gateway itself raises.
const errorDomain = "callgate.v1"

// violation names one bad field of a request, by its proto name (`targets[1].phone_number.value`).
func violation(field, description string) *errdetails.BadRequest_FieldViolation {
	return &errdetails.BadRequest_FieldViolation{Field: field, Description: description}
}

// invalidArgument is INVALID_ARGUMENT with a google.rpc.BadRequest naming every bad field; the
// message names them too, for clients that show only the message.
func invalidArgument(violations ...*errdetails.BadRequest_FieldViolation) error {
	msg := "invalid request"
	for i, v := range violations {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		msg += sep + v.GetField() + ": " + v.GetDescription()
	}
	st, err := status.New(codes.InvalidArgument, msg).WithDetails(&errdetails.BadRequest{FieldViolations: violations})
	if err != nil {
		return status.Error(codes.InvalidArgument, msg)
	}
	return st.Err()
}

// resumableError is a status a stream ends with when the client can resume it after `after`.
func resumableError(code codes.Code, reason string, after uint64, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{
		Reason:   reason,
		Domain:   errorDomain,
		Metadata: map[string]string{"resume_after_sequence": strconv.FormatUint(after, 10)},
	})
	if err != nil {
		return status.Error(code, msg)
	}
	return st.Err()
}

// fieldIndex names an element of a repeated field: targets[2].
func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
