package service_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// The REST tests send what curl would, to the REST gateway, and check
// status codes and JSON field names (lowerCamel, as grpc-gateway writes them).

// field walks a decoded JSON value: field(body, "call", "targets", 0, "rawId").
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := field(v, path...).(string)
	return s
}

func TestREST(t *testing.T) {
	s := newStack(t)
	ok := func(t *testing.T, method, path, body string) map[string]any {
		t.Helper()
		code, out := s.rest(t, method, path, body)
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %v", method, path, code, out)
		}
		return out
	}

	// A 1:1 phone call, through its life.
	number := phoneNumber()
	out := ok(t, "POST", "/v1/calls", fmt.Sprintf(`{"targets":[{"phoneNumber":{"value":%q}}],"sourceCallerIdNumber":{"value":%q},"operationContext":"rest-call"}`, number, callerID))
	id := str(out, "call", "callConnectionId")
	if id == "" || str(out, "call", "correlationId") == "" || str(out, "call", "state") != "CALL_STATE_CONNECTING" {
		t.Fatalf("POST /v1/calls answered %v", out)
	}
	if str(out, "call", "targets", 0, "rawId") != "4:"+number || str(out, "call", "targets", 0, "phoneNumber", "value") != number {
		t.Errorf("targets %v", field(out, "call", "targets"))
	}
	if str(out, "call", "sourceCallerIdNumber", "value") != callerID {
		t.Errorf("sourceCallerIdNumber %v", field(out, "call", "sourceCallerIdNumber"))
	}
	s.waitEvent(t, id, "Microsoft.Communication.CallConnected", "rest-call")

	t.Run("GET /v1/calls/{id}", func(t *testing.T) {
		out := ok(t, "GET", "/v1/calls/"+id, "")
		if str(out, "call", "callConnectionId") != id || str(out, "call", "state") != "CALL_STATE_CONNECTED" {
			t.Errorf("answered %v", out)
		}
	})

	user := s.acsUser()
	t.Run("POST /v1/calls/{id}/participants", func(t *testing.T) {
		out := ok(t, "POST", "/v1/calls/"+id+"/participants", fmt.Sprintf(`{"participant":{"rawId":%q},"invitationTimeoutSeconds":30,"operationContext":"rest-add"}`, user))
		if str(out, "invitationId") == "" || str(out, "operationContext") != "rest-add" {
			t.Errorf("answered %v", out)
		}
		if str(out, "participant", "identifier", "communicationUser", "id") != user {
			t.Errorf("participant %v", field(out, "participant"))
		}
		s.waitEvent(t, id, "Microsoft.Communication.AddParticipantSucceeded", "rest-add")
	})

	t.Run("GET /v1/calls/{id}/participants", func(t *testing.T) {
		out := ok(t, "GET", "/v1/calls/"+id+"/participants", "")
		seen := map[string]bool{}
		list, _ := field(out, "participants").([]any)
		for i := range list {
			seen[str(out, "participants", i, "identifier", "rawId")] = true
		}
		if !seen[user] || !seen["4:"+number] {
			t.Errorf("participants %v, want %s and 4:%s", list, user, number)
		}
	})

	t.Run("GET /v1/calls/{id}/participants/{raw_id}", func(t *testing.T) {
		for _, raw := range []string{user, "4:" + number} {
			out := ok(t, "GET", "/v1/calls/"+id+"/participants/"+url.PathEscape(raw), "")
			if str(out, "participant", "identifier", "rawId") != raw {
				t.Errorf("GET participant %s answered %v", raw, out)
			}
		}
		out := ok(t, "GET", "/v1/calls/"+id+"/participants/"+url.PathEscape("4:"+number), "")
		if str(out, "participant", "identifier", "phoneNumber", "value") != number {
			t.Errorf("phone participant %v", out)
		}
	})

	t.Run("POST /v1/calls/{id}/participants:mute", func(t *testing.T) {
		out := ok(t, "POST", "/v1/calls/"+id+"/participants:mute", fmt.Sprintf(`{"participant":{"communicationUser":{"id":%q}},"operationContext":"rest-mute"}`, user))
		if str(out, "operationContext") != "rest-mute" {
			t.Errorf("answered %v", out)
		}
	})

	t.Run("POST /v1/calls/{id}/participants:cancelAdd", func(t *testing.T) {
		slow := s.acsUser()
		s.script(t, slow, map[string]any{"answerDelay": "10m"})
		added := ok(t, "POST", "/v1/calls/"+id+"/participants", fmt.Sprintf(`{"participant":{"rawId":%q}}`, slow))
		inv := str(added, "invitationId")
		out := ok(t, "POST", "/v1/calls/"+id+"/participants:cancelAdd", fmt.Sprintf(`{"invitationId":%q,"operationContext":"rest-cancel"}`, inv))
		if str(out, "invitationId") != inv {
			t.Errorf("answered %v", out)
		}
		s.waitEvent(t, id, "Microsoft.Communication.CancelAddParticipantSucceeded", "rest-cancel")
	})

	t.Run("POST /v1/calls/{id}/participants:remove", func(t *testing.T) {
		out := ok(t, "POST", "/v1/calls/"+id+"/participants:remove", fmt.Sprintf(`{"participant":{"rawId":%q},"operationContext":"rest-remove"}`, user))
		if str(out, "operationContext") != "rest-remove" {
			t.Errorf("answered %v", out)
		}
		s.waitEvent(t, id, "Microsoft.Communication.RemoveParticipantSucceeded", "rest-remove")
	})

	t.Run("POST /v1/calls:connect", func(t *testing.T) {
		out := ok(t, "GET", "/v1/calls/"+id, "")
		joined := ok(t, "POST", "/v1/calls:connect", fmt.Sprintf(`{"serverCallId":%q}`, str(out, "call", "serverCallId")))
		if other := str(joined, "call", "callConnectionId"); other == "" || other == id {
			t.Errorf("answered %v", joined)
		}
	})

	t.Run("POST /v1/calls/{id}:transfer", func(t *testing.T) {
		other, _ := s.connectedCall(t)
		out := ok(t, "POST", "/v1/calls/"+other.GetCallConnectionId()+":transfer", fmt.Sprintf(`{"target":{"rawId":%q}}`, s.acsUser()))
		if len(str(out, "operationContext")) != 36 {
			t.Errorf("answered %v, want a made-up operation context", out)
		}
		s.waitEvent(t, other.GetCallConnectionId(), "Microsoft.Communication.CallTransferAccepted", str(out, "operationContext"))
	})

	t.Run("POST /v1/calls/{id}:hangUp", func(t *testing.T) {
		out := ok(t, "POST", "/v1/calls/"+id+":hangUp", `{"forEveryone":true}`)
		if len(out) != 0 {
			t.Errorf("answered %v, want {}", out)
		}
		s.waitEvent(t, id, "Microsoft.Communication.CallDisconnected", "")
	})

	t.Run("POST /v1/calls:answer", func(t *testing.T) {
		in, _ := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		out := ok(t, "POST", "/v1/calls:answer", fmt.Sprintf(`{"incomingCallContext":%q,"operationContext":"rest-answer"}`, in.GetIncomingCallContext()))
		if str(out, "call", "correlationId") != in.GetCorrelationId() {
			t.Errorf("answered %v", out)
		}
		s.waitEvent(t, str(out, "call", "callConnectionId"), "Microsoft.Communication.CallConnected", "rest-answer")
	})

	t.Run("POST /v1/calls:reject", func(t *testing.T) {
		in, inID := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		ok(t, "POST", "/v1/calls:reject", fmt.Sprintf(`{"incomingCallContext":%q,"reason":"CALL_REJECT_REASON_BUSY"}`, in.GetIncomingCallContext()))
		if st := s.incomingState(t, inID); st != "rejected" {
			t.Errorf("incoming call is %s", st)
		}
	})

	t.Run("POST /v1/calls:redirect", func(t *testing.T) {
		in, inID := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		ok(t, "POST", "/v1/calls:redirect", fmt.Sprintf(`{"incomingCallContext":%q,"target":{"rawId":%q}}`, in.GetIncomingCallContext(), "4:"+phoneNumber()))
		if st := s.incomingState(t, inID); st != "redirected" {
			t.Errorf("incoming call is %s", st)
		}
	})
}

func TestRESTErrors(t *testing.T) {
	s := newStack(t)

	t.Run("400 names the fields", func(t *testing.T) {
		before := s.Upstream.count()
		code, out := s.rest(t, "POST", "/v1/calls", `{"targets":[{"rawId":"8:acs:r_x"},{"phoneNumber":{"value":"123"}}],"requestId":"again"}`)
		if code != http.StatusBadRequest {
			t.Fatalf("status %d: %v", code, out)
		}
		if field(out, "code") != float64(3) || str(out, "details", 0, "@type") != "type.googleapis.com/google.rpc.BadRequest" {
			t.Fatalf("body %v, want code 3 with a BadRequest", out)
		}
		var fields []string
		violations, _ := field(out, "details", 0, "fieldViolations").([]any)
		for i := range violations {
			fields = append(fields, str(out, "details", 0, "fieldViolations", i, "field"))
		}
		want := []string{"targets[1].phone_number.value", "source_caller_id_number", "request_id"}
		slices.Sort(fields)
		slices.Sort(want)
		if fmt.Sprint(fields) != fmt.Sprint(want) {
			t.Errorf("fields %q, want %q", fields, want)
		}
		if s.Upstream.count() != before {
			t.Errorf("an invalid request reached ACS")
		}
	})

	t.Run("404 with the ACS code", func(t *testing.T) {
		code, out := s.rest(t, "GET", "/v1/calls/no-such-call", "")
		if code != http.StatusNotFound {
			t.Fatalf("status %d: %v", code, out)
		}
		if str(out, "details", 0, "reason") != "8522" || str(out, "details", 0, "domain") != "communication.azure.com" {
			t.Errorf("body %v, want an ErrorInfo with reason 8522", out)
		}
	})

	t.Run("404 for an unknown participant", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		code, out := s.rest(t, "GET", "/v1/calls/"+call.GetCallConnectionId()+"/participants/"+url.PathEscape("4:+16470000000"), "")
		if code != http.StatusNotFound {
			t.Fatalf("status %d: %v", code, out)
		}
	})
}
