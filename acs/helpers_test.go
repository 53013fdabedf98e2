package acs_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/callgate/callgate/acs"
)

// The sdk-wire README's connection string key: base64 of
// "emulator-access-key-0123456789".
const wireAccessKey = "ZW11bGF0b3ItYWNjZXNzLWtleS0wMTIzNDU2Nzg5"

// specDir is the shared reference material, beside the repository.
var specDir = filepath.Join("..", "..", "shared", "spec", "callautomation")

// wireFile is one request recorded from the official JS SDK.
type wireFile struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"rawBody"`
}

func loadWire(t testing.TB, name string) wireFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(specDir, "sdk-wire", name))
	if err != nil {
		t.Fatalf("reading sdk-wire file: %v", err)
	}
	var w wireFile
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return w
}

func wireFiles(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(specDir, "sdk-wire", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sdk-wire files under %s (err %v)", specDir, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

// exampleBody returns the response body of status in an OpenAPI example.
func exampleBody(t testing.TB, name string, status int) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(specDir, "2026-03-12", "examples", name))
	if err != nil {
		t.Fatalf("reading example: %v", err)
	}
	var ex struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &ex); err != nil {
		t.Fatalf("parsing example %s: %v", name, err)
	}
	r, ok := ex.Responses[fmt.Sprint(status)]
	if !ok {
		t.Fatalf("example %s has no %d response", name, status)
	}
	return r.Body
}

func wireKey(t testing.TB) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(wireAccessKey)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// recorded is a request as the fake ACS server received it.
type recorded struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       []byte
	AuthErr    error // nil when the HMAC checked out
}

// fakeACS is a loopback HTTP server that checks every request's HMAC with
// its own implementation of the scheme and answers through respond.
type fakeACS struct {
	*httptest.Server
	reqs chan recorded
}

// responder answers the n-th request (1-based).
type responder func(w http.ResponseWriter, r *http.Request, n int)

func newFakeACS(t testing.TB, key []byte, respond responder) *fakeACS {
	t.Helper()
	f := &fakeACS{reqs: make(chan recorded, 64)} // more than any test sends
	var mu sync.Mutex
	n := 0
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		rec := recorded{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: body}
		if key != nil {
			rec.AuthErr = checkHMAC(r, body, key)
		}
		mu.Lock()
		n++
		seq := n
		mu.Unlock()
		f.reqs <- rec
		respond(w, r, seq)
	}))
	t.Cleanup(f.Close)
	return f
}

// next returns the next recorded request.
func (f *fakeACS) next(t testing.TB) recorded {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the server")
		return recorded{}
	}
}

// count drains and counts the recorded requests; call it after the client
// returned.
func (f *fakeACS) count() int {
	n := 0
	for {
		select {
		case <-f.reqs:
			n++
		default:
			return n
		}
	}
}

// checkHMAC verifies a request the way ACS documents it, independently of
// the package's own signing code: the escaped request target and the Host
// header with its port.
func checkHMAC(r *http.Request, body, key []byte) error {
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	if got := r.Header.Get("x-ms-content-sha256"); got != hash {
		return fmt.Errorf("x-ms-content-sha256 %q, body hashes to %q", got, hash)
	}
	date := r.Header.Get("x-ms-date")
	when, err := http.ParseTime(date)
	if err != nil {
		return fmt.Errorf("x-ms-date %q: %v", date, err)
	}
	if d := time.Since(when); d > 15*time.Minute || d < -15*time.Minute {
		return fmt.Errorf("x-ms-date %q is %s away from now", date, d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Method + "\n" + r.URL.RequestURI() + "\n" + date + ";" + r.Host + ";" + hash))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
		base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("Authorization"); got != want {
		return errors.New("Authorization does not carry the expected HMAC signature")
	}
	return nil
}

// newClient returns a client for the fake server with the sdk-wire key.
func newClient(t testing.TB, endpoint string, cfg acs.Config) *acs.Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	c, err := acs.NewClientFromConnectionString("endpoint="+endpoint+"/;accesskey="+wireAccessKey, cfg)
	if err != nil {
		t.Fatalf("NewClientFromConnectionString: %v", err)
	}
	return c
}

// reply writes status and an optional JSON body.
func reply(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func jsonEqual(t testing.TB, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("sent body is not JSON: %v\n%s", err, got)
		return false
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("reference body is not JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
