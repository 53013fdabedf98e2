// Package authtest is a token issuer for tests: it signs JWTs with an RSA and an EC key and
// publishes both at a real JWKS URL on loopback.
package authtest

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
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The issuer and audience of the tokens Issuer signs.
const (
	IssuerName = "https://issuer.example"
	Audience   = "api://callgate"
)

// Issuer signs tokens with an RSA and an EC key, and publishes both at JWKSURL.
type Issuer struct {
	// JWKSURL serves the public keys (kid rsa-1, ec-1).
	JWKSURL string
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
}

// NewIssuer starts an issuer until the test ends.
func NewIssuer(t testing.TB) *Issuer {
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
	return &Issuer{JWKSURL: srv.URL, rsa: rk, ec: ek}
}

// PublicRSA is the issuer's RSA public key (to forge tokens with it as an HMAC secret).
func (i *Issuer) PublicRSA() *rsa.PublicKey { return &i.rsa.PublicKey }

// Token is a token for Audience from IssuerName with subject svc-1, valid for five minutes,
// changed by mod, signed with the RSA key (RS*, PS*) or the EC key (ES*).
func (i *Issuer) Token(t testing.TB, method jwt.SigningMethod, mod func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": IssuerName, "aud": Audience, "sub": "svc-1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
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
