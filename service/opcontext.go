package service

import "github.com/callgate/callgate/acs"

// operationContextFor is the operation context sent for an operation whose outcome events must be
// matched to it: the caller's, or one the gateway makes up, as the official SDKs do for a
// transfer. With a request_id it is the request_id itself, so that a retry sends the same body:
// ACS answers a repeated Repeatability-Request-ID with a different body with 409.
func operationContextFor(given, requestID string) string {
	switch {
	case given != "":
		return given
	case requestID != "":
		return requestID
	}
	return acs.NewUUID()
}
