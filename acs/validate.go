package acs

import (
	"net/url"
	"strconv"
	"strings"
)

// FieldViolation names one invalid field of a request.
//
// Field is the JSON path of the field as it appears on the wire (the REST
// model's lowerCamel names, with [i] for list elements), for example
// "targets[1].phoneNumber.value", "sourceCallerIdNumber",
// "invitationTimeoutInSeconds", "customCallingContext.sipHeaders". Path
// parameters use the REST names "callConnectionId" and "participantRawId";
// the caller's idempotency key is "repeatabilityRequestId".
type FieldViolation struct {
	Field       string
	Description string
}

// ValidationError is returned before any request is sent when the input is
// invalid. It lists every violation found.
type ValidationError struct {
	Violations []FieldViolation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("acs: invalid request: ")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.Field)
		b.WriteString(": ")
		b.WriteString(v.Description)
	}
	return b.String()
}

// MaxInvitationTimeoutSeconds is the largest invitationTimeoutInSeconds the
// API accepts.
const MaxInvitationTimeoutSeconds = 180

// validator collects violations; the zero value is ready to use.
type validator struct {
	violations []FieldViolation
}

func (v *validator) add(field, description string) {
	v.violations = append(v.violations, FieldViolation{Field: field, Description: description})
}

func (v *validator) err() error {
	if len(v.violations) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.violations}
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.add(field, "must not be empty")
	}
}

// uri checks an absolute http(s) URL; required says whether empty is allowed.
func (v *validator) uri(field, value string, required bool) {
	if value == "" {
		if required {
			v.add(field, "must not be empty")
		}
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(field, "must be an absolute http or https URL")
	}
}

// IsE164 reports whether s matches ^\+[1-9]\d{1,14}$.
func IsE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fieldPath names a field whose text is only built when a violation needs
// it: validation of a valid request allocates nothing for names.
type fieldPath struct {
	name  string
	index int // element index, or -1
}

func at(name string) fieldPath          { return fieldPath{name: name, index: -1} }
func elem(name string, i int) fieldPath { return fieldPath{name: name, index: i} }
func (p fieldPath) join(sub string) string {
	if p.index < 0 {
		return p.name + sub
	}
	return p.name + "[" + strconv.Itoa(p.index) + "]" + sub
}

func (v *validator) callerID(p fieldPath, m *PhoneNumberModel) {
	if m == nil {
		return
	}
	if m.IsAnonymous {
		v.add(p.join(".isAnonymous"), "a caller ID cannot be anonymous")
	}
	if !IsE164(m.Value) {
		v.add(p.join(".value"), e164Description)
	}
}

const e164Description = "must be a phone number in E.164 format (+ then 2 to 15 digits, no leading 0)"

// identifierMode selects how strict identifier validation is.
type identifierMode int

const (
	// dialable: a party ACS will call (create, add, redirect, transfer): a
	// phone number must be a real E.164 number.
	dialable identifierMode = iota
	// existing: a party already known to the call (remove, mute), possibly
	// taken from a response: anonymous numbers and asserted IDs are fine.
	existing
)

func (v *validator) identifier(p fieldPath, id Identifier, mode identifierMode) {
	if id.IsZero() {
		v.add(p.join(""), "must be set")
		return
	}
	if n := id.objectCount(); n > 1 {
		v.add(p.join(""), "must set exactly one kind object, "+strconv.Itoa(n)+" are set")
		return
	}
	obj := id.ObjectKind()
	// Without a kind object any kind goes with a raw ID (a kind newer than
	// this package, taken from a response, must still be usable).
	if id.Kind != "" && id.objectCount() == 1 && id.Kind != obj {
		v.add(p.join(".kind"), "is "+strconv.Quote(string(id.Kind))+" but the "+string(obj)+" object is set")
		return
	}
	empty := func(sub, value string) {
		if value == "" {
			v.add(p.join(sub), "must not be empty")
		}
	}
	switch obj {
	case KindCommunicationUser:
		empty(".communicationUser.id", id.CommunicationUser.ID)
	case KindPhoneNumber:
		m := id.PhoneNumber
		switch {
		case mode == dialable && m.IsAnonymous:
			v.add(p.join(".phoneNumber.isAnonymous"), "an anonymous number cannot be called")
		case mode == dialable && !IsE164(m.Value):
			v.add(p.join(".phoneNumber.value"), e164Description)
		case !m.IsAnonymous:
			empty(".phoneNumber.value", m.Value)
		}
	case KindMicrosoftTeamsUser:
		empty(".microsoftTeamsUser.userId", id.MicrosoftTeamsUser.UserID)
		v.cloud(p, ".microsoftTeamsUser.cloud", id.MicrosoftTeamsUser.Cloud)
	case KindMicrosoftTeamsApp:
		empty(".microsoftTeamsApp.appId", id.MicrosoftTeamsApp.AppID)
		v.cloud(p, ".microsoftTeamsApp.cloud", id.MicrosoftTeamsApp.Cloud)
	case KindTeamsExtensionUser:
		u := id.TeamsExtensionUser
		empty(".teamsExtensionUser.userId", u.UserID)
		empty(".teamsExtensionUser.tenantId", u.TenantID)
		empty(".teamsExtensionUser.resourceId", u.ResourceID)
		v.cloud(p, ".teamsExtensionUser.cloud", u.Cloud)
	default:
		empty(".rawId", id.RawID)
	}
}

func (v *validator) cloud(p fieldPath, sub string, c Cloud) {
	switch c {
	case "", CloudPublic, CloudDoD, CloudGCCH:
	default:
		v.add(p.join(sub), "must be public, dod or gcch")
	}
}

func (v *validator) repeatability(r Repeatability) {
	if r.RequestID != "" && !IsUUID(r.RequestID) {
		v.add("repeatabilityRequestId", "must be a UUID")
	}
}

func (v *validator) invitationTimeout(field string, seconds int32) {
	if seconds < 0 || seconds > MaxInvitationTimeoutSeconds {
		v.add(field, "must be between 0 and "+strconv.Itoa(MaxInvitationTimeoutSeconds)+" seconds")
	}
}

func (v *validator) customCallingContext(field string, c *CustomCallingContext) {
	if c == nil {
		return
	}
	for k, val := range c.VoIPHeaders {
		if k == "" || hasLineBreak(k) || hasLineBreak(val) {
			v.add(field+".voipHeaders", "header names must be non-empty and names and values must not contain line breaks")
			break
		}
	}
	for k, val := range c.SIPHeaders {
		if k != SIPHeaderUUI && (!strings.HasPrefix(k, string(SIPPrefixX)) || len(k) == len(SIPPrefixX)) {
			v.add(field+".sipHeaders", "SIP header "+strconv.Quote(k)+" must be User-To-User or an X- header")
			break
		}
		if hasLineBreak(k) || hasLineBreak(val) {
			v.add(field+".sipHeaders", "SIP header names and values must not contain line breaks")
			break
		}
	}
}

func hasLineBreak(s string) bool { return strings.ContainsAny(s, "\r\n") }

// hasPhoneNumber reports whether a phone number is among ids.
func hasPhoneNumber(ids ...Identifier) bool {
	for _, id := range ids {
		if id.PhoneNumber != nil || id.Kind == KindPhoneNumber {
			return true
		}
	}
	return false
}
