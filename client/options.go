package client

import (
	"crypto/tls"
	"errors"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
)

// Option configures a Client (see New).
type Option func(*config)

// config is what the options chose; New validates it once.
type config struct {
	insecure       bool
	tls            *tls.Config
	tlsSet         bool
	tokens         oauth2.TokenSource
	credentials    int // how many of WithBearerToken and WithAPIKey were given
	dial           []grpc.DialOption
	retry          RetryPolicy
	attemptTimeout time.Duration
	errs           []error
}

// WithInsecure talks plaintext, without TLS: for loopback, `callgate dev`, and a local TLS
// sidecar. Credentials (WithBearerToken, WithAPIKey) are then sent in the clear too.
func WithInsecure() Option { return func(c *config) { c.insecure = true } }

// WithTLS talks TLS with cfg: its RootCAs verify the gateway (nil: the system's roots), its
// Certificates or GetClientCertificate present this client for mTLS. The default, without
// WithTLS or WithInsecure, is TLS with the system's roots.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		c.tlsSet = true
		if cfg != nil {
			c.tls = cfg.Clone()
		}
	}
}

// WithBearerToken sends `authorization: Bearer <token>` with every call, the token taken from
// tokens (an OIDC, Microsoft Entra ID or Kubernetes service-account token source, for example).
// Tokens are reused until they expire.
func WithBearerToken(tokens oauth2.TokenSource) Option {
	return func(c *config) {
		c.credentials++
		if tokens == nil {
			c.errs = append(c.errs, errors.New("WithBearerToken: nil token source"))
			return
		}
		c.tokens = oauth2.ReuseTokenSource(nil, tokens)
	}
}

// WithAPIKey sends a static API key with every call, as `authorization: Bearer <key>`, the
// header the gateway reads bearer tokens from, so one header carries either kind of credential
// (REST clients send the same). Surrounding white space (a key file's final newline) is removed.
func WithAPIKey(key string) Option {
	return func(c *config) {
		c.credentials++
		key = strings.TrimSpace(key)
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			c.errs = append(c.errs, errors.New("WithAPIKey: the key is empty or contains white space"))
			return
		}
		c.tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: key, TokenType: "Bearer"})
	}
}

// WithDialOptions adds gRPC dial options after the client's defaults, so they override them: a
// grpc.WithDefaultServiceConfig replaces DefaultServiceConfig, a grpc.WithKeepaliveParams the
// keepalive, and interceptors, stats handlers or resolvers are added.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dial = append(c.dial, opts...) }
}

// WithRetry sets how calls that change something are retried (see RetryPolicy).
func WithRetry(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithAttemptTimeout bounds each attempt of a call that changes something, beyond its Wait: an
// attempt that gets no answer in time is abandoned and retried with the same request_id, so a
// lost answer costs one timeout and never a second call. 0 means DefaultAttemptTimeout.
func WithAttemptTimeout(d time.Duration) Option { return func(c *config) { c.attemptTimeout = d } }

// DefaultAttemptTimeout is the default of WithAttemptTimeout: ACS answers in well under a second,
// so an attempt that has had no answer for this long is lost.
const DefaultAttemptTimeout = 20 * time.Second

// RetryPolicy says how often and how patiently the client retries. Calls that change something
// (CreateCall, Answer, Transfer, ...) are retried with the same request_id after UNAVAILABLE,
// after an attempt of theirs timed out (WithAttemptTimeout), and after RESOURCE_EXHAUSTED that
// carries a retry delay; nothing else is retried, and never past the caller's context. The
// same backoff spaces the reconnections of Watch and WatchIncoming, which have no attempt limit.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included; 0 means 5, 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per retry, with jitter. 0 means 100ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. 0 means 5s.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 100 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	p.MaxDelay = max(p.MaxDelay, p.BaseDelay)
	return p
}

// CallOption adjusts one call.
type CallOption func(*callOptions)

type callOptions struct {
	wait           time.Duration
	attemptTimeout time.Duration
	grpc           []grpc.CallOption
}

// Wait sets the request's `wait`: the call answers once its outcome event has arrived (in
// result_event), or fails with it (ABORTED, see FailureEvent), or, when no outcome came within
// d, with DEADLINE_EXCEEDED naming what it started (see Started and Client.Outcome). At most 10
// minutes. Calls without a `wait` field (Reject, Redirect, HangUp, Mute, the reads) refuse it.
func Wait(d time.Duration) CallOption { return func(o *callOptions) { o.wait = d } }

// AttemptTimeout overrides WithAttemptTimeout for one call.
func AttemptTimeout(d time.Duration) CallOption {
	return func(o *callOptions) { o.attemptTimeout = d }
}

// GRPCCallOptions passes gRPC call options to every attempt of the call (a header to read, a
// per-call credential, a compressor).
func GRPCCallOptions(opts ...grpc.CallOption) CallOption {
	return func(o *callOptions) { o.grpc = append(o.grpc, opts...) }
}
