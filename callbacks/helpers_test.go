package callbacks

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const (
	testTimeout  = 30 * time.Second
	testSecret   = "s3cret-callback-token"
	testIssuer   = "https://issuer.test"
	testAudience = "resource-immutable-id"
	testKeyID    = "key-1"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// signer issues ACS-like callback tokens and publishes its public key as a JWKS over HTTP.
type signer struct {
	key     *rsa.PrivateKey
	jwksURL string
}

func newSigner(t *testing.T) *signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": testKeyID,
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jwks)
	}))
	t.Cleanup(srv.Close)
	return &signer{key: key, jwksURL: srv.URL}
}

func (s *signer) token(t *testing.T, mod func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if mod != nil {
		mod(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = testKeyID
	signed, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// fixture is the handler on a real HTTP server, appending to a real embedded event log.
type fixture struct {
	log    *eventlog.Log
	srv    *httptest.Server
	signer *signer
	// logs has every line the handler logged at Warn and above.
	logs *observer.ObservedLogs
}

func newFixture(t *testing.T, withJWT bool) *fixture {
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
	f := &fixture{log: l, logs: logs}
	cfg := Config{Secret: testSecret, Logger: zl, MaxBodyBytes: 64 << 10}
	if withJWT {
		f.signer = newSigner(t)
		cfg.JWT = &JWTConfig{JWKSURL: f.signer.jwksURL, Issuer: testIssuer, Audience: testAudience}
	}
	h, err := New(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) callsURL() string {
	return f.srv.URL + CallsPath + "?token=" + testSecret
}

func (f *fixture) post(t *testing.T, url, contentType, bearer, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}

// readCall reads n events of a call from the log, from its first.
func (f *fixture) readCall(t *testing.T, callID string, n int) []*callgatev1.CallEvent {
	t.Helper()
	ctx := testContext(t)
	w, err := f.log.WatchCall(ctx, callID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	var out []*callgatev1.CallEvent
	for len(out) < n {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events of %s: %v", len(out), n, callID, err)
		}
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			t.Fatal(err)
		}
		ev.Sequence = e.Seq
		out = append(out, ev)
	}
	return out
}

// readIncoming reads n incoming calls from the log, from the first.
func (f *fixture) readIncoming(t *testing.T, n int) []*callgatev1.IncomingCall {
	t.Helper()
	ctx := testContext(t)
	w, err := f.log.WatchIncoming(ctx, eventlog.IncomingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	var out []*callgatev1.IncomingCall
	for len(out) < n {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d incoming calls: %v", len(out), n, err)
		}
		c := &callgatev1.IncomingCall{}
		if err := proto.Unmarshal(e.Payload, c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// event builds one CloudEvent of a call as ACS posts it.
func event(id, callID, typ string, data map[string]any) map[string]any {
	d := map[string]any{"callConnectionId": callID, "serverCallId": "c2VydmVy", "correlationId": "corr-" + callID,
		"version": "2026-03-12", "publicEventType": "Microsoft.Communication." + typ}
	for k, v := range data {
		d[k] = v
	}
	return map[string]any{
		"id": id, "source": "calling/callConnections/" + callID, "subject": "calling/callConnections/" + callID,
		"type": "Microsoft.Communication." + typ, "specversion": "1.0", "datacontenttype": "application/json",
		"time": "2026-11-25T10:00:00.1234567+00:00", "data": d,
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
