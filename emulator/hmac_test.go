package emulator

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wireRequest is one recorded SDK request of testdata/sdk-wire.
type wireRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"rawBody"`
}

var wireKey = []byte("emulator-access-key-0123456789")

func loadWire(t *testing.T) map[string]wireRequest {
	t.Helper()
	files, err := filepath.Glob("testdata/sdk-wire/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sdk-wire vectors: %v", err)
	}
	out := map[string]wireRequest{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w wireRequest
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = w
	}
	return out
}

func (w wireRequest) request(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(w.Method, "http://"+w.Headers["host"]+w.URL, strings.NewReader(w.RawBody))
	if err != nil {
		t.Fatal(err)
	}
	r.Host = w.Headers["host"]
	for k, v := range w.Headers {
		r.Header.Set(k, v)
	}
	// What a Go server sees: RequestURI is the request line's target.
	r.RequestURI = w.URL
	return r
}

func (w wireRequest) date(t *testing.T) time.Time {
	d, err := http.ParseTime(w.Headers["x-ms-date"])
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestVerifyHMACAcceptsEverySDKRequest(t *testing.T) {
	for name, w := range loadWire(t) {
		t.Run(name, func(t *testing.T) {
			if err := verifyHMAC(w.request(t), []byte(w.RawBody), wireKey, w.date(t)); err != nil {
				t.Fatalf("recorded SDK request rejected: %v", err)
			}
		})
	}
}

func TestSignRequestMatchesSDK(t *testing.T) {
	for name, w := range loadWire(t) {
		t.Run(name, func(t *testing.T) {
			r := w.request(t)
			r.Header.Del("Authorization")
			signRequest(r, []byte(w.RawBody), wireKey, w.date(t))
			if got := r.Header.Get("Authorization"); got != w.Headers["authorization"] {
				t.Fatalf("test signer disagrees with the SDK:\n got %s\nwant %s", got, w.Headers["authorization"])
			}
		})
	}
}

func TestVerifyHMACRejects(t *testing.T) {
	w := loadWire(t)["getParticipant"] // escaped raw ID in the path
	at := w.date(t)
	cases := map[string]struct {
		mutate func(r *http.Request) ([]byte, []byte, time.Time)
	}{
		"wrong key": {func(r *http.Request) ([]byte, []byte, time.Time) {
			return nil, []byte("another-key"), at
		}},
		"date 16 minutes late": {func(r *http.Request) ([]byte, []byte, time.Time) {
			return nil, wireKey, at.Add(16 * time.Minute)
		}},
		"date 16 minutes early": {func(r *http.Request) ([]byte, []byte, time.Time) {
			return nil, wireKey, at.Add(-16 * time.Minute)
		}},
		"body changed": {func(r *http.Request) ([]byte, []byte, time.Time) {
			return []byte("{}"), wireKey, at
		}},
		"decoded path signed": {func(r *http.Request) ([]byte, []byte, time.Time) {
			r.URL.RawPath = ""
			r.URL.Path = "/calling/callConnections/conn-1/participants/8:acs:p"
			return nil, wireKey, at
		}},
		"other host": {func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Host = "127.0.0.1:1"
			return nil, wireKey, at
		}},
		"no authorization": {func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Del("Authorization")
			return nil, wireKey, at
		}},
		"bearer token": {func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set("Authorization", "Bearer abc")
			return nil, wireKey, at
		}},
		"signed headers without host": {func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-ms-date;host;", "x-ms-date;", 1))
			return nil, wireKey, at
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := w.request(t)
			body, key, now := tc.mutate(r)
			if body == nil {
				body = []byte(w.RawBody)
			}
			if err := verifyHMAC(r, body, key, now); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("14 minutes of skew is fine", func(t *testing.T) {
		if err := verifyHMAC(w.request(t), []byte(w.RawBody), wireKey, at.Add(14*time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}
