package callbacks

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every refused delivery leaves a Warn line with its reason and a bounded, redacted excerpt; an
// unauthenticated one is not quoted.
func TestRefusedDeliveriesAreLogged(t *testing.T) {
	f := newFixture(t, false)
	context := strings.Repeat("c", 40)
	for _, c := range []struct {
		name, url, body string
		status          int
		reason          string // part of the logged reason
		quoted          bool
	}{
		{"malformed", f.callsURL(), `{"incomingCallContext":"` + context + `", not json`, http.StatusBadRequest, "malformed JSON", true},
		{"no call", f.callsURL(), `[{"id":"x","type":"T","data":{}}]`, http.StatusBadRequest, "names no call connection", true},
		{"too large", f.callsURL(), `[` + strings.Repeat("é", 40<<10) + `]`, http.StatusRequestEntityTooLarge, "body larger than", true},
		{"unauthenticated", f.srv.URL + CallsPath + "?token=wrong", `[{"id":"x"}]`, http.StatusUnauthorized, "wrong or missing token", false},
		{"event grid", f.eventGridURL(), `{"id":`, http.StatusBadRequest, "malformed JSON", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.logs.Len()
			if resp := f.post(t, c.url, "application/json", "", c.body); resp.StatusCode != c.status {
				t.Fatalf("POST = %d, want %d", resp.StatusCode, c.status)
			}
			lines := f.logs.All()[before:]
			if len(lines) != 1 || lines[0].Message != "callback refused" {
				t.Fatalf("logged %v, want one \"callback refused\" line", lines)
			}
			fields := lines[0].ContextMap()
			if r, _ := fields["reason"].(string); !strings.Contains(r, c.reason) {
				t.Errorf("reason %q, want it to say %q", r, c.reason)
			}
			if fields["status"] != int64(c.status) {
				t.Errorf("status field %v", fields["status"])
			}
			ex, quoted := fields["body_excerpt"].(string)
			if quoted != c.quoted {
				t.Fatalf("excerpt logged: %v, want %v (%q)", quoted, c.quoted, ex)
			}
			if len(ex) > maxExcerpt+len("…") || !utf8.ValidString(ex) {
				t.Errorf("excerpt of %d bytes, valid UTF-8 %v", len(ex), utf8.ValidString(ex))
			}
			if strings.Contains(ex, context) || strings.Contains(ex, "wrong") {
				t.Errorf("excerpt %q shows what it must not", ex)
			}
		})
	}
}
