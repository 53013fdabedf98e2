package service

import (
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Policy is whom callers may ring and which numbers they may show, checked on every request
// before anything reaches ACS: the guards against toll fraud. A refusal is PERMISSION_DENIED,
// naming the field but not the number.
type Policy struct {
	// AllowedCallerIDs are the numbers the ACS resource owns: any other source_caller_id_number
	// is refused. Empty: any (ACS itself refuses numbers the resource does not own).
	AllowedCallerIDs []string
	// AllowedDestinations are E.164 prefixes (+1, +4420): a phone number that CreateCall,
	// AddParticipant, TransferCall or RedirectCall would ring must start with one. Empty: any.
	AllowedDestinations []string
	// DeniedDestinations are E.164 prefixes never rung, whatever AllowedDestinations says
	// (+1900: premium numbers).
	DeniedDestinations []string
}

// denial is a request field the policy refuses.
type denial struct {
	field, reason string
}

// ownCallerID checks a caller ID against the numbers the resource owns.
func (v *validator) ownCallerID(field, number string) {
	if p := v.policy; p != nil && len(p.AllowedCallerIDs) > 0 && !slices.Contains(p.AllowedCallerIDs, number) {
		v.denials = append(v.denials, denial{field, "CALLER_ID_NOT_ALLOWED"})
	}
}

// destination checks a phone number the request would ring.
func (v *validator) destination(field, number string) {
	p := v.policy
	if p == nil {
		return
	}
	hasPrefix := func(prefix string) bool { return strings.HasPrefix(number, prefix) }
	switch {
	case slices.ContainsFunc(p.DeniedDestinations, hasPrefix):
		v.denials = append(v.denials, denial{field, "DESTINATION_DENIED"})
	case len(p.AllowedDestinations) > 0 && !slices.ContainsFunc(p.AllowedDestinations, hasPrefix):
		v.denials = append(v.denials, denial{field, "DESTINATION_NOT_ALLOWED"})
	}
}

// deniedError is PERMISSION_DENIED for the first field the policy refuses.
func deniedError(d denial) error {
	msg := d.field + ": this gateway does not allow it"
	switch d.reason {
	case "CALLER_ID_NOT_ALLOWED":
		msg = d.field + ": not a number this gateway may show as caller ID"
	case "DESTINATION_DENIED", "DESTINATION_NOT_ALLOWED":
		msg = d.field + ": this gateway does not ring that destination"
	}
	st, err := status.New(codes.PermissionDenied, msg).WithDetails(&errdetails.ErrorInfo{
		Reason: d.reason, Domain: errorDomain, Metadata: map[string]string{"field": d.field},
	})
	if err != nil {
		return status.Error(codes.PermissionDenied, msg)
	}
	return st.Err()
}
