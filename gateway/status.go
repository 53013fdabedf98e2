package gateway

import (
	"net/http"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
)

// httpStatus is the google.rpc.Status grpc-gateway would write for an HTTP status.
func httpStatus(httpCode int, msg string) *status.Status {
	code := codes.Unknown
	switch httpCode {
	case http.StatusBadRequest:
		code = codes.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		code = codes.ResourceExhausted
	case http.StatusMethodNotAllowed:
		code = codes.Unimplemented
	}
	return &status.Status{Code: int32(code), Message: msg}
}
