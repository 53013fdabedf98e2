package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callgate/callgate/auth/authtest"
	"github.com/golang-jwt/jwt/v5"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func jwtAuthenticator(t testing.TB, iss *authtest.Issuer, algs ...string) *Authenticator {
	t.Helper()
	a, err := New(Config{JWT: &JWTConfig{Issuer: authtest.IssuerName, Audience: authtest.Audience, JWKSURL: iss.JWKSURL, Algorithms: algs}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestTokens(t *testing.T) {
	iss := authtest.NewIssuer(t)
	a := jwtAuthenticator(t, iss, "RS256")
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": authtest.IssuerName, "aud": authtest.Audience, "sub": "x", "exp": time.Now().Add(time.Minute).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": authtest.IssuerName, "aud": authtest.Audience, "sub": "x", "exp": time.Now().Add(time.Minute).Unix()})
	forged.Header["kid"] = "rsa-1"
	wrongKey, _ := forged.SignedString(other)
	pub, _ := x509.MarshalPKIXPublicKey(iss.PublicRSA())
	confusion, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": authtest.IssuerName, "aud": authtest.Audience, "sub": "x", "exp": time.Now().Add(time.Minute).Unix()}).SignedString(pub)

	for _, c := range []struct {
		name  string
		token string
	}{
		{"expired", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })},
		{"not yet valid", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })},
		{"no expiry", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { delete(c, "exp") })},
		{"wrong audience", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["aud"] = "api://other" })},
		{"wrong issuer", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })},
		{"alg none", none},
		{"signed by another key", wrongKey},
		{"HS256 with the public key as secret", confusion},
		{"an algorithm not allowed", iss.Token(t, jwt.SigningMethodES256, nil)},
		{"no principal claim", iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) { delete(c, "sub") })},
		{"garbage", "a.b.c"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.Authenticate(testContext(t), Credentials{Bearer: c.token})
			if !errors.Is(err, ErrInvalidCredentials) || p != nil {
				t.Fatalf("got %v, %v; want ErrInvalidCredentials", p, err)
			}
		})
	}
	if _, err := a.Authenticate(testContext(t), Credentials{}); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}

	// A good token: its principal and the permissions of both claims, unknown ones dropped.
	good := iss.Token(t, jwt.SigningMethodRS256, func(c jwt.MapClaims) {
		c["scp"] = "calls.read calls.create something.else"
		c["roles"] = []any{"calls.control", 42}
	})
	p, err := a.Authenticate(testContext(t), Credentials{Bearer: good})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "svc-1" || p.Via != "jwt" || p.PermissionList() != "calls.read,calls.create,calls.control" {
		t.Errorf("principal %+v perms %s", p, p.PermissionList())
	}

	// ES256, when allowed, with the issuer's EC key.
	es := jwtAuthenticator(t, iss, "ES256")
	if _, err := es.Authenticate(testContext(t), Credentials{Bearer: iss.Token(t, jwt.SigningMethodES256, nil)}); err != nil {
		t.Errorf("ES256 token: %v", err)
	}
}

// The JWKS URL must be https except on loopback.
func TestJWKSURLMustBeHTTPS(t *testing.T) {
	_, err := New(Config{JWT: &JWTConfig{Issuer: authtest.IssuerName, Audience: authtest.Audience, JWKSURL: "http://keys.example/jwks"}})
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("http JWKS URL off loopback: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	line, err := KeyLine("k1", "billing", []string{PermCallsCreate, PermCallsRead})
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "# keys\n"+line+"  # a comment\n\nprincipal:spiffe://cluster/ns/ivr/sa/agent calls.answer\n")
	if strings.Contains(readFile(t, path), "k1 ") {
		t.Fatal("the key itself is in the file")
	}
	a, err := New(Config{APIKeysFile: path, ClientCertificates: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	p, err := a.Authenticate(testContext(t), Credentials{Bearer: "k1"})
	if err != nil || p.Name != "billing" || p.Via != "api-key" || !p.Has(PermCallsCreate) || p.Has(PermCallsControl) {
		t.Fatalf("key k1: %+v %v", p, err)
	}
	cert := &x509.Certificate{URIs: []*url.URL{{Scheme: "spiffe", Host: "cluster", Path: "/ns/ivr/sa/agent"}}}
	if p, err := a.Authenticate(testContext(t), Credentials{Certificate: cert}); err != nil || p.Name != "spiffe://cluster/ns/ivr/sa/agent" || !p.Has(PermCallsAnswer) {
		t.Fatalf("certificate: %+v %v", p, err)
	}

	// Rotated: a new key replaces the old once the file changes.
	line2, _ := KeyLine("k2", "billing", []string{PermCallsRead})
	rewrite(t, path, line2+"\n")
	waitFor(t, func() bool { _, err := a.Authenticate(testContext(t), Credentials{Bearer: "k2"}); return err == nil })
	if _, err := a.Authenticate(testContext(t), Credentials{Bearer: "k1"}); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("the removed key still works: %v", err)
	}
	// A file that stops parsing keeps the last good keys.
	// (Nothing announces a check that changed nothing: the keys are tried across two checks.)
	rewrite(t, path, "sha256:nothex billing calls.read\n")
	deadline := time.After(2*keyFileCheck + 100*time.Millisecond)
	for done := false; !done; {
		if _, err := a.Authenticate(testContext(t), Credentials{Bearer: "k2"}); err != nil {
			t.Fatalf("a broken file dropped the good keys: %v", err)
		}
		select {
		case <-deadline:
			done = true
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestKeyFileErrorsNameTheLine(t *testing.T) {
	for content, want := range map[string]string{
		"sha256:00 p calls.read\n":                                   "line 1",
		"\n\nsha256:" + strings.Repeat("0", 64) + " p calls.write\n": "line 3",
		"ssh-rsa AAAA p calls.read\n":                                "line 1",
		"principal: calls.read\n":                                    "line 1",
	} {
		if _, err := New(Config{APIKeysFile: writeFile(t, content)}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %s", content, err, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rewrite replaces a file's content with a new modification time, as a Secret update does.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond (a file's reload has no event to wait on) within a bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx := testContext(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("the condition never held")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
