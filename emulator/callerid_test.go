package emulator

import (
	"net/http"
	"testing"
)

// TestCallerIDOwnership: a caller ID must be one of the resource's numbers
// (create call, add participant, transfer); a resource with none owns none.
func TestCallerIDOwnership(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.PhoneNumbers = []string{"+18005550100"} })
	owned := map[string]any{"value": "+18005550100"}
	stranger := map[string]any{"value": "+18005550199"}
	cb := env.recv.url("/cb")

	status, out, _ := env.do(http.MethodPost, "/calling/callConnections", map[string]any{
		"targets": []any{phone("+16471234567")}, "callbackUri": cb, "sourceCallerIdNumber": stranger,
	})
	wantRefused(t, status, out, http.StatusForbidden, subForbidden, "sourceCallerIdNumber.value")
	if n := env.callCount(); n != 0 {
		t.Fatalf("a refused create call made %d calls", n)
	}
	// Syntax comes first: a caller ID that is no number is a 400, not a 403.
	status, out, _ = env.do(http.MethodPost, "/calling/callConnections", map[string]any{
		"targets": []any{phone("+16471234567")}, "callbackUri": cb, "sourceCallerIdNumber": map[string]any{"value": "12"},
	})
	wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, "sourceCallerIdNumber.value")

	call := env.createCall(cb, map[string]any{"sourceCallerIdNumber": owned}, phone("+16471234567"))
	id := call.CallConnectionID
	env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
	for _, tc := range []struct {
		path string
		body map[string]any
	}{
		{"/participants:add", map[string]any{"participantToAdd": phone("+16041234567"), "sourceCallerIdNumber": stranger}},
		{":transferToParticipant", map[string]any{"targetParticipant": phone("+16041234567"), "sourceCallerIdNumber": stranger}},
	} {
		status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+tc.path, tc.body)
		wantRefused(t, status, out, http.StatusForbidden, subForbidden, "sourceCallerIdNumber.value")
	}
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:add",
		map[string]any{"participantToAdd": phone("+16041234567"), "sourceCallerIdNumber": owned}, nil)

	none := newEnv(t, func(c *Config) { c.PhoneNumbers = nil })
	status, out, _ = none.do(http.MethodPost, "/calling/callConnections", map[string]any{
		"targets": []any{phone("+16471234567")}, "callbackUri": none.recv.url("/cb"), "sourceCallerIdNumber": owned,
	})
	wantRefused(t, status, out, http.StatusForbidden, subForbidden, "sourceCallerIdNumber.value")
}
