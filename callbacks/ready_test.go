package callbacks

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/callgate/callgate/eventlog"
)

func TestReadyWithoutJWT(t *testing.T) {
	h, err := New(Config{Secret: testSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Ready(testContext(t)); err != nil {
		t.Fatalf("Ready with JWT verification off: %v", err)
	}
}

// TestReadyWaitsForSigningKeys: the JWKS server is down when the handler starts. The handler is
// not ready, names the JWKS URL without its credentials, and refuses a validly signed callback;
// once the server is up, Ready turns nil by itself (no restart) and the callback is accepted.
func TestReadyWaitsForSigningKeys(t *testing.T) {
	s := newSigner(t)
	addr := unusedAddr(t)
	f, h := newJWKSFixture(t, s, "http://user:hunter2@"+addr+"/keys?sig=topsecret")
	ctx := testContext(t)

	err := h.Ready(ctx)
	if err == nil {
		t.Fatal("ready without signing keys")
	}
	msg := err.Error()
	if !strings.Contains(msg, "http://"+addr+"/keys") || strings.Contains(msg, "hunter2") || strings.Contains(msg, "topsecret") {
		t.Fatalf("Ready error %q: want the JWKS URL without its credentials and query", msg)
	}
	body := mustJSON(t, []any{event("before-keys", "call-keys", "CallConnected", nil)})
	if resp := f.post(t, f.callsURL(), "application/json", s.token(t, nil), body); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("callback without signing keys: %d, want 401", resp.StatusCode)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("JWKS server on %s: %v", addr, err)
	}
	jwks := httptest.NewUnstartedServer(serveJWKS(&s.key.PublicKey, testKeyID))
	jwks.Listener.Close()
	jwks.Listener = ln
	jwks.Start()
	t.Cleanup(jwks.Close)

	// Ready announces nothing: poll it, as a probe would.
	for err = h.Ready(ctx); err != nil; err = h.Ready(ctx) {
		if ctx.Err() != nil {
			t.Fatalf("still not ready with the JWKS server up: %v", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	body = mustJSON(t, []any{event("after-keys", "call-keys", "CallConnected", nil)})
	if resp := f.post(t, f.callsURL(), "application/json", s.token(t, nil), body); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback with signing keys: %d, want 200", resp.StatusCode)
	}
	if got := f.readCall(t, "call-keys", 1); got[0].GetId() != "after-keys" {
		t.Fatalf("stored %q, want only the callback accepted after the keys came", got[0].GetId())
	}
}

// TestReadyKeepsKeysWhenJWKSGoesDown: once keys are held, a failed refresh (here one forced by a
// token naming a key not held, with the JWKS server gone) leaves the handler ready and verifying.
func TestReadyKeepsKeysWhenJWKSGoesDown(t *testing.T) {
	s := newSigner(t)
	jwks := httptest.NewServer(serveJWKS(&s.key.PublicKey, testKeyID))
	f, h := newJWKSFixture(t, s, jwks.URL)
	ctx := testContext(t)
	if err := h.Ready(ctx); err != nil {
		t.Fatalf("Ready with the JWKS server up: %v", err)
	}
	jwks.Close()

	if resp := f.post(t, f.callsURL(), "application/json", otherKeyToken(t, "rotated"), mustJSON(t, []any{event("unknown-kid", "call-down", "CallConnected", nil)})); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token naming an unknown key: %d, want 401", resp.StatusCode)
	}
	failed := f.logs.FilterMessage("cannot fetch callback signing keys").All()
	if len(failed) == 0 || failed[len(failed)-1].ContextMap()["keys_held"] != true {
		t.Fatalf("after a refresh with the JWKS server down: %v; want a failed fetch with the keys kept", failed)
	}
	if err := h.Ready(ctx); err != nil {
		t.Fatalf("Ready with keys held and the JWKS server down: %v", err)
	}
	if resp := f.post(t, f.callsURL(), "application/json", s.token(t, nil), mustJSON(t, []any{event("cached-key", "call-down", "CallConnected", nil)})); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback signed with a held key: %d, want 200", resp.StatusCode)
	}
	if got := f.readCall(t, "call-down", 1); got[0].GetId() != "cached-key" {
		t.Fatalf("stored %q first", got[0].GetId())
	}
}

// TestCloseAbortsKeyFetch: a key fetch in flight (a callback naming an unknown key, the JWKS
// server hanging) ends when the handler closes, rather than outliving it until its timeout.
func TestCloseAbortsKeyFetch(t *testing.T) {
	s := newSigner(t)
	keys := serveJWKS(&s.key.PublicKey, testKeyID)
	hanging := make(chan struct{}, 1)
	var served atomic.Bool
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.CompareAndSwap(false, true) { // New's fetch
			keys.ServeHTTP(w, r)
			return
		}
		hanging <- struct{}{}
		<-r.Context().Done()
	}))
	defer jwks.Close()
	f, h := newJWKSFixture(t, s, jwks.URL)
	ctx := testContext(t)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.callsURL(), strings.NewReader(mustJSON(t, []any{event("x", "call-close", "CallConnected", nil)})))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+otherKeyToken(t, "rotated"))
	status := make(chan int, 1) // 0: the request failed
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		_ = resp.Body.Close()
		status <- resp.StatusCode
	}()
	select {
	case <-hanging:
	case <-ctx.Done():
		t.Fatal("the callback never fetched the keys")
	}
	h.Close()
	select {
	case code := <-status:
		if code != http.StatusUnauthorized {
			t.Fatalf("callback whose key fetch was aborted: %d, want 401", code)
		}
	case <-ctx.Done():
		t.Fatal("the key fetch outlived Close")
	}
	// Aborted by Close, not timed out: a timeout would have been recorded as a failed fetch.
	if n := f.logs.FilterMessage("cannot fetch callback signing keys").Len(); n != 0 {
		t.Fatalf("%d failed fetches recorded; the fetch should have been aborted by Close", n)
	}
}

// newJWKSFixture is newFixture with the signing keys at jwksURL.
func newJWKSFixture(t *testing.T, s *signer, jwksURL string) (*fixture, *Handler) {
	t.Helper()
	core, logs := observer.New(zap.WarnLevel)
	zl := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel), zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewTee(c, core)
	})))
	l, err := eventlog.Open(testContext(t), eventlog.Config{DataDir: t.TempDir(), ServerName: strings.ReplaceAll(t.Name(), "/", "-"), Logger: zl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	h, err := New(Config{Secret: testSecret, Logger: zl, JWT: &JWTConfig{JWKSURL: jwksURL, Issuer: testIssuer, Audience: testAudience}}, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{log: l, srv: srv, signer: s, logs: logs}, h
}

// serveJWKS publishes one RSA public key as ACS publishes its signing keys.
func serveJWKS(pub *rsa.PublicKey, kid string) http.Handler {
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})
}

// otherKeyToken is a valid-looking token naming kid, signed by a key the JWKS does not hold.
func otherKeyToken(t *testing.T, kid string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// unusedAddr is a loopback address nothing listens on (until the test does).
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
