package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzIdentifier feeds request identifiers to the normalizer: it must never
// panic, and what it accepts has a kind and a bounded, printable raw ID that
// parses back to the same identifier.
func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{
		`{"kind":"communicationUser","rawId":"8:acs:r_a","communicationUser":{"id":"8:acs:r_a"}}`,
		`{"rawId":"8:acs:r_t_u"}`,
		`{"phoneNumber":{"value":"anonymous","isAnonymous":true}}`,
		`{"rawId":"8:acs:r_a\u0000"}`,
		`{"kind":"phoneNumber","phoneNumber":{"value":"+16041234567","isAnonymous":false}}`,
		`{"microsoftTeamsUser":{"userId":"u","cloud":"dod"}}`,
		`{"rawId":"28:orgid:app"}`,
		`{"teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r"}}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in identifierModel
		if json.Unmarshal(b, &in) != nil {
			return
		}
		out, _, err := normalizeIdentifier(&in, existingParty)
		if err != nil {
			return
		}
		if out.Kind == "" || idStringProblem(out.RawID, maxIdentifierBytes) != "" || out.RawID == "" {
			t.Fatalf("accepted %s as %+v", b, out)
		}
		back, err := parseRawID(out.RawID, existingParty)
		if err != nil || back.RawID != out.RawID || (back.Kind != out.Kind && out.Kind != kindCommunicationUser) {
			t.Fatalf("accepted %s as %+v, whose raw ID parses to %+v, %v", b, out, back, err)
		}
	})
}

// FuzzVerifyHMAC feeds arbitrary Authorization headers and dates: no panic,
// and nothing unsigned gets through.
func FuzzVerifyHMAC(f *testing.F) {
	f.Add("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc", "Tue, 24 Nov 2026 00:26:47 GMT", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	f.Add("HMAC-SHA256 &&==", "", "")
	f.Fuzz(func(t *testing.T, auth, date, hash string) {
		r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/calling/callConnections/x?api-version=2026-03-12", nil)
		r.Header.Set("Authorization", auth)
		r.Header.Set("x-ms-date", date)
		r.Header.Set("x-ms-content-sha256", hash)
		if verifyHMAC(r, nil, []byte("key"), time.Date(2026, 11, 24, 0, 26, 47, 0, time.UTC)) == nil &&
			!strings.Contains(auth, "Signature=") {
			t.Fatalf("accepted %q", auth)
		}
	})
}

// What applications send on bidirectional streams and as WAV voices, and Range headers, are
// outside input.
func FuzzStreamInput(f *testing.F) {
	f.Add([]byte(`{"kind":"audioData","audioData":{"data":"AAAAAA==","isSilent":false},"stopAudio":{}}`), []byte("RIFF\x24\x00\x00\x00WAVEfmt "), "bytes=0-")
	f.Add([]byte(`{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}`), wavFile([]int16{1, 2, 3}, 1, 16000), "bytes=1-2")
	f.Fuzz(func(t *testing.T, msg, wav []byte, rng string) {
		s := &wsStream{kind: streamMedia, bidirectional: true, rate: 16000, c: &callConn{received: newReceivedAudio()}}
		s.inbound(msg)
		if samples, err := parseWAV(wav); err == nil && len(samples) > 48000*int(len(wav)) {
			t.Fatalf("%d samples from %d bytes", len(samples), len(wav))
		}
		if from, to, err := parseRange(rng, 100); err == nil && (from < 0 || to >= 100 || from > to) {
			t.Fatalf("range %q: %d-%d", rng, from, to)
		}
	})
}
