// Package acs is a client for the Azure Communication Services Call
// Automation REST API (api-version 2026-03-12 by default). It sends what the
// official SDKs send, byte for byte where it matters: the same paths and
// query, the same JSON (identifiers with kind, rawId and the kind object, and
// without kind in the CallMedia operations, as CallMediaIdentifier; the SDK's
// custom calling context rules), HMAC-SHA256 signing or Entra ID
// bearer tokens, and Repeatability-Request-ID / Repeatability-First-Sent on
// every repeatable POST.
//
// The package stands alone: it imports nothing from the rest of callgate and
// knows nothing of gRPC except GRPCStatus, which maps its errors to a gRPC
// status with google.rpc details.
//
// # Usage
//
//	client, err := acs.NewClientFromConnectionString(os.Getenv("ACS_CONNECTION_STRING"),
//		acs.Config{Logger: logger})
//	if err != nil {
//		return err
//	}
//	call, err := client.CreateCall(ctx, &acs.CreateCallRequest{
//		Targets:              []acs.Identifier{acs.PhoneNumber("+14255550123")},
//		SourceCallerIDNumber: acs.CallerID("+18005550100"),
//		CallbackURI:          "https://gateway.example/callbacks",
//		OperationContext:     "order-42",
//	})
//	if err != nil {
//		return acs.GRPCStatus(err).Err() // inside a gRPC handler
//	}
//	_ = call.CallConnectionID
//
// With a managed identity instead of an access key:
//
//	source, err := azidentity.NewManagedIdentityCredential(nil)
//	...
//	cred, err := acs.NewTokenCredential(source)
//	...
//	client, err := acs.NewClient(acs.Config{
//		Endpoint:   "https://<resource>.communication.azure.com/",
//		Credential: cred,
//	})
//
// # Behaviour
//
// The client checks only what it needs to build the HTTP request (a request
// is given, its path parameters are not empty: a *ValidationError otherwise,
// with nothing sent). Everything else is sent as given: validating a
// request's content (E.164 numbers, identifiers, bounds) is the caller's
// job, and ACS answers a bad request with 400. callgate's service validates
// every request against its own API's rules first.
//
// A call runs until the earlier of the caller's deadline and Config.Timeout
// (DefaultTimeout, 30 s), each attempt within Config.AttemptTimeout.
//
// Requests are retried on 408, 429, 500, 502, 503, 504 and connection
// errors, with jittered exponential backoff or the wait the service asks for
// (Retry-After, retry-after-ms, x-ms-retry-after-ms), never past the
// caller's deadline. Each retry is signed afresh and keeps the repeatability
// headers, so ACS runs the operation once. Nothing else is retried.
//
// A non-2xx answer is an *Error with the HTTP status, the ACS error code,
// message and inner error, and the x-ms-client-request-id and
// X-Microsoft-Skype-Chain-ID diagnostics.
package acs
