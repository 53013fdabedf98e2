package acs

import "strings"

// The client checks only what it needs to build a well-formed HTTP request: a request is given,
// and the path parameters it names are not empty (an empty call connection ID would address
// another resource). The content of a request is the caller's to get right: the client sends it
// as given, and ACS answers a bad one with 400 (an *Error whose Details name the fields). callgate
// validates every request against its API's rules before it reaches this package.

// FieldViolation names one invalid field of a request by its REST name, for example
// "callConnectionId" or "participantRawId".
type FieldViolation struct {
	Field       string
	Description string
}

// ValidationError is returned, before anything is sent, for a request the client cannot build.
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

// MaxInvitationTimeoutSeconds is the largest invitationTimeoutInSeconds the API accepts.
const MaxInvitationTimeoutSeconds = 180

// pathParameters checks name/value pairs of path parameters: none may be empty.
func pathParameters(nameValues ...string) error {
	var violations []FieldViolation
	for i := 0; i+1 < len(nameValues); i += 2 {
		if nameValues[i+1] == "" {
			violations = append(violations, FieldViolation{Field: nameValues[i], Description: "must not be empty"})
		}
	}
	if violations != nil {
		return &ValidationError{Violations: violations}
	}
	return nil
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
