package service

import (
	"net"
	"net/url"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/acs"
)

// A request is valid when it meets two sets of rules, both checked here and nowhere else: the
// rules its proto declares (bounds of every string and list, formats, required fields: see the
// `buf.validate` options in proto/callgate/v1), checked first so that an oversized request costs
// nothing more; then the rules a declaration cannot state (how an identifier's raw ID and kind
// agree, a caller ID for a phone target, SIP headers for phone numbers only), checked by each
// RPC's builder as it builds the ACS request. Both name fields by their path in this API
// (`targets[1].phone_number.value`) in a google.rpc.BadRequest.

// Descriptions of violations never quote the offending value: they end up in logs, and values
// can be phone numbers or SIP headers.
const (
	descRequired = "required"
	descE164     = "must be a phone number in E.164 form: + then 2 to 15 digits, no leading 0 (+16471234567)"
)

// validator collects every violation of a request, so that a client fixes them all in one round,
// and carries what the builders need to know of the request as a whole.
type validator struct {
	violations []*errdetails.BadRequest_FieldViolation
	// wait is the request's `wait`, 0 when it waits for nothing.
	wait time.Duration
	// requestID is the request's `request_id`.
	requestID string
	// policy guards against toll fraud; denials are the fields it refuses.
	policy  *Policy
	denials []denial
}

// declared checks req against the rules its proto declares and starts the validator its builder
// goes on with. A request over a declared bound (a string too long, a list too long) is refused at
// once, before anything costs in proportion to it; any other violation is kept, so that the
// builder's own checks add theirs and the client fixes them all in one round.
func (c *core) declared(req proto.Message) (*validator, error) {
	v := &validator{policy: c.policy}
	if err := c.rules.Validate(req); err != nil {
		ve, ok := err.(*protovalidate.ValidationError)
		if !ok {
			// A rule that cannot be evaluated is the gateway's fault, not the caller's.
			return nil, err
		}
		overBound := false
		for _, fv := range ve.Violations {
			desc := fv.Proto.GetMessage()
			if fv.Proto.GetForKey() {
				desc = "key: " + desc
			}
			v.add(protovalidate.FieldPathString(fv.Proto.GetField()), desc)
			overBound = overBound || isBound(fv.Proto.GetRuleId())
		}
		if overBound {
			return nil, v.err()
		}
	}
	if g, ok := req.(interface{ GetRequestId() string }); ok {
		v.requestID = g.GetRequestId()
	}
	if g, ok := req.(interface{ GetWait() *durationpb.Duration }); ok && g.GetWait() != nil {
		if w := g.GetWait().AsDuration(); w > 0 && w <= MaxWait && g.GetWait().IsValid() {
			v.wait = w
		}
	}
	return v, nil
}

// isBound reports the rules that bound a request's size.
func isBound(ruleID string) bool {
	for _, suffix := range []string{".max_len", ".max_bytes", ".max_items", ".max_pairs"} {
		if strings.HasSuffix(ruleID, suffix) {
			return true
		}
	}
	return false
}

// MaxWait bounds an RPC's `wait`, as the protos declare: the longest ACS operation (an
// invitation) rings for 180 s.
const MaxWait = 10 * time.Minute

// add records a violation; a field already named keeps its first one, so that a rule checked
// both as declared and by a builder is reported once.
func (v *validator) add(field, description string) {
	for _, fv := range v.violations {
		if fv.GetField() == field {
			return
		}
	}
	v.violations = append(v.violations, violation(field, description))
}

// err is nil for a valid request the policy allows; else INVALID_ARGUMENT with a
// google.rpc.BadRequest, or for a valid request the policy refuses, PERMISSION_DENIED.
func (v *validator) err() error {
	switch {
	case len(v.violations) > 0:
		return invalidArgument(v.violations...)
	case len(v.denials) > 0:
		return deniedError(v.denials[0])
	}
	return nil
}

// callbackURI checks an optional operation_callback_uri: ACS posts events there, so it must be an
// absolute https URL; plain http is allowed for loopback hosts only (local development).
func (v *validator) callbackURI(field, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		v.add(field, "must be an absolute https URL")
	case u.User != nil:
		v.add(field, "must not carry user information; put a credential in the path or query")
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		v.add(field, "must be an https URL (http is accepted for loopback hosts only)")
	}
	if v.wait > 0 {
		v.add("wait", "cannot be combined with operation_callback_uri: the outcome event goes there, not to the gateway")
	}
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// operationContext is the operation context to send for an operation whose outcome events are
// matched by it (and the response returns it): the caller's; or, when the caller gave none, one
// the gateway makes up, as the official SDKs do for a transfer: the request_id, so that a retry
// sends the same body (ACS answers a repeated Repeatability-Request-ID with a different body with
// 409), else a fresh UUID.
func (v *validator) operationContext(given string) string {
	switch {
	case given != "":
		return given
	case v.requestID != "":
		return v.requestID
	}
	return acs.NewUUID()
}

// path names a field whose text is built only when a violation needs it, so that validating a
// valid request spends nothing on field names.
type path struct {
	name  string
	index int // element index of a repeated field, or -1
	// whole: the field is a raw ID itself, not an identifier message (GetParticipant's raw_id).
	whole bool
}

func at(name string) path          { return path{name: name, index: -1} }
func elem(name string, i int) path { return path{name: name, index: i} }

func (p path) join(sub string) string {
	if p.whole {
		return p.name
	}
	if p.index < 0 {
		return p.name + sub
	}
	return fieldIndex(p.name, p.index) + sub
}

func (p path) String() string { return p.join("") }
