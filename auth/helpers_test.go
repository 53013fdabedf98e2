package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://issuer.example"
	testAudience = "api://callgate"
)

// issuer signs tokens with an RSA and an EC key, and publishes both at a real JWKS URL.
type issuer struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks *httptest.Server
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "use": "sig", "kid": "rsa-1", "alg": "RS256", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
		{"kty": "EC", "use": "sig", "kid": "ec-1", "alg": "ES256", "crv": "P-256", "x": b64(ek.X.FillBytes(make([]byte, 32))), "y": b64(ek.Y.FillBytes(make([]byte, 32)))},
	}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return &issuer{rsa: rk, ec: ek, jwks: srv}
}

// token is a token for the test audience from the test issuer, changed by mod.
func (i *issuer) token(t testing.TB, method jwt.SigningMethod, mod func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "sub": "svc-1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if mod != nil {
		mod(claims)
	}
	tok := jwt.NewWithClaims(method, claims)
	var key crypto.PrivateKey = i.rsa
	tok.Header["kid"] = "rsa-1"
	if strings.HasPrefix(method.Alg(), "ES") {
		key, tok.Header["kid"] = i.ec, "ec-1"
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
