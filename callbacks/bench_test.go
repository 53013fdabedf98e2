package callbacks

import (
	"encoding/json"
	"testing"
)

// BenchmarkParseParticipantsUpdated is the parse and encoding of one typical event, the per-event work
// of the callback handler before the append:
//
//	go test -run "^$" -bench ParseParticipantsUpdated ./callbacks/
func BenchmarkParseParticipantsUpdated(b *testing.B) {
	body := []byte(`{"id":"e1","source":"calling/callConnections/c1","type":"Microsoft.Communication.ParticipantsUpdated","subject":"calling/callConnections/c1","time":"2026-11-25T10:00:00.1234567+00:00","data":{"callConnectionId":"c1","serverCallId":"c2VydmVy","correlationId":"corr","sequenceNumber":3,"participants":[{"identifier":{"kind":"communicationUser","rawId":"8:acs:r_u1","communicationUser":{"id":"8:acs:r_u1"}},"isMuted":false,"isOnHold":false},{"identifier":{"kind":"phoneNumber","rawId":"4:+16471234567","phoneNumber":{"value":"+16471234567"}},"isMuted":false,"isOnHold":false}],"version":"2026-03-12","publicEventType":"Microsoft.Communication.ParticipantsUpdated"}}`)
	b.ReportAllocs()
	for b.Loop() {
		var ce cloudEvent
		if err := json.Unmarshal(body, &ce); err != nil {
			b.Fatal(err)
		}
		ev, err := parseCallEvent(ce)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := encodeCallEvent(ev, ce.Data); err != nil {
			b.Fatal(err)
		}
	}
}
