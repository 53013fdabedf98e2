package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBadInput(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("x"), nil)
	id := call.CallConnectionID
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"malformed JSON", "POST", "/calling/callConnections", "{", 400, "8523"},
		{"empty body", "POST", "/calling/callConnections", nil, 400, "8523"},
		{"no targets", "POST", "/calling/callConnections", map[string]any{"targets": []any{}, "callbackUri": env.recv.url("/cb")}, 400, "8523"},
		{"no callback", "POST", "/calling/callConnections", map[string]any{"targets": []any{acsUser(user("a"))}}, 400, "8523"},
		{"http callback off loopback", "POST", "/calling/callConnections", map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": "http://app.example/cb"}, 400, "8523"},
		{"relative callback", "POST", "/calling/callConnections", map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": "/cb"}, 400, "8523"},
		{"bad phone", "POST", "/calling/callConnections", map[string]any{"targets": []any{phone("555")}, "callbackUri": env.recv.url("/cb"), "sourceCallerIdNumber": map[string]any{"value": "+18001234567"}}, 400, "8523"},
		{"two kinds", "POST", "/calling/callConnections", map[string]any{"targets": []any{map[string]any{"communicationUser": map[string]string{"id": user("a")}, "phoneNumber": map[string]string{"value": "+1555"}}}, "callbackUri": env.recv.url("/cb")}, 400, "8523"},
		{"wrong type", "POST", "/calling/callConnections/" + id + "/participants:add", map[string]any{"participantToAdd": acsUser(user("b")), "invitationTimeoutInSeconds": "soon"}, 400, "8523"},
		{"add without participant", "POST", "/calling/callConnections/" + id + "/participants:add", map[string]any{}, 400, "8523"},
		{"answer without context", "POST", "/calling/callConnections:answer", map[string]any{"callbackUri": env.recv.url("/cb")}, 400, "8523"},
		{"unknown call", "GET", "/calling/callConnections/00000000-0000-0000-0000-000000000000", nil, 404, "8522"},
		{"unknown call add", "POST", "/calling/callConnections/nope/participants:add", map[string]any{"participantToAdd": acsUser(user("b"))}, 404, "8522"},
		{"unknown call terminate", "POST", "/calling/callConnections/nope:terminate", nil, 404, "8522"},
		{"unknown call transfer", "POST", "/calling/callConnections/nope:transferToParticipant", map[string]any{"targetParticipant": acsUser(user("b"))}, 404, "8522"},
		{"unknown path", "GET", "/calling/nothing", nil, 404, "NotFound"},
		{"wrong method", "PUT", "/calling/callConnections/" + id, nil, 405, "MethodNotAllowed"},
		{"media streaming on a call set up without it", "POST", "/calling/callConnections/" + id + ":startMediaStreaming", map[string]any{}, 400, "8523"},
		{"transcription on a call set up without it", "POST", "/calling/callConnections/" + id + ":startTranscription", map[string]any{}, 400, "8523"},
		{"recording without a call", "POST", "/calling/recordings", map[string]any{}, 400, "8523"},
		{"unknown recording", "GET", "/calling/recordings/eyJ4IjoieSJ9", nil, 404, "8522"},
		{"unknown api-version", "GET", "/calling/callConnections/" + id + "?api-version=2020-01-01", nil, 400, "UnsupportedApiVersion"},
		{"missing api-version", "GET", "/calling/callConnections/" + id + "?api-version=", nil, 400, "MissingApiVersionParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := env.do(tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, out)
			}
			var eb errorBody
			if err := json.Unmarshal(out, &eb); err != nil || eb.Error.Code != tc.code || eb.Error.Message == "" {
				t.Fatalf("error body %s, want code %s", out, tc.code)
			}
			// Every validation error names the field it is about.
			if tc.code == subInvalidArgument && (len(eb.Error.Details) == 0 || eb.Error.Details[0].Target == "" || eb.Error.Details[0].Message == "") {
				t.Errorf("error body %s has no details with a target", out)
			}
		})
	}
}

func TestOlderAPIVersionAccepted(t *testing.T) {
	env := newEnv(t, nil)
	call := env.connectedCall(user("x"), nil)
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+call.CallConnectionID+"?api-version=2024-09-15", nil, nil)
}

func TestAuthentication(t *testing.T) {
	env := newEnv(t, nil)
	body := map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": env.recv.url("/cb")}
	raw, _ := json.Marshal(body)
	check := func(name string, mutate func(r *http.Request)) {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/calling/callConnections?api-version="+DefaultAPIVersion, strings.NewReader(string(raw)))
			signRequest(req, raw, env.key, time.Now())
			mutate(req)
			resp, err := env.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb errorBody
			_ = json.NewDecoder(resp.Body).Decode(&eb)
			if resp.StatusCode != http.StatusUnauthorized || eb.Error.Code != "Denied" {
				t.Fatalf("status %d %+v", resp.StatusCode, eb)
			}
		})
	}
	check("wrong key", func(r *http.Request) { signRequest(r, raw, []byte("not-the-key"), time.Now()) })
	check("20 minutes old", func(r *http.Request) { signRequest(r, raw, env.key, time.Now().Add(-20*time.Minute)) })
	check("20 minutes ahead", func(r *http.Request) { signRequest(r, raw, env.key, time.Now().Add(20*time.Minute)) })
	check("content hash of another body", func(r *http.Request) { signRequest(r, []byte("{}"), env.key, time.Now()) })
	check("no authorization", func(r *http.Request) { r.Header.Del("Authorization") })
	var calls []CallView
	_, out := env.control(http.MethodGet, "/emulator/v1/calls", nil)
	_ = json.Unmarshal(out, &calls)
	if len(calls) != 0 {
		t.Errorf("rejected requests created %d calls", len(calls))
	}
}

func TestRepeatabilityRequestID(t *testing.T) {
	env := newEnv(t, nil)
	body := map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": env.recv.url("/cb")}
	id := "895e3ed9-ccbd-4059-81ba-ca490fae6560"
	hdr := []string{"Repeatability-Request-ID", id, "Repeatability-First-Sent", time.Now().UTC().Format(http.TimeFormat)}

	// Concurrent retries of one request: one call, one answer.
	var wg sync.WaitGroup
	answers := make([]string, 8)
	statuses := make([]int, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, out, _ := env.do(http.MethodPost, "/calling/callConnections", body, hdr...)
			statuses[i], answers[i] = status, string(out)
		}()
	}
	wg.Wait()
	for i := range answers {
		if statuses[i] != http.StatusCreated || answers[i] != answers[0] {
			t.Fatalf("retry %d: %d %s, first %s", i, statuses[i], answers[i], answers[0])
		}
	}
	var calls []CallView
	_, out := env.control(http.MethodGet, "/emulator/v1/calls", nil)
	_ = json.Unmarshal(out, &calls)
	if len(calls) != 1 {
		t.Fatalf("%d calls for one repeated request", len(calls))
	}
	status, out2, h := env.do(http.MethodPost, "/calling/callConnections", body, hdr...)
	if status != http.StatusCreated || string(out2) != answers[0] || h.Get("Repeatability-Result") != "accepted" {
		t.Errorf("later retry: %d %s %v", status, out2, h)
	}
	other := map[string]any{"targets": []any{acsUser(user("b"))}, "callbackUri": env.recv.url("/cb")}
	status, out2, _ = env.do(http.MethodPost, "/calling/callConnections", other, hdr...)
	if status != http.StatusConflict || !strings.Contains(string(out2), "RepeatabilityRequestIdConflict") {
		t.Errorf("same ID, other body: %d %s", status, out2)
	}
	// A different ID does the work again.
	status, _, _ = env.do(http.MethodPost, "/calling/callConnections", body, "Repeatability-Request-ID", "another")
	if status != http.StatusCreated {
		t.Errorf("new ID: %d", status)
	}
}

func TestRepeatabilityWindowExpires(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.RepeatabilityWindow = time.Millisecond })
	body := map[string]any{"targets": []any{acsUser(user("a"))}, "callbackUri": env.recv.url("/cb")}
	_, a, _ := env.do(http.MethodPost, "/calling/callConnections", body, "Repeatability-Request-ID", "x")
	time.Sleep(5 * time.Millisecond) // let the one-millisecond window pass
	_, b, _ := env.do(http.MethodPost, "/calling/callConnections", body, "Repeatability-Request-ID", "x")
	if string(a) == string(b) {
		t.Error("request replayed after the window")
	}
}

func TestJWKSAndOpenIDConfiguration(t *testing.T) {
	env := newEnv(t, nil)
	status, out := env.control(http.MethodGet, "/calling/.well-known/acsopenidconfiguration", nil)
	var oc openIDConfiguration
	if status != http.StatusOK || json.Unmarshal(out, &oc) != nil || oc.Issuer != env.srv.URL || oc.JWKSURI != env.srv.URL+"/calling/keys" {
		t.Fatalf("openid configuration %d %s", status, out)
	}
	status, out = env.control(http.MethodGet, "/calling/keys", nil)
	var ks jwks
	if status != http.StatusOK || json.Unmarshal(out, &ks) != nil || len(ks.Keys) != 1 || ks.Keys[0].Alg != "RS256" {
		t.Fatalf("jwks %d %s", status, out)
	}
	var info Info
	_, out = env.control(http.MethodGet, "/emulator/v1/info", nil)
	_ = json.Unmarshal(out, &info)
	if info.Issuer != env.srv.Issuer() || info.Audience != env.srv.ResourceID() || info.JWKSURL != env.srv.JWKSURL() {
		t.Errorf("info %+v", info)
	}
	if strings.Contains(string(out), "accesskey") {
		t.Error("info leaks the access key")
	}
}

func TestControlAPIValidation(t *testing.T) {
	env := newEnv(t, nil)
	if status, _ := env.control(http.MethodPut, "/emulator/v1/endpoints/8:acs:x", map[string]any{"answer": "maybe"}); status != http.StatusBadRequest {
		t.Errorf("bad answer: %d", status)
	}
	if status, _ := env.control(http.MethodPut, "/emulator/v1/endpoints/8:acs:x", map[string]any{"answr": "busy"}); status != http.StatusBadRequest {
		t.Errorf("unknown field: %d", status)
	}
	env.script("8:acs:x", Behavior{Answer: AnswerBusy, AnswerDelay: &Duration{D: 2 * time.Second}})
	status, out := env.control(http.MethodGet, "/emulator/v1/endpoints/8:acs:x", nil)
	if status != http.StatusOK || !strings.Contains(string(out), `"answerDelay":"2s"`) {
		t.Errorf("get endpoint %d %s", status, out)
	}
	if status, _ := env.control(http.MethodDelete, "/emulator/v1/endpoints/8:acs:x", nil); status != http.StatusNoContent {
		t.Errorf("delete %d", status)
	}
	if status, _ := env.control(http.MethodGet, "/emulator/v1/endpoints/8:acs:x", nil); status != http.StatusNotFound {
		t.Errorf("deleted endpoint still there")
	}
	if status, _ := env.control(http.MethodPost, "/emulator/v1/incomingCalls", map[string]any{"from": user("a")}); status != http.StatusBadRequest {
		t.Errorf("incoming without to: %d", status)
	}
}
