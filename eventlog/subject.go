package eventlog

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// encodedMark starts every encoded token. It is outside the alphabet of
// tokens kept verbatim (and of base64url), so the mapping stays injective.
const encodedMark = '~'

// maxTokenInput bounds IDs so subjects stay well under NATS' control line limit.
const maxTokenInput = 1024

// checkKey refuses a call ID (or called identity) that cannot become a subject token.
func checkKey(what, id string) error {
	switch {
	case id == "":
		return invalidArg("empty %s", what)
	case len(id) > maxTokenInput:
		return invalidArg("%s longer than %d bytes", what, maxTokenInput)
	}
	return nil
}

// subjectToken maps an arbitrary ID to one valid NATS subject token. IDs made
// only of [A-Za-z0-9_-] (ACS call connection IDs are UUIDs) are kept as they
// are, so operators can read subjects; anything else, including the empty
// string, becomes "~" + base64url without padding.
func subjectToken(id string) string {
	if id != "" && isPlainToken(id) {
		return id
	}
	return string(encodedMark) + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// tokenID reverses subjectToken.
func tokenID(token string) (string, error) {
	if !strings.HasPrefix(token, string(encodedMark)) {
		if token == "" || !isPlainToken(token) {
			return "", fmt.Errorf("eventlog: malformed subject token %q", token)
		}
		return token, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token[1:])
	if err != nil {
		return "", fmt.Errorf("eventlog: malformed subject token %q: %w", token, err)
	}
	return string(b), nil
}

func isPlainToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
