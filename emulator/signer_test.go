package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// signRequest signs r the way the Communication SDKs do, written from the
// recipe in sdk-wire/README.md rather than from hmac.go, and checked against
// the recorded SDK requests in TestSignRequestMatchesSDK.
func signRequest(r *http.Request, body, key []byte, date time.Time) {
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	d := date.UTC().Format(http.TimeFormat)
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	toSign := r.Method + "\n" + r.URL.RequestURI() + "\n" + d + ";" + host + ";" + hash
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	r.Header.Set("x-ms-date", d)
	r.Header.Set("x-ms-content-sha256", hash)
	r.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+
		base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
