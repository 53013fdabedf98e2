package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an answer in the service's error shape,
// {"error":{"code","message","details"}} (CommunicationErrorResponse). Call
// Automation puts its numeric subcode in "code", e.g. {"code":"8522","message":
// "Call not found."} for an unknown call; its 400s name the offending request
// fields in details.
type apiError struct {
	status  int
	code    string
	message string
	details []fieldError
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

// Subcodes from the Call Automation troubleshooting table; README lists why
// each is used.
const (
	subNotFound         = "8522"
	subInvalidArgument  = "8523"
	subCallNotConnected = "8501"
	subConflict         = "8519"
	subTransferConflict = "8607"
	subNotImplemented   = "8520"
	subForbidden        = "7504"
)

// errInvalid is the 400 of one bad request field, at target (its JSON path).
func errInvalid(target, format string, args ...any) *apiError {
	var v violations
	v.add(target, format, args...)
	return v.err()
}

func errCallNotFound() *apiError {
	return &apiError{status: http.StatusNotFound, code: subNotFound, message: "Call not found."}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: subNotFound, message: fmt.Sprintf(format, args...)}
}

func errNotEstablished() *apiError {
	return &apiError{status: http.StatusBadRequest, code: subCallNotConnected, message: "Action is not supported when call is not established."}
}

func errConflict(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: code, message: fmt.Sprintf(format, args...)}
}

func errUnauthorized() *apiError {
	// The service's answer to a bad HMAC or token; it says nothing about why,
	// so neither do we (the reason is logged at debug level).
	return &apiError{status: http.StatusUnauthorized, code: "Denied", message: "Denied by the resource provider."}
}

func errForbidden(target, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	return &apiError{status: http.StatusForbidden, code: subForbidden, message: msg, details: []fieldError{{Message: msg, Target: target}}}
}

func errTooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
		message: fmt.Sprintf("The request body is larger than %d bytes.", maxRequestBody)}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Details []fieldError `json:"details,omitempty"`
}

// fieldError is one entry of details. The live service's entries carry a
// message and the request field as target, and no code of their own, so
// neither do these.
type fieldError struct {
	Message string `json:"message"`
	Target  string `json:"target"`
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, errorBody{Error: errorDetail{Code: e.code, Message: e.message, Details: e.details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	// Messages quote "<resource>_<id>": the service writes < and >, not \u003c.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(body.Bytes(), []byte("\n")))
}
