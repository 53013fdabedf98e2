package acs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (the OpenAPI example bodies
// and inputs the fuzzer found interesting); these literals keep a few seeds
// next to the code.

func FuzzDecodeCallConnection(f *testing.F) {
	f.Add([]byte(`{"callConnectionId":"c","targets":[{"kind":"phoneNumber","phoneNumber":{"value":"+1"}},{"rawId":"8:acs:r_t_u"}],"source":{"rawId":"4:anonymous"},"callConnectionState":"connected"}`))
	f.Add([]byte(`{"targets":[null,{},{"kind":"unknown"},{"communicationUser":{"id":"x"},"phoneNumber":{"value":"y"}}],"answeredFor":{"value":"+1","isAnonymous":true}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out CallConnectionProperties
		if err := decodeResponse(data, &out); err != nil {
			return
		}
		for _, id := range out.Targets {
			_ = id.Raw()
			if _, err := encodeBody(&CreateCallRequest{Targets: []Identifier{id}, CallbackURI: "https://x"}); err != nil {
				t.Fatalf("a decoded identifier does not encode in a request: %v", err)
			}
		}
		if out.Source != nil {
			_ = out.Source.Raw()
		}
		if _, err := json.Marshal(&out); err != nil {
			t.Fatalf("a decoded response does not encode again: %v", err)
		}
	})
}

func FuzzDecodeParticipants(f *testing.F) {
	f.Add([]byte(`{"value":[{"identifier":{"kind":"communicationUser","communicationUser":{"id":"8:acs:p"}},"isMuted":true}],"nextLink":"/next?x=1"}`))
	f.Add([]byte(`{"value":[{"identifier":{"rawId":"4:+1_"}},{"identifier":{"kind":"microsoftTeamsUser","rawId":"8:teamsvisitor:"}}]}`))
	f.Add([]byte(`{"participant":{"identifier":{"rawId":"28:gcch:app"}},"invitationId":"i"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page participantsPage
		if err := decodeResponse(data, &page); err == nil {
			for _, p := range page.Value {
				_ = p.Identifier.Raw()
				if _, err := encodeBody(&MuteParticipantsRequest{CallConnectionID: "c", TargetParticipants: []Identifier{p.Identifier}}); err != nil {
					t.Fatalf("a decoded identifier does not encode in a request: %v", err)
				}
			}
		}
		var one CallParticipant
		_ = decodeResponse(data, &one)
		var added AddParticipantResponse
		if err := decodeResponse(data, &added); err == nil && added.Participant != nil {
			_ = added.Participant.Identifier.String()
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, "", []byte(`{"error":{"code":"8523","message":"m","innererror":{"code":"i"},"details":[{"code":"d"}]}}`))
	f.Add(429, "7", []byte(`{"error":{"code":"TooMany","message":"slow down"}}`))
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html>oops</html>`))
	f.Add(401, "1e400", []byte(`{"error":null}`))
	f.Add(500, "NaN", []byte(`{"error":{"innererror":{"innererror":{"innererror":{}}}}}`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		status = 400 + (status%200+200)%200 // 400..599, as decodeError is called
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("Retry-After-Ms", retryAfter)
		h.Set(headerChainID, retryAfter)
		e := decodeError("Op", status, h, body, "rid", time.Unix(1_700_000_000, 0))
		if e.StatusCode != status || e.Message == "" {
			t.Fatalf("decoded %+v", e)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxParsedRetryAfter {
			t.Fatalf("RetryAfter %s out of range", e.RetryAfter)
		}
		if !strings.HasPrefix(e.Error(), "acs: Op: ") {
			t.Fatalf("Error() = %q", e.Error())
		}
		if st := GRPCStatus(e); st.Code() == 0 {
			t.Fatalf("an error mapped to OK")
		}
	})
}

func FuzzParseRawID(f *testing.F) {
	for _, s := range []string{"8:acs:a_b_c", "4:+1_", "4:anonymous", "8:teamsvisitor:x", "28:orgid:", "::", "8:acs:", "4:", "_:_:_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, id := range []Identifier{
			parseRawID(raw), CommunicationUser(raw), PhoneNumber(raw), MicrosoftTeamsUser(raw, Cloud(raw)),
			MicrosoftTeamsApp(raw, ""), TeamsExtensionUser(raw, raw, raw, CloudDoD), UnknownIdentifier(raw),
			{Kind: IdentifierKind(raw), PhoneNumber: &PhoneNumberModel{Value: raw, IsAnonymous: true, AssertedID: raw}},
		} {
			checkIdentifierEncoding(t, id)
		}
		id, err := ParseRawID(raw)
		if raw == "" {
			if err == nil {
				t.Fatal("empty raw ID accepted")
			}
			return
		}
		if err != nil || id.Raw() != raw || id.Kind == "" {
			t.Fatalf("ParseRawID(%q) = %+v, %v", raw, id, err)
		}
		if !utf8.ValidString(raw) {
			return // JSON replaces invalid UTF-8, so no round trip
		}
		data, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back Identifier
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back.Raw() != raw || back.Kind != id.Kind {
			t.Fatalf("round trip of %q gave %+v", raw, back)
		}
	})
}

// checkIdentifierEncoding compares the hand-written encoder with encoding/json.
func checkIdentifierEncoding(t *testing.T, id Identifier) {
	t.Helper()
	var ref bytes.Buffer
	enc := json.NewEncoder(&ref)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(identifierJSON(id.normalized())); err != nil {
		t.Fatal(err)
	}
	mine, err := id.MarshalJSON()
	if err != nil || string(mine)+"\n" != ref.String() {
		t.Fatalf("MarshalJSON %s (%v)\nencoding/json %s", mine, err, ref.String())
	}
}
