package auth

import (
	"strings"
	"testing"

	"github.com/callgate/callgate/auth/authtest"
	"github.com/golang-jwt/jwt/v5"
)

func FuzzParseKeyFile(f *testing.F) {
	line, _ := KeyLine("k", "p", []string{PermCallsRead, PermCallsCreate})
	f.Add([]byte(line + "\n"))
	f.Add([]byte("# c\nprincipal:spiffe://x/y calls.answer\n"))
	f.Add([]byte("sha256:" + strings.Repeat("a", 64) + " p calls.read,calls.read\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, principals, err := parseKeyFile(data)
		if err != nil {
			return
		}
		for _, g := range keys {
			for _, p := range g.perms {
				if !isPermission(p) {
					t.Fatalf("permission %q accepted", p)
				}
			}
		}
		for name, perms := range principals {
			if name == "" || len(perms) == 0 {
				t.Fatalf("grant %q %v", name, perms)
			}
		}
	})
}

// Whatever a bearer credential holds, it is never admitted unless it is a valid token.
func FuzzBearer(f *testing.F) {
	iss := authtest.NewIssuer(f)
	a := jwtAuthenticator(f, iss, "RS256", "ES256")
	good := iss.Token(f, jwt.SigningMethodRS256, nil)
	f.Add(good)
	f.Add(good[:len(good)-2])
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := a.Authenticate(testContext(t), Credentials{Bearer: token})
		if err == nil && (token != good || p.Name != "svc-1") {
			t.Fatalf("%q admitted as %+v", token, p)
		}
	})
}
