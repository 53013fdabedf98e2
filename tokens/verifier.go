// Package tokens verifies signed JWTs against the keys an issuer publishes at a JWKS URL,
// fetching and refreshing them without a goroutine of its own. Package callbacks uses it for the
// tokens ACS signs its callbacks with, package auth for callers' bearer tokens (Microsoft Entra
// ID, Kubernetes service accounts, any OIDC issuer).
//
// It is a folder of its own because both need exactly this and neither may depend on the other.
package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
)

const (
	fetchTimeout  = 10 * time.Second
	refreshPeriod = time.Hour
	// After a failed fetch the next one waits retryMin, doubling up to retryMax: a verifier
	// holding no keys refuses every token, so it must not wait the hour a healthy one does.
	retryMin = time.Second
	retryMax = 30 * time.Second
	// unknownKIDPeriod spaces the fetches made for tokens naming a key not held (a rotation, or a
	// forged kid), as keyfunc's default did.
	unknownKIDPeriod = 5 * time.Minute
	// maxKeySetBytes bounds a key set: issuers publish a few keys.
	maxKeySetBytes = 1 << 20
)

var (
	// ErrInvalidToken is wrapped by every refusal of Verify.
	ErrInvalidToken = errors.New("invalid token")
	errNoUsableKeys = errors.New("no usable signing key in the key set")
)

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Verifier checks signed JWTs against the keys published at a JWKS URL.
//
// It runs no goroutine of its own, so there is none for its owner to wait for: its callers fetch
// the keys when a fetch is due. New fetches them first; a Verify or a Ready call that finds them
// older than refreshPeriod refreshes them; a token naming a key not held fetches them (at most
// every unknownKIDPeriod); and after a failure, the next Verify or Ready call past the backoff
// tries again. Ready matters most there: a replica that probes not-ready receives no traffic, so
// its probes are what fetch the keys that make it ready again. One fetch runs at a time, and the
// end of New's context aborts it: nothing the verifier starts outlives it. (keyfunc's refresh
// goroutine could be cancelled but not waited for, and after a failed fetch waited its full hour
// even when it held no key.)
type Verifier struct {
	url    string          // fetched as given
	name   string          // url without credentials or query, for logs and errors
	what   string          // what the keys are, for logs
	kty    map[string]bool // the key types the accepted algorithms need
	client *http.Client
	parser *jwt.Parser
	log    *zap.Logger
	life   context.Context // the verifier's life, from New

	fetching chan struct{} // capacity 1: held by the fetch in flight

	mu        sync.Mutex
	keys      keyfunc.Keyfunc // nil until a fetch returned usable keys
	fetchedAt time.Time       // when keys were fetched
	lastErr   error           // of the last fetch; nil once one succeeded
	failures  int             // failed fetches since the last success
	retryAt   time.Time       // after a failure, no fetch before this
	unknownAt time.Time       // when a token's unknown kid last caused a fetch
}

// Config says which tokens a Verifier accepts.
type Config struct {
	// JWKSURL is where the issuer publishes its signing keys.
	JWKSURL string
	// Issuer and Audience are the expected `iss` and `aud`.
	Issuer, Audience string
	// Algorithms are the signing algorithms accepted (RS256, PS256, ES256, ...); empty means RS256.
	// A token of another algorithm, `none` included, is refused before any key is looked up.
	Algorithms []string
	// Leeway is the clock skew allowed on exp, nbf and iat; 0 means DefaultLeeway.
	Leeway time.Duration
	// RequireHTTPS refuses a JWKS URL that is not https, except on a loopback host.
	RequireHTTPS bool
	// Keys names the keys in logs and errors ("callback signing keys").
	Keys string
	// HTTPClient fetches the keys; nil uses a client with a timeout.
	HTTPClient *http.Client
}

// DefaultLeeway is the clock skew a Verifier allows by default.
const DefaultLeeway = 30 * time.Second

// New makes a verifier and fetches the keys once. A JWKS server that cannot be reached does not
// fail it: the keys are fetched again later, and Ready says why they are missing meanwhile. ctx
// is the verifier's life: when it ends, a fetch in flight is aborted and none starts.
func New(ctx context.Context, cfg Config, log *zap.Logger) (*Verifier, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("tokens: a JWKS URL, an issuer and an audience are needed")
	}
	u, err := url.ParseRequestURI(cfg.JWKSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("tokens: the JWKS URL is not an absolute http(s) URL")
	}
	if cfg.RequireHTTPS && u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return nil, errors.New("tokens: the JWKS URL must be https (http is accepted on loopback only)")
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{jwt.SigningMethodRS256.Alg()}
	}
	kty := map[string]bool{}
	for _, a := range algs {
		switch {
		case jwt.GetSigningMethod(a) == nil || a == "none":
			return nil, fmt.Errorf("tokens: algorithm %q is not supported", a)
		case strings.HasPrefix(a, "RS") || strings.HasPrefix(a, "PS"):
			kty["RSA"] = true
		case strings.HasPrefix(a, "ES"):
			kty["EC"] = true
		case a == "EdDSA":
			kty["OKP"] = true
		default:
			return nil, fmt.Errorf("tokens: algorithm %q is not a public-key algorithm", a)
		}
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.Keys == "" {
		cfg.Keys = "token signing keys"
	}
	if log == nil {
		log = zap.NewNop()
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	v := &Verifier{
		url:      cfg.JWKSURL,
		name:     (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
		what:     cfg.Keys,
		kty:      kty,
		client:   client,
		log:      log,
		life:     ctx,
		fetching: make(chan struct{}, 1),
		parser: jwt.NewParser(
			jwt.WithValidMethods(algs),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
		),
	}
	v.current(ctx, "")
	return v, nil
}

// Verify checks a token (without its "Bearer " prefix) and returns its claims. Every refusal
// wraps ErrInvalidToken; the rest of the error says which check failed, for logs, not for the
// caller.
func (v *Verifier) Verify(ctx context.Context, raw string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(raw, claims, v.keyfunc(ctx)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return claims, nil
}

// Ready is nil while signing keys are held. While none are, it fetches them itself when the
// retry backoff allows (every second at first, then up to every 30 s), within ctx: a replica
// reported not-ready receives no requests to do it, so this is what turns it ready again once the
// JWKS server answers. Otherwise it costs a lock, except once an hour, when the keys are due for a
// refresh and the probe makes it.
//
// A failed refresh while keys are held is ready: tokens still verify against the keys held, and
// the fetch is retried on the same backoff. Dropping them would turn a JWKS outage into an outage
// of everything the keys admit; the cost is that a key the issuer withdrew stays trusted until a
// fetch succeeds. A key set that arrives without a usable key does replace them, and is not ready.
func (v *Verifier) Ready(ctx context.Context) error {
	if v.current(ctx, "") == nil {
		return v.unavailable()
	}
	return nil
}

// keyfunc finds the token's key, fetching the key set first if that is due. The parser has
// checked the algorithm by then, so unsigned tokens cause no fetch.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
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
func (v *Verifier) current(ctx context.Context, kid string) keyfunc.Keyfunc {
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
func (v *Verifier) due(ctx context.Context, kid string, claim bool) (keyfunc.Keyfunc, bool) {
	if v.life.Err() != nil {
		return v.keysNow(), false
	}
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.failures > 0 && now.Before(v.retryAt):
		return v.keys, false
	case v.keys == nil, now.Sub(v.fetchedAt) >= refreshPeriod:
		return v.keys, true
	case kid != "" && now.Sub(v.unknownAt) >= unknownKIDPeriod && !holds(ctx, v.keys, kid):
		if claim {
			v.unknownAt = now
		}
		return v.keys, true
	}
	return v.keys, false
}

func (v *Verifier) keysNow() keyfunc.Keyfunc {
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

// fetch downloads the key set and records the outcome. A failure keeps the keys held (tokens
// still verify against them), except a key set without usable keys, which is what the issuer
// now publishes: then nothing is trusted.
func (v *Verifier) fetch(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
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
			v.log.Info(v.what+" fetched", zap.String("jwks_url", v.name), zap.Int("failed_fetches", v.failures))
		}
		v.keys, v.fetchedAt, v.lastErr, v.failures = keys, time.Now(), nil, 0
		return
	}
	if errors.Is(err, errNoUsableKeys) {
		v.keys = nil
	}
	v.lastErr = err
	v.failures++
	wait := min(retryMin<<min(v.failures-1, 16), retryMax)
	v.retryAt = time.Now().Add(wait)
	v.log.Warn("cannot fetch "+v.what, zap.String("jwks_url", v.name), zap.Error(err),
		zap.Bool("keys_held", v.keys != nil), zap.Int("failed_fetches", v.failures), zap.Duration("retry_in", wait))
}

func (v *Verifier) download(ctx context.Context) (keyfunc.Keyfunc, error) {
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read key set: %w", err)
	}
	if len(body) > maxKeySetBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", maxKeySetBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	// Keys that cannot verify the accepted algorithms are skipped, as keyfunc's HTTP storage
	// skipped unsupported ones, rather than failing the whole set.
	var usable []json.RawMessage
	for _, k := range set.Keys {
		if v.usable(k) {
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

func (v *Verifier) usable(raw json.RawMessage) bool {
	var k struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
	}
	if json.Unmarshal(raw, &k) != nil || !v.kty[k.Kty] || (k.Use != "" && k.Use != "sig") {
		return false
	}
	_, err := keyfunc.NewJWKJSON(raw)
	return err == nil
}

// unavailable says why no key is held, naming the JWKS URL without its credentials.
func (v *Verifier) unavailable() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.lastErr == nil {
		return fmt.Errorf("no %s from %s yet", v.what, v.name)
	}
	return fmt.Errorf("no %s from %s: last fetch: %w", v.what, v.name, v.lastErr)
}
