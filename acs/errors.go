package acs

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Response headers carrying diagnostics.
const (
	headerClientRequestID = "X-Ms-Client-Request-Id"
	headerChainID         = "X-Microsoft-Skype-Chain-Id"
	headerErrorCode       = "X-Ms-Error-Code"
)

// Error is a non-2xx answer from ACS. Code, Message, Target, Details and
// Inner come from the CommunicationErrorResponse body when there is one.
type Error struct {
	// Operation is the client method that failed, e.g. "CreateCall".
	Operation  string
	StatusCode int
	Code       string
	Message    string
	Target     string
	Details    []ErrorDetail
	Inner      *ErrorDetail
	// ClientRequestID is the x-ms-client-request-id of the request.
	ClientRequestID string
	// ChainID is the X-Microsoft-Skype-Chain-ID ACS answered with: quote it
	// to Microsoft support.
	ChainID string
	// RetryAfter is the wait the service asked for (Retry-After,
	// retry-after-ms or x-ms-retry-after-ms); zero when absent.
	RetryAfter time.Duration
}

// ErrorDetail is the REST CommunicationError.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
	Inner   *ErrorDetail  `json:"innererror,omitempty"`
}

// maxErrorMessage bounds how much of the service's message Error() repeats.
const maxErrorMessage = 512

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("acs: ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(truncate(e.Message, maxErrorMessage))
	}
	if c := e.InnerCode(); c != "" {
		b.WriteString(" (inner ")
		b.WriteString(c)
		b.WriteByte(')')
	}
	if e.ClientRequestID != "" {
		b.WriteString(" client-request-id=")
		b.WriteString(e.ClientRequestID)
	}
	if e.ChainID != "" {
		b.WriteString(" chain-id=")
		b.WriteString(e.ChainID)
	}
	return b.String()
}

// InnerCode returns the code of the inner error, or "".
func (e *Error) InnerCode() string {
	if e.Inner == nil {
		return ""
	}
	return e.Inner.Code
}

// Retryable reports whether the status is one the client retries.
func (e *Error) Retryable() bool { return retryableStatus(e.StatusCode) }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// StatusCode returns the HTTP status of the *Error in err's chain, or 0.
func StatusCode(err error) int {
	if e, ok := AsError(err); ok {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 from ACS (unknown call connection
// or participant, or a call that already ended).
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// errorBody is the CommunicationErrorResponse envelope.
type errorBody struct {
	Error *ErrorDetail `json:"error"`
}

// decodeError builds the typed error of a non-2xx answer. Any body is
// accepted: one that is not an ACS error leaves Code and Message to the
// x-ms-error-code header and the status text.
func decodeError(op string, status int, h http.Header, body []byte, clientRequestID string, now time.Time) *Error {
	e := &Error{
		Operation:       op,
		StatusCode:      status,
		ClientRequestID: clientRequestID,
		ChainID:         h.Get(headerChainID),
		RetryAfter:      parseRetryAfter(h, now),
	}
	if echoed := h.Get(headerClientRequestID); echoed != "" && e.ClientRequestID == "" {
		e.ClientRequestID = echoed
	}
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
		e.Target = eb.Error.Target
		e.Details = eb.Error.Details
		e.Inner = eb.Error.Inner
	}
	if e.Code == "" {
		e.Code = h.Get(headerErrorCode)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.Message == "" {
		e.Message = "HTTP status " + strconv.Itoa(status)
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
