package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxClockSkew is how far x-ms-date may be from the emulator's clock, as for
// the service.
const maxClockSkew = 15 * time.Minute

const hmacScheme = "HMAC-SHA256 "

// verifyHMAC checks a request signed the way the Communication SDKs sign:
//
//	string-to-sign = METHOD + "\n" + path-and-query + "\n" + values of SignedHeaders joined by ";"
//	Authorization  = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64(HMAC-SHA256(key, string-to-sign))
//
// The path and query are r.URL.RequestURI(): the escaped form the client
// signed (a participant raw ID arrives as 8%3Aacs%3A...), never the decoded
// path. "host" is r.Host with its port. The returned error says why for the
// debug log; it never contains the key or the signature.
func verifyHMAC(r *http.Request, body, key []byte, now time.Time) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errors.New("no Authorization header")
	}
	if !strings.HasPrefix(auth, hmacScheme) {
		return errors.New("authorization scheme is not HMAC-SHA256")
	}
	var signedHeaders, signature string
	for _, part := range strings.Split(strings.TrimPrefix(auth, hmacScheme), "&") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return errors.New("malformed Authorization parameter")
		}
		switch name {
		case "SignedHeaders":
			signedHeaders = value
		case "Signature":
			signature = value
		}
	}
	if signedHeaders == "" || signature == "" {
		return errors.New("authorization lacks SignedHeaders or Signature")
	}
	names := strings.Split(strings.ToLower(signedHeaders), ";")
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	if !has["host"] || !has["x-ms-content-sha256"] || !(has["x-ms-date"] || has["date"]) {
		return errors.New("SignedHeaders must cover host, x-ms-content-sha256 and x-ms-date")
	}

	sum := sha256.Sum256(body)
	wantHash := base64.StdEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("x-ms-content-sha256")), []byte(wantHash)) != 1 {
		return errors.New("x-ms-content-sha256 does not match the body")
	}

	dateValue := r.Header.Get("x-ms-date")
	if dateValue == "" {
		dateValue = r.Header.Get("Date")
	}
	date, err := http.ParseTime(dateValue)
	if err != nil {
		return fmt.Errorf("unparseable x-ms-date: %w", err)
	}
	if skew := now.Sub(date); skew > maxClockSkew || skew < -maxClockSkew {
		return fmt.Errorf("x-ms-date is %s away from the emulator clock", skew.Round(time.Second))
	}

	values := make([]string, len(names))
	for i, n := range names {
		if n == "host" {
			values[i] = r.Host
			continue
		}
		values[i] = r.Header.Get(n)
	}
	toSign := r.Method + "\n" + r.URL.RequestURI() + "\n" + strings.Join(values, ";")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	want := mac.Sum(nil)
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return errors.New("signature is not base64")
	}
	if !hmac.Equal(got, want) {
		return errors.New("signature does not match")
	}
	return nil
}
