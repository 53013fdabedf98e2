package acs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// DefaultAPIVersion is the stable Call Automation api-version the client
// speaks; the official 1.6.0 SDKs target it.
const DefaultAPIVersion = "2026-03-12"

// DefaultTimeout bounds a call (every attempt and wait) when Config.Timeout
// is 0: long enough for three retries of a slow answer, short enough that a
// caller without a deadline hears back.
const DefaultTimeout = 30 * time.Second

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "callgate-acs-go/1 (api-version " + DefaultAPIVersion + ")"

// Config configures a Client. Endpoint and Credential are required; every
// other field has a working default.
type Config struct {
	// Endpoint is the resource URL, e.g. https://<name>.communication.azure.com/.
	// A plain-http loopback URL works too (emulators).
	Endpoint string
	// Credential is a *KeyCredential (HMAC) or a *TokenCredential (Entra ID).
	Credential Credential
	// APIVersion is sent as api-version; empty means DefaultAPIVersion.
	APIVersion string
	// HTTPClient sends the requests; nil means one from NewHTTPClient. Its
	// Timeout, if any, bounds a whole attempt.
	HTTPClient *http.Client
	// Retry bounds retries; the zero value is a sensible policy.
	Retry RetryPolicy
	// Timeout bounds a whole call, its retries and their waits included:
	// the call runs until the earlier of the caller's deadline and Timeout
	// from its start. 0 means DefaultTimeout, negative means the caller's
	// deadline alone.
	Timeout time.Duration
	// AttemptTimeout bounds a single attempt (connect to last body byte)
	// within the call's deadline; 0 means 10s, negative means none.
	AttemptTimeout time.Duration
	// Logger receives one Debug line per attempt and a Warn per retry; nil
	// means no logging. Bodies, keys and tokens are never logged.
	Logger *zap.Logger
	// UserAgent replaces DefaultUserAgent.
	UserAgent string
	// Observer is told of every attempt and retry, for metrics; nil tells no one.
	Observer Observer
	// TracerProvider makes a span per request (nil: the global one, a no-op unless set), and
	// Propagator writes its context into each attempt's headers as W3C traceparent (nil: the
	// global one).
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	// MaxResponseBytes caps a response body; 0 means 4 MiB.
	MaxResponseBytes int64
}

// Client calls the ACS Call Automation REST API. It is safe for concurrent
// use; create one per resource and share it.
type Client struct {
	base           *url.URL // scheme, host and optional path prefix (no trailing slash)
	baseString     string
	basePath       string // escaped path prefix of the endpoint, usually ""
	apiQuery       string // "api-version=..."
	cred           Credential
	http           *http.Client
	retry          RetryPolicy
	timeout        time.Duration
	attemptTimeout time.Duration
	log            *zap.Logger
	userAgent      string
	maxResponse    int64
	observer       Observer
	tracing        tracing
	bufs           sync.Pool // *bytes.Buffer for request and response bodies

	// sleep waits between attempts; tests replace it to observe waits
	// without spending them.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient validates cfg and returns a client.
func NewClient(cfg Config) (*Client, error) {
	base, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Credential == nil {
		return nil, errors.New("acs: config: Credential is required")
	}
	apiVersion := cfg.APIVersion
	if apiVersion == "" {
		apiVersion = DefaultAPIVersion
	}
	c := &Client{
		base:           base,
		baseString:     base.String(),
		basePath:       base.EscapedPath(),
		apiQuery:       "api-version=" + url.QueryEscape(apiVersion),
		cred:           cfg.Credential,
		http:           cfg.HTTPClient,
		retry:          cfg.Retry.withDefaults(),
		timeout:        cfg.Timeout,
		attemptTimeout: cfg.AttemptTimeout,
		log:            cfg.Logger,
		userAgent:      cfg.UserAgent,
		maxResponse:    cfg.MaxResponseBytes,
		observer:       cfg.Observer,
		tracing:        newTracing(cfg.TracerProvider, cfg.Propagator),
		sleep:          sleepCtx,
	}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.attemptTimeout == 0 {
		c.attemptTimeout = 10 * time.Second
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.maxResponse <= 0 {
		c.maxResponse = 4 << 20
	}
	return c, nil
}

// NewClientFromConnectionString builds a client from an ACS connection
// string with HMAC authentication; cfg supplies the other settings and must
// leave Endpoint and Credential empty.
func NewClientFromConnectionString(connectionString string, cfg Config) (*Client, error) {
	if cfg.Endpoint != "" || cfg.Credential != nil {
		return nil, errors.New("acs: config: Endpoint and Credential come from the connection string")
	}
	endpoint, key, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	cred, err := NewKeyCredential(key)
	if err != nil {
		return nil, err
	}
	cfg.Endpoint, cfg.Credential = endpoint, cred
	return NewClient(cfg)
}

// NewHTTPClient returns the client used when Config.HTTPClient is nil:
// keep-alive connections, up to 100 idle per host (calls fan out to one
// ACS host), HTTP/2 when the server offers it, and bounded dial, TLS and
// header waits.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          200,
			MaxIdleConnsPerHost:   100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// ACS does not redirect; following one would resend credentials.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Endpoint returns the endpoint the client talks to, without trailing slash.
func (c *Client) Endpoint() string { return c.baseString }

func parseEndpoint(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, errors.New("acs: config: Endpoint is required")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("acs: config: Endpoint must be an absolute http or https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("acs: config: Endpoint must not carry user info, a query or a fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// requestURL returns base + escapedPath + ?api-version=... . The path
// segments must already be escaped with escapePathSegment; RawPath keeps
// that escaping on the wire (and in the signed request target).
func (c *Client) requestURL(escapedPath string) (*url.URL, error) {
	full := c.basePath + escapedPath
	path, err := url.PathUnescape(full)
	if err != nil {
		return nil, fmt.Errorf("acs: bad request path: %w", err)
	}
	u := &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: path, RawQuery: c.apiQuery}
	if path != full {
		u.RawPath = full
	}
	return u, nil
}

// callPath returns /calling/callConnections/{id} with id escaped.
func callPath(callConnectionID string) string {
	return "/calling/callConnections/" + escapePathSegment(callConnectionID)
}

// escapePathSegment escapes like JavaScript's encodeURIComponent, as the SDK
// does for path parameters: a raw ID 8:acs:p becomes 8%3Aacs%3Ap.
func escapePathSegment(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreservedComponent(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreservedComponent(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreservedComponent(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')':
		return true
	}
	return false
}
