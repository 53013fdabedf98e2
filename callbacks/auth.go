package callbacks

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	// After a failed fetch the next one waits jwksRetryMin, doubling up to
	// jwksRetryMax: a verifier holding no keys refuses every callback, so it
	// must not wait the hour a healthy one does.
	jwksRetryMin = time.Second
	jwksRetryMax = 30 * time.Second
	// jwksUnknownKIDPeriod spaces the fetches made for tokens naming a key
	// not held (a rotation, or a forged kid), as keyfunc's default did.
	jwksUnknownKIDPeriod = 5 * time.Minute
	// jwksMaxBytes bounds a key set: ACS publishes a few keys.
	jwksMaxBytes = 1 << 20
)

// JWTConfig turns on verification of the bearer token ACS attaches to every callback.
type JWTConfig struct {
	JWKSURL  string // where the signing keys are published; DefaultJWKSURL for ACS
	Issuer   string // expected `iss`; DefaultJWTIssuer for ACS
	Audience string // expected `aud`: the ACS resource's immutable ID
	// HTTPClient fetches the keys; nil uses a client with a timeout.
	HTTPClient *http.Client
}

var (
	errUnauthenticated = errors.New("unauthenticated")
	errNoUsableKeys    = errors.New("no RSA signing key in the key set")
)

// jwtVerifier checks RS256 tokens against the signing keys published at a JWKS URL.
//
// It runs no goroutine of its own, so there is none for Handler.Close to wait for: its callers
// fetch the keys when a fetch is due. New fetches them first; a callback or a Ready call that
// finds them older than jwksRefreshPeriod refreshes them; a token naming a key not held fetches
// them (at most every jwksUnknownKIDPeriod); and after a failure, the next callback or Ready call
// past the backoff tries again. Ready matters most there: a replica that probes not-ready
// receives no callbacks, so its probes are what fetch the keys that make it ready again. One
// fetch runs at a time, and Handler.Close aborts it: nothing the verifier starts outlives Close.
// (keyfunc's refresh goroutine, used before, could be cancelled but not waited for, and after a
// failed fetch waited its full hour even when it held no key.)
type jwtVerifier struct {
	url    string // fetched as given
	name   string // url without credentials or query, for logs and errors
	client *http.Client
	parser *jwt.Parser
	log    *zap.Logger
	life   context.Context // ended by Handler.Close

	fetching chan struct{} // capacity 1: held by the fetch in flight

	mu        sync.Mutex
	keys      keyfunc.Keyfunc // nil until a fetch returned usable keys
	fetchedAt time.Time       // when keys were fetched
	lastErr   error           // of the last fetch; nil once one succeeded
	failures  int             // failed fetches since the last success
	retryAt   time.Time       // after a failure, no fetch before this
	unknownAt time.Time       // when a token's unknown kid last caused a fetch
}

func newJWTVerifier(ctx context.Context, cfg JWTConfig, log *zap.Logger) (*jwtVerifier, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("callback JWT verification needs a JWKS URL, an issuer and an audience")
	}
	u, err := url.ParseRequestURI(cfg.JWKSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("callback JWT verification: the JWKS URL is not an absolute http(s) URL")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	v := &jwtVerifier{
		url:      cfg.JWKSURL,
		name:     (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
		client:   client,
		log:      log,
		life:     ctx,
		fetching: make(chan struct{}, 1),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(jwtClockLeeway),
		),
	}
	// A JWKS server down at start does not fail New: the keys are fetched again, and Ready says
	// not-ready meanwhile.
	v.current(ctx, "")
	return v, nil
}

func (v *jwtVerifier) verify(ctx context.Context, r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return fmt.Errorf("%w: no bearer token", errUnauthenticated)
	}
	if _, err := v.parser.Parse(raw, v.keyfunc(ctx)); err != nil {
		return fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	return nil
}

// keyfunc finds the token's key, fetching the key set first if that is due. The parser has
// checked the algorithm by then, so unsigned tokens cause no fetch.
func (v *jwtVerifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keys := v.current(ctx, kid)
		if keys == nil {
			return nil, v.unavailable()
		}
		return keys.KeyfuncCtx(ctx)(t)
	}
}

// current returns the keys held (nil if none), after fetching them if a fetch is due for a
// token naming kid ("" for none). Callers holding keys do not wait for another's fetch; callers
// without (no keys, or not kid's) wait for it, within ctx, then look again.
func (v *jwtVerifier) current(ctx context.Context, kid string) keyfunc.Keyfunc {
	keys, due := v.due(ctx, kid, false)
	if !due {
		return keys
	}
	select {
	case v.fetching <- struct{}{}:
	default:
		if keys != nil && holds(ctx, keys, kid) {
			return keys
		}
		select {
		case v.fetching <- struct{}{}:
		case <-ctx.Done():
			return keys
		case <-v.life.Done():
			return keys
		}
	}
	defer func() { <-v.fetching }()
	// The fetch just finished by another caller may have made this one needless.
	if keys, due = v.due(ctx, kid, true); due {
		v.fetch(ctx)
		keys, _ = v.due(ctx, kid, false)
	}
	return keys
}

// due returns the keys held and whether a fetch is due for a token naming kid. claim records an
// unknown-kid fetch as made, for the one caller about to make it.
func (v *jwtVerifier) due(ctx context.Context, kid string, claim bool) (keyfunc.Keyfunc, bool) {
	if v.life.Err() != nil {
		return v.keysNow(), false
	}
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.failures > 0 && now.Before(v.retryAt):
		return v.keys, false
	case v.keys == nil, now.Sub(v.fetchedAt) >= jwksRefreshPeriod:
		return v.keys, true
	case kid != "" && now.Sub(v.unknownAt) >= jwksUnknownKIDPeriod && !holds(ctx, v.keys, kid):
		if claim {
			v.unknownAt = now
		}
		return v.keys, true
	}
	return v.keys, false
}

func (v *jwtVerifier) keysNow() keyfunc.Keyfunc {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.keys
}

func holds(ctx context.Context, keys keyfunc.Keyfunc, kid string) bool {
	if kid == "" {
		return true // keyfunc tries every key held
	}
	_, err := keys.Storage().KeyRead(ctx, kid)
	return err == nil
}

// fetch downloads the key set and records the outcome. A failure keeps the keys held (callbacks
// still verify against them), except a key set without usable keys, which is what the issuer
// now publishes: then nothing is trusted.
func (v *jwtVerifier) fetch(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	stop := context.AfterFunc(v.life, cancel)
	defer stop()
	keys, err := v.download(fctx)
	if err != nil && (ctx.Err() != nil || v.life.Err() != nil) {
		return // the caller left or the handler closed: says nothing about the JWKS server
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err == nil {
		if v.failures > 0 {
			v.log.Info("callback signing keys fetched", zap.String("jwks_url", v.name), zap.Int("failed_fetches", v.failures))
		}
		v.keys, v.fetchedAt, v.lastErr, v.failures = keys, time.Now(), nil, 0
		return
	}
	if errors.Is(err, errNoUsableKeys) {
		v.keys = nil
	}
	v.lastErr = err
	v.failures++
	wait := min(jwksRetryMin<<min(v.failures-1, 16), jwksRetryMax)
	v.retryAt = time.Now().Add(wait)
	v.log.Warn("cannot fetch callback signing keys", zap.String("jwks_url", v.name), zap.Error(err),
		zap.Bool("keys_held", v.keys != nil), zap.Int("failed_fetches", v.failures), zap.Duration("retry_in", wait))
}

func (v *jwtVerifier) download(ctx context.Context) (keyfunc.Keyfunc, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, which may carry credentials.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read key set: %w", err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", jwksMaxBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	// Keys that cannot verify RS256 are skipped, as keyfunc's HTTP storage skipped unsupported
	// ones, rather than failing the whole set.
	var usable []json.RawMessage
	for _, k := range set.Keys {
		if rsaSigningKey(k) {
			usable = append(usable, k)
		}
	}
	if len(usable) == 0 {
		return nil, fmt.Errorf("%w (%d keys published)", errNoUsableKeys, len(set.Keys))
	}
	raw, err := json.Marshal(map[string][]json.RawMessage{"keys": usable})
	if err != nil {
		return nil, fmt.Errorf("encode key set: %w", err)
	}
	return keyfunc.NewJWKSetJSON(raw)
}

func rsaSigningKey(raw json.RawMessage) bool {
	var k struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
	}
	if json.Unmarshal(raw, &k) != nil || k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
		return false
	}
	_, err := keyfunc.NewJWKJSON(raw)
	return err == nil
}

// unavailable says why no key is held, naming the JWKS URL without its credentials.
func (v *jwtVerifier) unavailable() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.lastErr == nil {
		return fmt.Errorf("no signing keys from %s yet", v.name)
	}
	return fmt.Errorf("no signing keys from %s: last fetch: %w", v.name, v.lastErr)
}

// secretMatches compares the URL's token with the configured secret in constant time.
func secretMatches(r *http.Request, secret string) bool {
	got := r.URL.Query().Get(tokenQueryParam)
	return subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}
