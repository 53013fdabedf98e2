package acs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of upstream ACS errors.
const ErrorDomain = "communication.azure.com"

// ErrorInfo metadata keys set by GRPCStatus.
const (
	MetadataHTTPStatus      = "http_status"
	MetadataClientRequestID = "client_request_id" // x-ms-client-request-id
	MetadataChainID         = "chain_id"          // X-Microsoft-Skype-Chain-ID
	MetadataInnerErrorCode  = "inner_error_code"
	MetadataTarget          = "target"
	MetadataOperation       = "operation"
)

// unauthenticatedMessage replaces ACS's text on a 401: the caller did nothing
// wrong and must not learn about the gateway's credentials.
const unauthenticatedMessage = "the gateway could not authenticate to Azure Communication Services"

// GRPCStatus maps an error from this package to a gRPC status, in this order:
//   - *ValidationError: InvalidArgument with a google.rpc.BadRequest whose
//     field violations use the JSON field paths of FieldViolation.
//   - context.Canceled: Canceled. context.DeadlineExceeded (including retries
//     given up because the next wait would pass the deadline): DeadlineExceeded,
//     with the last ACS error's ErrorInfo when there was one.
//   - *Error, by HTTP status: 400 InvalidArgument, 401 Internal (generic
//     text), 403 PermissionDenied, 404 NotFound, 409 and 412
//     FailedPrecondition, 429 ResourceExhausted (plus RetryInfo when
//     Retry-After was given), 408 and 5xx Unavailable, other 4xx
//     FailedPrecondition. Each carries a google.rpc.ErrorInfo: Reason = the
//     ACS error code, Domain = ErrorDomain, Metadata = the Metadata* keys.
//   - *CredentialError: Internal with a generic text.
//   - connection errors: Unavailable.
//   - anything else (an undecodable response, ErrForeignNextLink): Internal.
//
// A nil error gives an OK status.
func GRPCStatus(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		br := &errdetails.BadRequest{}
		for _, v := range ve.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		return withDetails(status.New(codes.InvalidArgument, ve.Error()), br)
	}
	apiErr, isAPI := AsError(err)
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		st := status.New(codes.DeadlineExceeded, err.Error())
		if isAPI {
			if apiErr.StatusCode == http.StatusUnauthorized {
				st = status.New(codes.DeadlineExceeded, unauthenticatedMessage)
			}
			return withDetails(st, errorInfo(apiErr))
		}
		return st
	case isAPI:
		return apiStatus(apiErr)
	}
	var ce *CredentialError
	if errors.As(err, &ce) {
		return status.New(codes.Internal, unauthenticatedMessage)
	}
	var te *transportError
	var ne net.Error
	if errors.As(err, &te) || errors.As(err, &ne) {
		return status.New(codes.Unavailable, err.Error())
	}
	return status.New(codes.Internal, err.Error())
}

func apiStatus(e *Error) *status.Status {
	code := httpToCode(e.StatusCode)
	msg := e.Error()
	if e.StatusCode == http.StatusUnauthorized {
		msg = unauthenticatedMessage
	}
	details := []protoadapt.MessageV1{errorInfo(e)}
	if e.StatusCode == http.StatusTooManyRequests && e.RetryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryAfter)})
	}
	return withDetails(status.New(code, msg), details...)
}

func httpToCode(s int) codes.Code {
	switch s {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Internal
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return codes.FailedPrecondition
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusRequestTimeout:
		return codes.Unavailable
	}
	switch {
	case s >= 500:
		return codes.Unavailable
	case s >= 400:
		return codes.FailedPrecondition
	}
	return codes.Unknown
}

func errorInfo(e *Error) *errdetails.ErrorInfo {
	reason := e.Code
	if reason == "" {
		reason = "HTTP_" + strconv.Itoa(e.StatusCode)
	}
	md := map[string]string{MetadataHTTPStatus: strconv.Itoa(e.StatusCode)}
	for k, v := range map[string]string{
		MetadataClientRequestID: e.ClientRequestID,
		MetadataChainID:         e.ChainID,
		MetadataInnerErrorCode:  e.InnerCode(),
		MetadataTarget:          e.Target,
		MetadataOperation:       e.Operation,
	} {
		if v != "" {
			md[k] = v
		}
	}
	return &errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain, Metadata: md}
}

// withDetails attaches details; if that fails (it cannot for these message
// types) the bare status is still correct.
func withDetails(st *status.Status, details ...protoadapt.MessageV1) *status.Status {
	if with, err := st.WithDetails(details...); err == nil {
		return with
	}
	return st
}
