package callbacks

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestCallbackAuthentication(t *testing.T) {
	f := newFixture(t, true)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "exp": time.Now().Add(time.Minute).Unix()})
		tok.Header["kid"] = testKeyID // claims the real key, signed by another
		s, err := tok.SignedString(otherKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	unsigned := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "exp": time.Now().Add(time.Minute).Unix()}).
			SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := func() string {
		parts := strings.Split(f.signer.token(t, nil), ".")
		parts[1] = strings.TrimRight(parts[1], "A") + "B"
		return strings.Join(parts, ".")
	}
	cases := []struct {
		name   string
		url    string
		bearer string
	}{
		{"forged signature", f.callsURL(), forged()},
		{"expired", f.callsURL(), f.signer.token(t, func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(-time.Hour).Unix()
			c["exp"] = time.Now().Add(-55 * time.Minute).Unix()
		})},
		{"wrong audience", f.callsURL(), f.signer.token(t, func(c jwt.MapClaims) { c["aud"] = "another-resource" })},
		{"wrong issuer", f.callsURL(), f.signer.token(t, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })},
		{"no expiry", f.callsURL(), f.signer.token(t, func(c jwt.MapClaims) { delete(c, "exp") })},
		{"unsigned (alg none)", f.callsURL(), unsigned()},
		{"tampered claims", f.callsURL(), tampered()},
		{"no token", f.callsURL(), ""},
		{"valid token, wrong secret", f.srv.URL + CallsPath + "?token=guess", f.signer.token(t, nil)},
		{"valid token, no secret", f.srv.URL + CallsPath, f.signer.token(t, nil)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := mustJSON(t, []any{event("rejected-"+string(rune('a'+i)), "call-auth", "CallConnected", nil)})
			if resp := f.post(t, c.url, "application/json", c.bearer, body); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("POST = %d, want 401", resp.StatusCode)
			}
		})
	}
	// A valid delivery after all of them: it must be the call's first and only event, proving the
	// rejected ones never reached the log.
	if resp := f.post(t, f.callsURL(), "application/json", f.signer.token(t, nil), mustJSON(t, []any{event("accepted", "call-auth", "CallConnected", nil)})); resp.StatusCode != http.StatusOK {
		t.Fatalf("valid POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-auth", 1)
	if got[0].GetId() != "accepted" {
		t.Errorf("first stored event is %q: a rejected callback was stored", got[0].GetId())
	}
}

func TestSecretOnlyAuthentication(t *testing.T) {
	f := newFixture(t, false)
	if resp := f.post(t, f.srv.URL+CallsPath+"?token=nope", "application/json", "", mustJSON(t, []any{event("x", "c", "CallConnected", nil)})); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", resp.StatusCode)
	}
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{event("y", "c", "CallConnected", nil)})); resp.StatusCode != http.StatusOK {
		t.Errorf("right secret: %d, want 200", resp.StatusCode)
	}
}

func TestNewRefusesNoAuthentication(t *testing.T) {
	if _, err := New(Config{}, nil); err == nil {
		t.Fatal("a handler that accepts anyone was built")
	}
}

func TestCallbackURLCarriesTheSecret(t *testing.T) {
	h, err := New(Config{Secret: "a b&c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := h.CallbackURL("https://gw.example/"); got != "https://gw.example/callbacks/calls?token=a+b%26c" {
		t.Errorf("CallbackURL = %s", got)
	}
	if got := h.EventGridURL("https://gw.example"); got != "https://gw.example/callbacks/eventgrid?token=a+b%26c" {
		t.Errorf("EventGridURL = %s", got)
	}
}

// With JWT verification only (no secret), Event Grid deliveries have no credential at all: they
// are refused, handshake included.
func TestEventGridNeedsTheSecret(t *testing.T) {
	f := newFixture(t, true)
	h, err := New(Config{JWT: &JWTConfig{JWKSURL: f.signer.jwksURL, Issuer: testIssuer, Audience: testAudience}}, f.log)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	validation := `[{"id":"v","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"c"}}]`
	if resp := f.post(t, srv.URL+EventGridPath, "application/json", "", validation); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Event Grid POST without a configured secret = %d, want 401", resp.StatusCode)
	}
}
