package callbacks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/callgate/callgate/tokens"
)

// The values ACS uses to sign Call Automation callbacks (see "How to secure webhook endpoint" in
// the ACS docs). The audience is the ACS resource's immutable ID and has no default.
const (
	DefaultJWTIssuer = "https://acscallautomation.communication.azure.com"
	DefaultJWKSURL   = "https://acscallautomation.communication.azure.com/calling/keys"
	tokenQueryParam  = "token"
)

// JWTConfig turns on verification of the bearer token ACS attaches to every callback.
type JWTConfig struct {
	JWKSURL  string // where the signing keys are published; DefaultJWKSURL for ACS
	Issuer   string // expected `iss`; DefaultJWTIssuer for ACS
	Audience string // expected `aud`: the ACS resource's immutable ID
	// HTTPClient fetches the keys; nil uses a client with a timeout.
	HTTPClient *http.Client
}

var errUnauthenticated = errors.New("unauthenticated")

// newJWTVerifier verifies ACS's RS256 callback tokens; ctx is its life (the handler's).
func newJWTVerifier(ctx context.Context, cfg JWTConfig, log *zap.Logger) (*tokens.Verifier, error) {
	v, err := tokens.New(ctx, tokens.Config{
		JWKSURL:    cfg.JWKSURL,
		Issuer:     cfg.Issuer,
		Audience:   cfg.Audience,
		Keys:       "callback signing keys",
		HTTPClient: cfg.HTTPClient,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("callback JWT verification: %w", err)
	}
	return v, nil
}

func verifyBearer(ctx context.Context, v *tokens.Verifier, r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return fmt.Errorf("%w: no bearer token", errUnauthenticated)
	}
	if _, err := v.Verify(ctx, raw); err != nil {
		return fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	return nil
}

// secretMatches compares the URL's token with the configured secret in constant time: their
// SHA-256 digests are compared, so that not even the secret's length shows in the timing.
func secretMatches(r *http.Request, secret string) bool {
	got := sha256.Sum256([]byte(r.URL.Query().Get(tokenQueryParam)))
	want := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
