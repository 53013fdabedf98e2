package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// callbackTokenLifetime is the validity of a callback bearer token, as for the
// service's tokens.
const callbackTokenLifetime = 5 * time.Minute

// tokenSigner signs the bearer token of each callback delivery with an RSA key
// made at start-up and published as a JWKS at /calling/keys.
type tokenSigner struct {
	key *rsa.PrivateKey
	kid string
}

func newTokenSigner(key *rsa.PrivateKey) (*tokenSigner, error) {
	if key == nil {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generating callback signing key: %w", err)
		}
	}
	der := key.PublicKey.N.Bytes()
	sum := sha256.Sum256(der)
	return &tokenSigner{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:16])}, nil
}

// sign makes a new token for one delivery attempt.
func (s *tokenSigner) sign(issuer, audience string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss": issuer,
		"aud": audience,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(callbackTokenLifetime).Unix(),
		"jti": newUUID(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("signing callback token: %w", err)
	}
	return signed, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwks struct {
	Keys []jwk `json:"keys"`
}

func (s *tokenSigner) jwks() jwks {
	pub := s.key.PublicKey
	return jwks{Keys: []jwk{{
		Kty: "RSA",
		Use: "sig",
		Kid: s.kid,
		Alg: "RS256",
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// openIDConfiguration is the document the service publishes at
// /calling/.well-known/acsopenidconfiguration.
type openIDConfiguration struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
}
