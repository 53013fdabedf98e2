package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// webhook is an Event Grid subscriber on loopback: it answers the validation
// handshake (unless refuse is set) and records IncomingCall events.
type webhook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	valid  int
	events []eventGridIn
	got    chan eventGridIn
	refuse bool
}

type eventGridIn struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	Subject   string          `json:"subject"`
	EventType string          `json:"eventType"`
	EventTime string          `json:"eventTime"`
	Data      json.RawMessage `json:"data"`
}

func newWebhook(t *testing.T) *webhook {
	wh := &webhook{got: make(chan eventGridIn, 16)}
	wh.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var evs []eventGridIn
		if err := json.Unmarshal(body, &evs); err != nil || len(evs) != 1 {
			t.Errorf("webhook body %s", body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ev := evs[0]
		switch ev.EventType {
		case "Microsoft.EventGrid.SubscriptionValidationEvent":
			if r.Header.Get("aeg-event-type") != "SubscriptionValidation" {
				t.Errorf("validation with aeg-event-type %q", r.Header.Get("aeg-event-type"))
			}
			wh.mu.Lock()
			wh.valid++
			refuse := wh.refuse
			wh.mu.Unlock()
			if refuse {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			var d struct {
				ValidationCode string `json:"validationCode"`
			}
			_ = json.Unmarshal(ev.Data, &d)
			writeJSON(w, http.StatusOK, map[string]string{"validationResponse": d.ValidationCode})
		case "Microsoft.Communication.IncomingCall":
			if r.Header.Get("aeg-event-type") != "Notification" {
				t.Errorf("notification with aeg-event-type %q", r.Header.Get("aeg-event-type"))
			}
			wh.mu.Lock()
			wh.events = append(wh.events, ev)
			wh.mu.Unlock()
			wh.got <- ev
			w.WriteHeader(http.StatusOK)
		default:
			t.Errorf("unexpected event type %s", ev.EventType)
		}
	}))
	t.Cleanup(wh.srv.Close)
	return wh
}

func (wh *webhook) next(t *testing.T) (eventGridIn, incomingCallData) {
	t.Helper()
	select {
	case ev := <-wh.got:
		var d incomingCallData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		return ev, d
	case <-time.After(waitTimeout):
		t.Fatal("no IncomingCall reached the webhook")
	}
	return eventGridIn{}, incomingCallData{}
}

func (env *testEnv) raise(req IncomingCallRequest) IncomingCallResult {
	env.t.Helper()
	status, out := env.control(http.MethodPost, "/emulator/v1/incomingCalls", req)
	if status != http.StatusCreated {
		env.t.Fatalf("raising incoming call: %d %s", status, out)
	}
	var res IncomingCallResult
	_ = json.Unmarshal(out, &res)
	return res
}

func TestIncomingCallAnswer(t *testing.T) {
	wh := newWebhook(t)
	env := newEnv(t, func(c *Config) { c.IncomingCallWebhook = wh.srv.URL + "/events?code=secret" })
	res := env.raise(IncomingCallRequest{From: "4:+14255550100", To: user("me"), CallerDisplayName: "Alice",
		CustomContext: &CustomContext{VoipHeaders: map[string]string{"customHeader": "customValue"}}})
	if !res.Delivered {
		t.Fatalf("not delivered: %+v", res)
	}
	ev, d := wh.next(t)
	if ev.Subject != "/caller/4:+14255550100/recipient/"+user("me") || d.IncomingCallContext != res.IncomingCallContext ||
		d.From.PhoneNumber.Value != "+14255550100" || d.To.CommunicationUser.ID != user("me") ||
		d.CallerDisplayName != "Alice" || d.CustomContext.VoipHeaders["customHeader"] != "customValue" || d.CorrelationID != res.CorrelationID {
		t.Errorf("IncomingCall %s %+v", ev.Subject, d)
	}
	// A second call reuses the validated subscription.
	env.raise(IncomingCallRequest{From: user("x"), To: user("me")})
	wh.next(t)
	wh.mu.Lock()
	handshakes := wh.valid
	wh.mu.Unlock()
	if handshakes != 1 {
		t.Errorf("validation handshakes: %d", handshakes)
	}

	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": d.IncomingCallContext, "callbackUri": env.recv.url("/cb"), "operationContext": "answer-ctx",
	}, &props)
	if props.CallConnectionState != stateConnecting || props.ServerCallID != d.ServerCallID || props.Source.RawID != "4:+14255550100" ||
		props.SourceCallerIDNumber == nil || props.AnsweredBy == nil {
		t.Errorf("answer %+v", props)
	}
	evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	if evs[0].event.Data["operationContext"] != "answer-ctx" {
		t.Errorf("CallConnected %v", evs[0].event.Data)
	}
	if got := participantIDs(t, evs[1]); len(got) != 2 || got[0] != "4:+14255550100" || got[1] != user("me") {
		t.Errorf("participants %v", got)
	}
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": d.IncomingCallContext, "callbackUri": env.recv.url("/cb"),
	})
	if status != http.StatusConflict {
		t.Errorf("second answer: %d %s", status, out)
	}
	status, _, _ = env.do(http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": "H4sIAAAAAAAEAMVVS2", "callbackUri": env.recv.url("/cb"),
	})
	if status != http.StatusBadRequest {
		t.Errorf("unknown context: %d", status)
	}
}

func TestIncomingCallRejectAndRedirect(t *testing.T) {
	wh := newWebhook(t)
	env := newEnv(t, func(c *Config) { c.IncomingCallWebhook = wh.srv.URL })
	for _, reason := range []string{"", "none", "busy", "forbidden"} {
		res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
		wh.next(t)
		body := map[string]any{"incomingCallContext": res.IncomingCallContext}
		if reason != "" {
			body["callRejectReason"] = reason
		}
		env.mustDo(http.StatusNoContent, http.MethodPost, "/calling/callConnections:reject", body, nil)
		status, _, _ := env.do(http.MethodPost, "/calling/callConnections:answer", map[string]any{
			"incomingCallContext": res.IncomingCallContext, "callbackUri": env.recv.url("/cb"),
		})
		if status != http.StatusConflict {
			t.Errorf("answer after reject: %d", status)
		}
	}
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	wh.next(t)
	status, _, _ := env.do(http.MethodPost, "/calling/callConnections:reject", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "callRejectReason": "maybe",
	})
	if status != http.StatusBadRequest {
		t.Errorf("bad reject reason: %d", status)
	}

	// Redirect to a stranger: no event anywhere.
	env.mustDo(http.StatusNoContent, http.MethodPost, "/calling/callConnections:redirect", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "target": phone("+16041234567"),
	}, nil)
	// Redirect to an identity of the resource: a new IncomingCall for it.
	res = env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	_, first := wh.next(t)
	own := "8:acs:" + env.srv.ResourceID() + "_agent"
	env.mustDo(http.StatusNoContent, http.MethodPost, "/calling/callConnections:redirect", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "target": acsUser(own),
	}, nil)
	_, second := wh.next(t)
	if second.To.RawID != own || second.From.RawID != user("caller") || second.IncomingCallContext == first.IncomingCallContext || second.ServerCallID != first.ServerCallID {
		t.Errorf("redirected IncomingCall %+v", second)
	}
	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": second.IncomingCallContext, "callbackUri": env.recv.url("/cb"),
	}, &props)
	env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
}

func TestAnswerFailedWhenCallerHungUp(t *testing.T) {
	env := newEnv(t, nil) // no webhook: the context comes back from the control API
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	if res.Delivered || res.DeliveryError == "" {
		t.Errorf("delivered without a webhook: %+v", res)
	}
	if status, out := env.control(http.MethodPost, "/emulator/v1/incomingCalls/"+res.ID+"/hangUp", nil); status != http.StatusNoContent {
		t.Fatalf("caller hang up: %d %s", status, out)
	}
	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "callbackUri": env.recv.url("/cb"), "operationContext": "late",
	}, &props)
	evs := env.recv.waitKinds(props.CallConnectionID, evAnswerFailed)
	if code, sub := resultOf(t, evs[0]); code != 487 || sub != 540487 {
		t.Errorf("AnswerFailed %d/%d", code, sub)
	}
	if evs[0].event.Data["operationContext"] != "late" {
		t.Errorf("operationContext %v", evs[0].event.Data)
	}
}

func TestIncomingCallExpires(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.IncomingCallTimeout = 20 * time.Millisecond })
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	deadline := time.Now().Add(waitTimeout)
	for {
		status, out := env.control(http.MethodGet, "/emulator/v1/incomingCalls/"+res.ID, nil)
		var v incomingView
		_ = json.Unmarshal(out, &v)
		if status == http.StatusOK && v.State == incomingExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("incoming call never expired: %s", out)
		}
		time.Sleep(5 * time.Millisecond) // polling: expiry raises no event to wait on
	}
	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "callbackUri": env.recv.url("/cb"),
	}, &props)
	evs := env.recv.waitKinds(props.CallConnectionID, evAnswerFailed)
	if code, sub := resultOf(t, evs[0]); code != 408 || sub != 8587 {
		t.Errorf("AnswerFailed %d/%d", code, sub)
	}
}

func TestWebhookValidationRefused(t *testing.T) {
	wh := newWebhook(t)
	wh.mu.Lock()
	wh.refuse = true
	wh.mu.Unlock()
	env := newEnv(t, func(c *Config) { c.IncomingCallWebhook = wh.srv.URL })
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	if res.Delivered || res.DeliveryError == "" {
		t.Errorf("delivered to a webhook that refused validation: %+v", res)
	}
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if len(wh.events) != 0 || wh.valid != 1 {
		t.Errorf("IncomingCall posted without validation (%d events, %d handshakes)", len(wh.events), wh.valid)
	}
}

// TestWebhookManualValidation: a webhook may validate by a GET on the
// validationUrl instead of echoing the code, even from inside its handler.
func TestWebhookManualValidation(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []struct {
			EventType string `json:"eventType"`
			Data      struct {
				ValidationURL string `json:"validationUrl"`
			} `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&evs)
		got <- evs[0].EventType
		if evs[0].EventType == "Microsoft.EventGrid.SubscriptionValidationEvent" {
			resp, err := http.Get(evs[0].Data.ValidationURL)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("GET validationUrl: %v %v", err, resp)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	env := newEnv(t, func(c *Config) { c.IncomingCallWebhook = srv.URL })
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	if !res.Delivered {
		t.Fatalf("not delivered: %+v", res)
	}
	if a, b := <-got, <-got; a != "Microsoft.EventGrid.SubscriptionValidationEvent" || b != "Microsoft.Communication.IncomingCall" {
		t.Errorf("webhook saw %s, %s", a, b)
	}
}
