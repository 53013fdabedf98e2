package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/callgate/callgate/tokens"
)

// Config says how callers authenticate. At least one way must be set.
type Config struct {
	// JWT turns on bearer tokens from an OIDC issuer.
	JWT *JWTConfig
	// APIKeysFile is the API key file (see keyfile.go for its format).
	APIKeysFile string
	// ClientCertificates: a client certificate the TLS layer verified proves its URI SAN
	// (a SPIFFE ID, say) or else its first DNS SAN as the principal.
	ClientCertificates bool
	Logger             *zap.Logger
}

// JWTConfig is the issuer whose tokens are accepted.
type JWTConfig struct {
	Issuer, Audience, JWKSURL string
	// Algorithms accepted; empty means RS256.
	Algorithms []string
	// PrincipalClaim names the caller; empty means "sub".
	PrincipalClaim string
	// PermissionsClaims carry permissions: a space-separated string (Entra ID's `scp`) or a list
	// (Entra ID's `roles`); empty means both of those.
	PermissionsClaims []string
	// Leeway is the clock skew allowed; 0 means tokens.DefaultLeeway.
	Leeway time.Duration
}

// Credentials are what a request presents.
type Credentials struct {
	// Bearer is the token of an `authorization: Bearer ...` header or metadata, or "".
	Bearer string
	// Certificate is the client certificate the TLS layer verified, or nil.
	Certificate *x509.Certificate
}

// Errors of Authenticate. They say what a client can act on, nothing of which check failed.
var (
	ErrNoCredentials      = errors.New("no credentials: send authorization: Bearer <token or API key>")
	ErrInvalidCredentials = errors.New("the credentials are not valid (expired, or not for this gateway)")
)

// Authenticator proves principals.
type Authenticator struct {
	cfg    Config
	log    *zap.Logger
	jwt    *tokens.Verifier
	keys   *keyFile
	cancel context.CancelFunc
}

// New builds an authenticator: it reads the key file and fetches the token keys once.
func New(cfg Config) (*Authenticator, error) {
	if cfg.JWT == nil && cfg.APIKeysFile == "" && !cfg.ClientCertificates {
		return nil, errors.New("auth: no way to authenticate is configured")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Authenticator{cfg: cfg, log: cfg.Logger, cancel: cancel}
	if cfg.APIKeysFile != "" {
		k, err := openKeyFile(cfg.APIKeysFile, cfg.Logger)
		if err != nil {
			cancel()
			return nil, err
		}
		a.keys = k
	}
	if j := cfg.JWT; j != nil {
		if j.PrincipalClaim == "" {
			j.PrincipalClaim = "sub"
		}
		if len(j.PermissionsClaims) == 0 {
			j.PermissionsClaims = []string{"scp", "roles"}
		}
		v, err := tokens.New(ctx, tokens.Config{
			JWKSURL: j.JWKSURL, Issuer: j.Issuer, Audience: j.Audience, Algorithms: j.Algorithms,
			Leeway: j.Leeway, RequireHTTPS: true, Keys: "caller token keys",
		}, cfg.Logger)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("auth: %w", err)
		}
		a.jwt = v
	}
	return a, nil
}

// Close aborts a token key fetch in flight.
func (a *Authenticator) Close() { a.cancel() }

// Ready is nil while the token keys are held (or tokens are off), for readiness probes.
func (a *Authenticator) Ready(ctx context.Context) error {
	if a.jwt == nil {
		return nil
	}
	return a.jwt.Ready(ctx)
}

// Authenticate proves the principal of a request. A bearer credential is an API key when the
// key file has it, else a JWT; a verified client certificate is used when no bearer is sent.
// The error is ErrNoCredentials or ErrInvalidCredentials; detail wraps it for the log.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (*Principal, error) {
	switch {
	case c.Bearer != "":
		if a.keys != nil {
			if g, ok := a.keys.key(c.Bearer); ok {
				p := &Principal{Name: g.principal, Via: "api-key"}
				p.addPermissions(g.perms...)
				return p, nil
			}
		}
		if a.jwt == nil || strings.Count(c.Bearer, ".") != 2 {
			return nil, fmt.Errorf("%w: not a known API key", ErrInvalidCredentials)
		}
		return a.token(ctx, c.Bearer)
	case c.Certificate != nil && a.cfg.ClientCertificates:
		name := certificatePrincipal(c.Certificate)
		if name == "" {
			return nil, fmt.Errorf("%w: the client certificate has no URI or DNS name", ErrInvalidCredentials)
		}
		p := &Principal{Name: name, Via: "mtls"}
		p.addPermissions(a.keys.granted(name)...)
		return p, nil
	}
	return nil, ErrNoCredentials
}

func (a *Authenticator) token(ctx context.Context, raw string) (*Principal, error) {
	claims, err := a.jwt.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	name, _ := claims[a.cfg.JWT.PrincipalClaim].(string)
	if name == "" {
		return nil, fmt.Errorf("%w: no %s claim", ErrInvalidCredentials, a.cfg.JWT.PrincipalClaim)
	}
	p := &Principal{Name: name, Via: "jwt"}
	for _, claim := range a.cfg.JWT.PermissionsClaims {
		switch v := claims[claim].(type) {
		case string:
			p.addPermissions(strings.Fields(v)...)
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					p.addPermissions(s)
				}
			}
		}
	}
	p.addPermissions(a.keys.granted(name)...)
	return p, nil
}

// certificatePrincipal is a certificate's URI SAN (a SPIFFE ID), else its first DNS SAN.
func certificatePrincipal(c *x509.Certificate) string {
	for _, u := range c.URIs {
		return u.String()
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return ""
}
