package service

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/callgate/callgate/acs"
)

// ACS documents no limit on operation_context or source_display_name, so none is checked: a limit
// the service does not state would only refuse requests it takes.

// Descriptions of violations never quote the offending value: they end up in logs, and values
// can be phone numbers or SIP headers.
const (
	descRequired = "required"
	descE164     = "must be a phone number in E.164 form: + then 2 to 15 digits, no leading 0 (+16471234567)"
	descUUID     = "must be a UUID (8-4-4-4-12 hex digits), as AIP-155 request IDs are"
)

// validator collects every violation of a request, so a client fixes them all in one round.
type validator struct {
	violations []*errdetails.BadRequest_FieldViolation
}

func (v *validator) add(field, description string) {
	v.violations = append(v.violations, violation(field, description))
}

// err is nil for a valid request, else INVALID_ARGUMENT with a google.rpc.BadRequest.
func (v *validator) err() error {
	if len(v.violations) == 0 {
		return nil
	}
	return invalidArgument(v.violations...)
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.add(field, descRequired)
	}
}

func (v *validator) requestID(field, id string) {
	if id != "" && !acs.IsUUID(id) {
		v.add(field, descUUID)
	}
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
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) invitationTimeout(field string, seconds int32) {
	if seconds < 0 || seconds > acs.MaxInvitationTimeoutSeconds {
		v.add(field, "must be between 0 (the ACS default) and "+strconv.Itoa(acs.MaxInvitationTimeoutSeconds)+" seconds")
	}
}

// path names a field whose text is built only when a violation needs it, so that validating a
// valid request spends nothing on field names.
type path struct {
	name  string
	index int // element index of a repeated field, or -1
}

func at(name string) path          { return path{name: name, index: -1} }
func elem(name string, i int) path { return path{name: name, index: i} }

func (p path) join(sub string) string {
	if p.index < 0 {
		return p.name + sub
	}
	return fieldIndex(p.name, p.index) + sub
}

func (p path) String() string { return p.join("") }
