package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

const waitTimeout = 10 * time.Second

var (
	sharedKeyOnce sync.Once
	sharedKey     *rsa.PrivateKey
	sharedKeyErr  error
)

// testSigningKey is one callback signing key for all tests.
func testSigningKey(t *testing.T) *rsa.PrivateKey {
	sharedKeyOnce.Do(func() { sharedKey, sharedKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if sharedKeyErr != nil {
		t.Fatal(sharedKeyErr)
	}
	return sharedKey
}

// testEnv is an emulator on a loopback socket, a client that signs like the
// SDKs, and a callback receiver that verifies every token against the
// emulator's published keys.
type testEnv struct {
	t      *testing.T
	srv    *Server
	key    []byte
	client *http.Client
	recv   *receiver
}

func newEnv(t *testing.T, mutate func(*Config)) *testEnv {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := Config{AccessKey: key, AnswerDelay: 5 * time.Millisecond, CallbackRetryBackoff: 20 * time.Millisecond,
		PhoneNumbers: testCallerIDs, signingKey: testSigningKey(t)}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := Start(cfg, "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, srv: srv, key: key, client: &http.Client{Timeout: 30 * time.Second}}
	env.recv = newReceiver(t, srv.Emulator)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing emulator: %v", err)
		}
		env.recv.close()
		env.client.CloseIdleConnections()
	})
	return env
}

// do sends a signed request; body is JSON-encoded unless it is a []byte.
func (env *testEnv) do(method, path string, body any, header ...string) (int, []byte, http.Header) {
	env.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		raw, err = json.Marshal(b)
		if err != nil {
			env.t.Fatal(err)
		}
	}
	if !strings.Contains(path, "api-version=") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "api-version=" + DefaultAPIVersion
	}
	req, err := http.NewRequest(method, env.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		env.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if req.Header.Get("Authorization") == "" {
		signRequest(req, raw, env.key, time.Now())
	}
	resp, err := env.client.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// mustDo is do that expects status and decodes the answer into v (if not nil).
func (env *testEnv) mustDo(want int, method, path string, body any, v any) {
	env.t.Helper()
	status, out, _ := env.do(method, path, body)
	if status != want {
		env.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			env.t.Fatalf("%s %s: decoding %s: %v", method, path, out, err)
		}
	}
}

// control calls the unauthenticated control API.
func (env *testEnv) control(method, path string, body any) (int, []byte) {
	env.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, env.srv.URL+path, r)
	resp, err := env.client.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (env *testEnv) script(rawID string, b Behavior) {
	env.t.Helper()
	if status, out := env.control(http.MethodPut, "/emulator/v1/endpoints/"+rawID, b); status != http.StatusOK {
		env.t.Fatalf("scripting %s: %d %s", rawID, status, out)
	}
}

// testResource is the resource part of the ACS user IDs the tests call: not
// the emulator's own resource, as the callee of a real call often is not.
const testResource = "4f5b6c7d-0000-4000-8000-00000000c0de"

// user is the raw ID of the ACS user name of testResource.
func user(name string) string { return "8:acs:" + testResource + "_" + name }

// testCallerIDs are the numbers the tests' resource owns.
var testCallerIDs = []string{"+18001234567", "+18888888888", "+16044561234"}

func acsUser(id string) map[string]any {
	return map[string]any{"kind": "communicationUser", "rawId": id, "communicationUser": map[string]string{"id": id}}
}

func phone(n string) map[string]any {
	return map[string]any{"kind": "phoneNumber", "rawId": "4:" + n, "phoneNumber": map[string]any{"value": n, "isAnonymous": false}}
}

// createCall creates a call to targets with callback URI cb and returns its
// properties.
func (env *testEnv) createCall(cb string, extra map[string]any, targets ...map[string]any) callConnectionProperties {
	env.t.Helper()
	body := map[string]any{"targets": targets, "callbackUri": cb}
	for k, v := range extra {
		body[k] = v
	}
	var props callConnectionProperties
	env.mustDo(http.StatusCreated, http.MethodPost, "/calling/callConnections", body, &props)
	return props
}

// received is one verified callback POST.
type received struct {
	event cloudEventIn
	raw   json.RawMessage
	path  string
}

// cloudEventIn decodes what the emulator posts, loosely, to check it.
type cloudEventIn struct {
	ID              string         `json:"id"`
	Source          string         `json:"source"`
	Type            string         `json:"type"`
	Time            string         `json:"time"`
	SpecVersion     string         `json:"specversion"`
	DataContentType string         `json:"datacontenttype"`
	Subject         string         `json:"subject"`
	Data            map[string]any `json:"data"`
}

func (r received) kind() string { return strings.TrimPrefix(r.event.Type, "Microsoft.Communication.") }

// receiver is a callback endpoint on loopback. It answers 200 to events
// whose bearer token verifies against the emulator's JWKS, records them by
// call connection ID, and answers with fail(n) for the n-th POST when set.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	kf     keyfunc.Keyfunc
	em     *Emulator
	cancel context.CancelFunc

	mu       sync.Mutex
	byCall   map[string][]received
	all      []received
	posts    int
	attempts []string // event id of every POST, accepted or not
	changed  chan struct{}
	fail     func(n int) int
}

func newReceiver(t *testing.T, em *Emulator) *receiver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{em.JWKSURL()})
	if err != nil {
		cancel()
		t.Fatalf("loading JWKS from %s: %v", em.JWKSURL(), err)
	}
	r := &receiver{t: t, kf: kf, em: em, cancel: cancel, byCall: map[string][]received{}, changed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

func (r *receiver) url(path string) string { return r.srv.URL + path }

func (r *receiver) close() {
	r.srv.Close()
	r.cancel()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		// The emulator went away mid-POST (its Close cancels the callbacks in flight): nothing
		// was delivered, and a cut body is not a malformed callback.
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if err := r.verifyToken(req.Header.Get("Authorization")); err != nil {
		r.t.Errorf("callback token rejected: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil || len(raws) != 1 {
		r.t.Errorf("callback body is not a one-event array: %s", body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var ev cloudEventIn
	if err := json.Unmarshal(raws[0], &ev); err != nil {
		r.t.Errorf("callback event: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.posts++
	n := r.posts
	r.attempts = append(r.attempts, ev.ID)
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if status := fail(n); status != 0 {
			w.WriteHeader(status)
			return
		}
	}
	callID, _ := ev.Data["callConnectionId"].(string)
	r.mu.Lock()
	rec := received{event: ev, raw: raws[0], path: req.URL.Path}
	r.byCall[callID] = append(r.byCall[callID], rec)
	r.all = append(r.all, rec)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) verifyToken(auth string) error {
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer token")
	}
	tok, err := jwt.Parse(raw, r.kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(r.em.Issuer()),
		jwt.WithAudience(r.em.Audience()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt())
	if err != nil {
		return err
	}
	claims := tok.Claims.(jwt.MapClaims)
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if exp.Sub(iat.Time) != 5*time.Minute {
		return fmt.Errorf("token lifetime %s, want 5m", exp.Sub(iat.Time))
	}
	return nil
}

// waitFor waits until cond holds for the events of callID (or, with callID
// "", all events) and returns them.
func (r *receiver) waitFor(callID string, what string, cond func([]received) bool) []received {
	r.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		evs := r.all
		if callID != "" {
			evs = r.byCall[callID]
		}
		evs = append([]received(nil), evs...)
		changed := r.changed
		r.mu.Unlock()
		if cond(evs) {
			return evs
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.t.Fatalf("timed out waiting for %s on call %q; got %v", what, callID, kinds(evs))
		}
	}
}

// waitKinds waits for at least len(want) events of callID and checks their
// kinds, in order.
func (r *receiver) waitKinds(callID string, want ...string) []received {
	r.t.Helper()
	evs := r.waitFor(callID, strings.Join(want, ","), func(evs []received) bool { return len(evs) >= len(want) })
	if got := kinds(evs[:len(want)]); strings.Join(got, ",") != strings.Join(want, ",") {
		r.t.Fatalf("call %s: events %v, want %v", callID, kinds(evs), want)
	}
	return evs
}

func (r *receiver) events(callID string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.byCall[callID]...)
}

func kinds(evs []received) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.kind()
	}
	return out
}

// resultOf returns code and subCode of an event's resultInformation.
func resultOf(t *testing.T, ev received) (int, int) {
	t.Helper()
	ri, ok := ev.event.Data["resultInformation"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no resultInformation: %s", ev.kind(), ev.raw)
	}
	return int(ri["code"].(float64)), int(ri["subCode"].(float64))
}

func participantIDs(t *testing.T, ev received) []string {
	t.Helper()
	ps, ok := ev.event.Data["participants"].([]any)
	if !ok {
		t.Fatalf("%s has no participants: %s", ev.kind(), ev.raw)
	}
	var out []string
	for _, p := range ps {
		id := p.(map[string]any)["identifier"].(map[string]any)
		out = append(out, id["rawId"].(string))
	}
	return out
}

// callCount is how many call connections the emulator has made.
func (env *testEnv) callCount() int {
	env.t.Helper()
	var calls []CallView
	_, out := env.control(http.MethodGet, "/emulator/v1/calls", nil)
	if err := json.Unmarshal(out, &calls); err != nil {
		env.t.Fatalf("listing calls: %v: %s", err, out)
	}
	return len(calls)
}

// wantRefused checks an error answer: status, code, and a detail whose target
// is target.
func wantRefused(t *testing.T, status int, out []byte, wantStatus int, code, target string) {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(out, &eb); err != nil || status != wantStatus || eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("answer %d %s, want %d with code %s", status, out, wantStatus, code)
	}
	for _, d := range eb.Error.Details {
		if d.Target == target && d.Message != "" {
			return
		}
	}
	t.Fatalf("answer %s has no detail with target %q", out, target)
}
