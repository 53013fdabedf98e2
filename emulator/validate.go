package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// violations collects what is wrong with a request, each with the field it
// is wrong in, so one 400 names them all as the service's model validation
// does. Checks add to it; err turns it into the answer.
type violations []fieldError

func (v *violations) add(target, format string, args ...any) {
	*v = append(*v, fieldError{Message: fmt.Sprintf(format, args...), Target: target})
}

// err is the 400 8523 answer (nil when nothing is wrong); its message is the
// first violation's, so a client that shows only the message still shows one.
func (v violations) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, code: subInvalidArgument, message: v[0].Message, details: v}
}

// refuse is the answer to a request with violations (400) or, failing
// that, forbidden (403): what is malformed is said before what is not allowed.
func (v violations) refuse(forbidden *apiError) *apiError {
	if aerr := v.err(); aerr != nil {
		return aerr
	}
	return forbidden
}

// operation checks what every mid-call operation may carry: a callback URI
// of its own and an operation context.
func (v *violations) operation(callbackURI, context string, allowInsecure bool) {
	v.callbackURI("operationCallbackUri", "OperationCallbackUri", callbackURI, false, allowInsecure)
	v.text("operationContext", "OperationContext", context, maxOperationContextRunes)
}

// text checks an optional free-text field against a length in code points.
func (v *violations) text(target, name, s string, maxRunes int) {
	if n := utf8.RuneCountInString(s); n > maxRunes {
		v.add(target, "The field %s must be at most %d characters; it has %d.", name, maxRunes, n)
	}
}

// id checks an opaque ID string (invitation, call connection, room): present
// when required, at most maxBytes, printable. It reports whether the value is
// usable.
func (v *violations) id(target, name, s string, maxBytes int, required bool) bool {
	if s == "" {
		if required {
			v.add(target, "The field %s is required.", name)
		}
		return false
	}
	if problem := idStringProblem(s, maxBytes); problem != "" {
		v.add(target, "The field %s %s.", name, problem)
		return false
	}
	return true
}

// callbackURI checks callbackUri (required) or operationCallbackUri (optional).
func (v *violations) callbackURI(target, name, raw string, required, allowInsecure bool) {
	if raw == "" && !required {
		return
	}
	if len(raw) > maxCallbackURIBytes {
		v.add(target, "The field %s is invalid: it is longer than %d bytes.", name, maxCallbackURIBytes)
		return
	}
	if _, err := parseCallbackURI(raw, allowInsecure); err != nil {
		v.add(target, "The field %s is invalid: %v.", name, err)
	}
}

// incomingCallContext checks the context of answer, reject and redirect.
func (v *violations) incomingCallContext(s string) {
	switch {
	case s == "":
		v.add("incomingCallContext", "The field IncomingCallContext is required.")
	case len(s) > maxIncomingCallContextBytes:
		v.add("incomingCallContext", "The field IncomingCallContext is invalid: it is longer than %d bytes.", maxIncomingCallContextBytes)
	}
}

// idStringProblem says what keeps s from being an ID string ("" when
// nothing): too long, not UTF-8, or with a control character (NUL, newline:
// what would end a log line or a header).
func idStringProblem(s string, maxBytes int) string {
	switch {
	case len(s) > maxBytes:
		return fmt.Sprintf("is longer than %d bytes", maxBytes)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// indexed is the JSON path of one element of an array field.
func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
