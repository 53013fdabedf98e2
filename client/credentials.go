package client

import (
	"context"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// bearer sends a token in the authorization header of every call.
type bearer struct {
	tokens oauth2.TokenSource
	// insecure: the caller chose plaintext (WithInsecure), knowing the token travels with it.
	insecure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	tok, err := b.tokens.Token()
	if err != nil {
		// A status, so that the call fails with this code rather than UNAVAILABLE, which would
		// be retried.
		return nil, status.Errorf(codes.Unauthenticated, "client: no token to call the gateway with: %v", err)
	}
	return map[string]string{"authorization": tok.Type() + " " + tok.AccessToken}, nil
}

func (b bearer) RequireTransportSecurity() bool { return !b.insecure }
