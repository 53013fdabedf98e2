package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/auth"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/service"
)

// securityConfig is who may call the gateway and what they may ring: the settings of issue 10.
type securityConfig struct {
	TLSCertFile, TLSKeyFile, TLSClientCAFile  string
	CallbacksTLSCertFile, CallbacksTLSKeyFile string
	AuthIssuer, AuthAudience, AuthJWKSURL     string
	AuthAlgorithms                            listFlag
	AuthPrincipalClaim                        string
	AuthPermissionsClaims                     listFlag
	AuthAPIKeysFile                           string
	AuthDisabled                              bool
	Reflection                                bool
	AllowedCallerIDs                          listFlag
	AllowedDestinations, DeniedDestinations   listFlag
	RateLimitCalls                            string
}

func defaultSecurity() securityConfig {
	return securityConfig{
		AuthAlgorithms:        list("RS256"),
		AuthPrincipalClaim:    "sub",
		AuthPermissionsClaims: list("scp", "roles"),
		Reflection:            true,
	}
}

// listFlag is a list setting: comma-separated values, and the flag may be repeated. Given on the
// command line (or by its environment twin), it replaces the default.
type listFlag struct {
	values []string
	given  bool
}

func list(v ...string) listFlag { return listFlag{values: v} }

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if !l.given {
		l.values, l.given = nil, true
	}
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			l.values = append(l.values, e)
		}
	}
	return nil
}

func (s *securityConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&s.TLSCertFile, "tls-cert-file", s.TLSCertFile, "certificate (PEM) that serves gRPC and REST over TLS, reloaded when the file changes")
	fs.StringVar(&s.TLSKeyFile, "tls-key-file", s.TLSKeyFile, "private key (PEM) of --tls-cert-file")
	fs.StringVar(&s.TLSClientCAFile, "tls-client-ca-file", s.TLSClientCAFile, "CA (PEM) that client certificates must be signed by (mTLS); a certificate's URI or DNS SAN is then its principal")
	fs.StringVar(&s.CallbacksTLSCertFile, "callbacks-tls-cert-file", s.CallbacksTLSCertFile, "certificate (PEM) of the callbacks listener; without it the callbacks are plain HTTP, for a TLS-terminating ingress")
	fs.StringVar(&s.CallbacksTLSKeyFile, "callbacks-tls-key-file", s.CallbacksTLSKeyFile, "private key (PEM) of --callbacks-tls-cert-file")
	fs.StringVar(&s.AuthIssuer, "auth-issuer", s.AuthIssuer, "issuer (iss) of callers' bearer tokens: an OIDC issuer such as https://login.microsoftonline.com/<tenant>/v2.0, or a Kubernetes cluster's")
	fs.StringVar(&s.AuthAudience, "auth-audience", s.AuthAudience, "audience (aud) callers' tokens must be for")
	fs.StringVar(&s.AuthJWKSURL, "auth-jwks-url", s.AuthJWKSURL, "where the token issuer publishes its signing keys (https, or http on loopback)")
	fs.Var(&s.AuthAlgorithms, "auth-algorithms", "signing algorithms accepted for callers' tokens (comma-separated, repeatable)")
	fs.StringVar(&s.AuthPrincipalClaim, "auth-principal-claim", s.AuthPrincipalClaim, "token claim that names the caller")
	fs.Var(&s.AuthPermissionsClaims, "auth-permissions-claim", "token claims that carry the caller's permissions: a space-separated string (scp) or a list (roles)")
	fs.StringVar(&s.AuthAPIKeysFile, "auth-api-keys-file", s.AuthAPIKeysFile, "file of API keys (their SHA-256, a principal and permissions a line; see 'callgate apikey') and of permissions for token and certificate principals, reloaded when it changes")
	fs.BoolVar(&s.AuthDisabled, "auth-disabled", s.AuthDisabled, "let anyone who reaches the gRPC and REST ports call every RPC (serve refuses to start with no authentication unless this is given)")
	fs.BoolVar(&s.Reflection, "reflection", s.Reflection, "serve gRPC server reflection (for grpcurl)")
	fs.Var(&s.AllowedCallerIDs, "allowed-caller-ids", "numbers the ACS resource owns: any other source_caller_id_number is refused (comma-separated, repeatable)")
	fs.Var(&s.AllowedDestinations, "allowed-destinations", "E.164 prefixes a placed call, invitation, transfer or redirect may ring (comma-separated, repeatable); empty: any")
	fs.Var(&s.DeniedDestinations, "denied-destinations", "E.164 prefixes never rung, such as +1900 (comma-separated, repeatable); deny wins")
	fs.StringVar(&s.RateLimitCalls, "rate-limit-calls", s.RateLimitCalls, "calls each principal may place, as count/period (60/m: bursts of 60, one a second after); empty: no limit")
}

// validate checks the settings; serve also requires some authentication.
func (s *securityConfig) validate(serve bool) error {
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return fmt.Errorf("invalid settings: %s and %s go together", settingName("tls-cert-file"), settingName("tls-key-file"))
	}
	if s.TLSClientCAFile != "" && s.TLSCertFile == "" {
		return fmt.Errorf("invalid setting %s: client certificates need TLS (%s)", settingName("tls-client-ca-file"), settingName("tls-cert-file"))
	}
	if (s.CallbacksTLSCertFile == "") != (s.CallbacksTLSKeyFile == "") {
		return fmt.Errorf("invalid settings: %s and %s go together", settingName("callbacks-tls-cert-file"), settingName("callbacks-tls-key-file"))
	}
	jwt := s.AuthIssuer != "" || s.AuthAudience != "" || s.AuthJWKSURL != ""
	if jwt && (s.AuthIssuer == "" || s.AuthAudience == "" || s.AuthJWKSURL == "") {
		return fmt.Errorf("invalid settings: bearer tokens need %s, %s and %s", settingName("auth-issuer"), settingName("auth-audience"), settingName("auth-jwks-url"))
	}
	if serve && !jwt && s.AuthAPIKeysFile == "" && s.TLSClientCAFile == "" && !s.AuthDisabled {
		return fmt.Errorf("missing authentication: set %s, %s or %s, or give %s to let anyone who reaches the API place calls",
			settingName("auth-jwks-url"), settingName("auth-api-keys-file"), settingName("tls-client-ca-file"), settingName("auth-disabled"))
	}
	for _, n := range s.AllowedCallerIDs.values {
		if !acs.IsE164(n) {
			return fmt.Errorf("invalid setting %s: %q is not an E.164 number", settingName("allowed-caller-ids"), n)
		}
	}
	for _, l := range []struct {
		flag  string
		value listFlag
	}{{"allowed-destinations", s.AllowedDestinations}, {"denied-destinations", s.DeniedDestinations}} {
		for _, p := range l.value.values {
			if _, err := strconv.ParseUint(strings.TrimPrefix(p, "+"), 10, 64); err != nil || !strings.HasPrefix(p, "+") || len(p) > 16 {
				return fmt.Errorf("invalid setting %s: %q is not an E.164 prefix (+ and digits)", settingName(l.flag), p)
			}
		}
	}
	if _, err := s.rateLimit(); err != nil {
		return fmt.Errorf("invalid setting %s: %w", settingName("rate-limit-calls"), err)
	}
	return nil
}

func (s *securityConfig) rateLimit() (gateway.RateLimit, error) {
	if s.RateLimitCalls == "" {
		return gateway.RateLimit{}, nil
	}
	count, per, ok := strings.Cut(s.RateLimitCalls, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n <= 0 {
		return gateway.RateLimit{}, fmt.Errorf("%q is not count/period, such as 60/m", s.RateLimitCalls)
	}
	d, ok := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[per]
	if !ok {
		return gateway.RateLimit{}, fmt.Errorf("the period of %q is s, m or h", s.RateLimitCalls)
	}
	return gateway.RateLimit{Count: n, Per: d}, nil
}

func (s *securityConfig) policy() *service.Policy {
	return &service.Policy{AllowedCallerIDs: s.AllowedCallerIDs.values, AllowedDestinations: s.AllowedDestinations.values, DeniedDestinations: s.DeniedDestinations.values}
}

// apply sets on cfg what the settings name: TLS files, the authenticator (none when nothing is
// configured), the rate limit, reflection. closeFn releases the authenticator.
func (s *securityConfig) apply(cfg *gateway.Config, log *zap.Logger) (closeFn func(), err error) {
	closeFn = func() {}
	if s.TLSCertFile != "" {
		if cfg.TLS, err = gateway.LoadTLS(s.TLSCertFile, s.TLSKeyFile, s.TLSClientCAFile, log.Named("tls")); err != nil {
			return closeFn, err
		}
	}
	if s.CallbacksTLSCertFile != "" {
		if cfg.CallbacksTLS, err = gateway.LoadTLS(s.CallbacksTLSCertFile, s.CallbacksTLSKeyFile, "", log.Named("tls")); err != nil {
			return closeFn, err
		}
	}
	if cfg.RateLimit, err = s.rateLimit(); err != nil {
		return closeFn, err
	}
	cfg.DisableReflection = !s.Reflection
	ac := auth.Config{APIKeysFile: s.AuthAPIKeysFile, ClientCertificates: s.TLSClientCAFile != "", Logger: log.Named("auth")}
	if s.AuthJWKSURL != "" {
		ac.JWT = &auth.JWTConfig{Issuer: s.AuthIssuer, Audience: s.AuthAudience, JWKSURL: s.AuthJWKSURL,
			Algorithms: s.AuthAlgorithms.values, PrincipalClaim: s.AuthPrincipalClaim, PermissionsClaims: s.AuthPermissionsClaims.values}
	}
	if ac.JWT == nil && ac.APIKeysFile == "" && !ac.ClientCertificates {
		if s.AuthDisabled {
			log.Warn("authentication is disabled: anyone who reaches the gRPC and REST ports can place calls")
		}
		return closeFn, nil
	}
	a, err := auth.New(ac)
	if err != nil {
		return closeFn, err
	}
	cfg.Auth = a
	return a.Close, nil
}
