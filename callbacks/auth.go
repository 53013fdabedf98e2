package callbacks

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
)

// The values ACS uses to sign Call Automation callbacks (see "How to secure webhook endpoint" in
// the ACS docs). The audience is the ACS resource's immutable ID and has no default.
const (
	DefaultJWTIssuer  = "https://acscallautomation.communication.azure.com"
	DefaultJWKSURL    = "https://acscallautomation.communication.azure.com/calling/keys"
	tokenQueryParam   = "token"
	jwtClockLeeway    = 30 * time.Second
	jwksFetchTimeout  = 10 * time.Second
	jwksRefreshPeriod = time.Hour
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

// jwtVerifier checks RS256 tokens against a JWKS that it refreshes in the background (and at once
// when a token names a key it has not seen, rate-limited by keyfunc).
type jwtVerifier struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
}

func newJWTVerifier(ctx context.Context, cfg JWTConfig, log *zap.Logger) (*jwtVerifier, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("callback JWT verification needs a JWKS URL, an issuer and an audience")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:          client,
		HTTPTimeout:     jwksFetchTimeout,
		RefreshInterval: jwksRefreshPeriod,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				log.Warn("cannot refresh callback signing keys", zap.String("jwks_url", u), zap.Error(err))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("callback signing keys at %s: %w", cfg.JWKSURL, err)
	}
	return &jwtVerifier{
		keys: keys,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(jwtClockLeeway),
		),
	}, nil
}

func (v *jwtVerifier) verify(ctx context.Context, r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return fmt.Errorf("%w: no bearer token", errUnauthenticated)
	}
	if _, err := v.parser.Parse(raw, v.keys.KeyfuncCtx(ctx)); err != nil {
		return fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	return nil
}

// secretMatches compares the URL's token with the configured secret in constant time.
func secretMatches(r *http.Request, secret string) bool {
	got := r.URL.Query().Get(tokenQueryParam)
	return subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}
