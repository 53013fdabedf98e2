package acs_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callgate/callgate/acs"
)

// Every sdk-wire file is an HMAC test vector: the package must reproduce the
// SDK's content hash, signature and Authorization header exactly.
func TestSignatureMatchesSDKWireVectors(t *testing.T) {
	key := wireKey(t)
	names := wireFiles(t)
	if len(names) < 20 {
		t.Fatalf("only %d sdk-wire files found", len(names))
	}
	for _, name := range names {
		if contentSigning(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			w := loadWire(t, name)
			h := w.Headers
			hash := acs.ContentHash([]byte(w.RawBody))
			if hash != h["x-ms-content-sha256"] {
				t.Errorf("ContentHash = %s, SDK sent %s", hash, h["x-ms-content-sha256"])
			}
			sig := acs.ComputeSignature(key, w.Method, w.URL, h["host"], h["x-ms-date"], h["x-ms-content-sha256"])
			if got := acs.AuthorizationHeader(sig); got != h["authorization"] {
				t.Errorf("Authorization = %s\nSDK sent        %s", got, h["authorization"])
			}

			// The server-side check accepts the SDK's request as recorded.
			r := httptest.NewRequest(w.Method, "http://"+h["host"]+w.URL, strings.NewReader(w.RawBody))
			for k, v := range h {
				r.Header.Set(k, v)
			}
			if err := acs.VerifyRequest(key, r, []byte(w.RawBody)); err != nil {
				t.Errorf("VerifyRequest: %v", err)
			}
			r.Host = "127.0.0.1:1" // another port must break the signature
			if err := acs.VerifyRequest(key, r, []byte(w.RawBody)); err == nil {
				t.Error("VerifyRequest accepted a request for another host:port")
			}
		})
	}
}

func TestStringToSignUsesEscapedTarget(t *testing.T) {
	w := loadWire(t, "getParticipant.json")
	if !strings.Contains(w.URL, "8%3Aacs%3Ap") {
		t.Fatalf("reference URL %q is not escaped", w.URL)
	}
	key := wireKey(t)
	h := w.Headers
	escaped := acs.ComputeSignature(key, w.Method, w.URL, h["host"], h["x-ms-date"], h["x-ms-content-sha256"])
	decoded := acs.ComputeSignature(key, w.Method, strings.ReplaceAll(w.URL, "%3A", ":"), h["host"], h["x-ms-date"], h["x-ms-content-sha256"])
	if acs.AuthorizationHeader(escaped) != h["authorization"] {
		t.Error("the escaped target does not reproduce the SDK signature")
	}
	if escaped == decoded {
		t.Error("signing the decoded path gives the same signature; the test proves nothing")
	}
}
