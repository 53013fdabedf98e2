package service

import (
	"crypto/rand"
	"encoding/hex"
)

// newUUIDv4 returns a random (version 4) UUID, for operation contexts the gateway makes up.
func newUUIDv4() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// isCanonicalUUID reports whether s is a UUID in its 8-4-4-4-12 hex form, the only form ACS takes as a
// Repeatability-Request-ID.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// operationContextFor is the operation context sent for an operation whose outcome events must be
// matched to it: the caller's, or one the gateway makes up, as the official SDKs do for a
// transfer. With a request_id it is the request_id itself, so that a retry sends the same body:
// ACS answers a repeated Repeatability-Request-ID with a different body with 409.
func operationContextFor(given, requestID string) string {
	switch {
	case given != "":
		return given
	case requestID != "":
		return requestID
	}
	return newUUIDv4()
}
