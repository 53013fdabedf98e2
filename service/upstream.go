package service

import (
	"errors"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/acs"
)

// upstreamError is the status of a failed acs call: the acs mapping (the ACS code and message,
// ErrorInfo with the request and chain IDs; context errors as Canceled and DeadlineExceeded),
// except that the client's own validation, a backstop behind the gateway's, names fields by their
// wire paths, which are translated to this API's.
func upstreamError(log *zap.Logger, err error) error {
	var ve *acs.ValidationError
	if errors.As(err, &ve) {
		return upstreamValidationError(log, ve)
	}
	return acs.GRPCStatus(err).Err()
}

// upstreamValidationError turns the acs client's refusal into the caller's INVALID_ARGUMENT when
// every field it names is one the caller set; a field only the gateway sets (the callback URI) means
// the gateway built a bad request, which is INTERNAL and logged.
func upstreamValidationError(log *zap.Logger, ve *acs.ValidationError) error {
	violations := make([]*errdetails.BadRequest_FieldViolation, 0, len(ve.Violations))
	for _, fv := range ve.Violations {
		field, ok := protoFieldPath(fv.Field)
		if !ok {
			log.Error("the acs client refused a request the gateway built",
				zap.String("field", fv.Field), zap.String("description", fv.Description))
			return status.Error(codes.Internal, "the gateway built an invalid upstream request")
		}
		violations = append(violations, violation(field, fv.Description))
	}
	return invalidArgument(violations...)
}

// wireTopLevel maps the first segment of an acs FieldViolation path (the REST model's name) to
// the request field of this API it came from.
var wireTopLevel = map[string]string{
	"targets":                    "targets",
	"sourceCallerIdNumber":       "source_caller_id_number",
	"callConnectionId":           "call_connection_id",
	"participantRawId":           "raw_id",
	"repeatabilityRequestId":     "request_id",
	"participantToAdd":           "participant",
	"participantToRemove":        "participant",
	"targetParticipants":         "participant",
	"targetParticipant":          "target",
	"target":                     "target",
	"transferee":                 "transferee",
	"invitationTimeoutInSeconds": "invitation_timeout_seconds",
	"operationCallbackUri":       "operation_callback_uri",
	"customCallingContext":       "custom_calling_context",
	"incomingCallContext":        "incoming_call_context",
	"callRejectReason":           "reason",
	"invitationId":               "invitation_id",
	"answeredBy":                 "answered_by",
	"callLocator":                "call_locator",
}

// protoFieldPath translates an acs wire path ("targets[1].phoneNumber.value") into this API's
// ("targets[1].phone_number.value"). It reports false for a field the caller does not set.
func protoFieldPath(wire string) (string, bool) {
	segs := strings.Split(wire, ".")
	top, index := splitIndex(segs[0])
	name, ok := wireTopLevel[top]
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteString(name)
	if top != "targetParticipants" { // one participant in the API, a list on the wire
		b.WriteString(index)
	}
	for _, s := range segs[1:] {
		seg, idx := splitIndex(s)
		switch seg {
		case "kind":
			// A kind that disagrees with its object: the identifier as a whole is wrong.
			return b.String(), true
		case "teamsExtensionUser":
			// This API gives such an identifier by raw ID only.
			return b.String() + ".raw_id", true
		case "sipHeaders":
			seg = "sipXHeaders"
		}
		b.WriteByte('.')
		b.WriteString(camelToSnake(seg))
		b.WriteString(idx)
	}
	return b.String(), true
}

// splitIndex splits "targets[1]" into "targets" and "[1]".
func splitIndex(s string) (string, string) {
	if i := strings.IndexByte(s, '['); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func camelToSnake(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
