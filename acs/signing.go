package acs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// HMAC scheme details shared by every ACS data-plane API.
const (
	// SignedHeaders lists the headers covered by the signature, in order.
	SignedHeaders = "x-ms-date;host;x-ms-content-sha256"
	// hmacAuthPrefix precedes the signature in the Authorization header.
	hmacAuthPrefix = "HMAC-SHA256 SignedHeaders=" + SignedHeaders + "&Signature="
)

// ContentHash returns base64(sha256(body)), the x-ms-content-sha256 value.
func ContentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// StringToSign returns the text the HMAC covers:
// METHOD \n path-and-query \n date;host;content-hash. pathAndQuery is the
// request target exactly as sent, escaped (r.URL.RequestURI() on a server),
// and host includes the port when the URL has one.
func StringToSign(method, pathAndQuery, host, date, contentHash string) string {
	return method + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash
}

// ComputeSignature returns base64(HMAC-SHA256(key, StringToSign(...))). key
// is the decoded access key.
func ComputeSignature(key []byte, method, pathAndQuery, host, date, contentHash string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(StringToSign(method, pathAndQuery, host, date, contentHash)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// AuthorizationHeader returns the Authorization value carrying signature.
func AuthorizationHeader(signature string) string {
	return hmacAuthPrefix + signature
}

// VerifyRequest checks the HMAC of a request received by a server: the
// content hash must match body and the Authorization header must carry the
// signature of METHOD, r.URL.RequestURI(), x-ms-date, r.Host and the hash.
// The error names the failing part, never the key or the expected signature.
func VerifyRequest(key []byte, r *http.Request, body []byte) error {
	date := r.Header.Get("x-ms-date")
	hash := r.Header.Get("x-ms-content-sha256")
	if date == "" || hash == "" {
		return errors.New("acs: missing x-ms-date or x-ms-content-sha256 header")
	}
	if !hmac.Equal([]byte(hash), []byte(ContentHash(body))) {
		return errors.New("acs: x-ms-content-sha256 does not match the body")
	}
	sig, ok := strings.CutPrefix(r.Header.Get("Authorization"), hmacAuthPrefix)
	if !ok {
		return errors.New("acs: Authorization is not an HMAC-SHA256 header over " + SignedHeaders)
	}
	want := ComputeSignature(key, r.Method, r.URL.RequestURI(), r.Host, date, hash)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return errors.New("acs: HMAC signature mismatch")
	}
	return nil
}
