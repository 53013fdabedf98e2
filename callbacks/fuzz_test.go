package callbacks

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

// The callback bodies come from the internet: no input may panic the parsers, and whatever parses
// must survive the log's encoding.
func FuzzParseCallEvents(f *testing.F) {
	for _, name := range []string{"python-live-2024-04-15_add-participant-then-cancel.extracted.json"} {
		if b, err := os.ReadFile(filepath.Join(samplesDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"x","type":"Microsoft.Communication.ParticipantsUpdated","source":"calling/callConnections/c","data":{"participants":[{"identifier":{"kind":"phoneNumber"}}]}}`))
	f.Add([]byte(`[{"id":"x","type":"Microsoft.Communication.CallTransferAccepted","time":"2026-01-01T00:00:00Z","data":{"callConnectionId":"c","transferTarget":{"microsoftTeamsUser":{"cloud":"gcch"}}}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		envelopes, err := decodeEnvelopes[cloudEvent](body)
		if err != nil {
			return
		}
		for _, ce := range envelopes {
			ev, err := parseCallEvent(ce)
			if err != nil {
				continue
			}
			if ev.GetCallConnectionId() == "" || ev.GetId() == "" {
				t.Fatalf("parsed an event without call or id: %v", ev)
			}
			if _, err := encodeCallEvent(ev, ce.Data); err != nil {
				t.Fatalf("cannot encode parsed event: %v", err)
			}
		}
	})
}

func FuzzParseEventGrid(f *testing.F) {
	for _, name := range []string{"eventgrid-schema_IncomingCall.json", "eventgrid-schema_SubscriptionValidationEvent.json", "eventgrid-schema_RecordingFileStatusUpdated.json"} {
		if b, err := os.ReadFile(filepath.Join(samplesDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"id":"i","type":"Microsoft.Communication.IncomingCall","time":"x","data":{"customContext":{"sipHeaders":{"X-MS-Custom-":"v","User-To-User":"u"}}}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodeEnvelopes[gridEvent](body)
		if err != nil {
			return
		}
		for i := range events {
			if events[i].kind() == recordingFileStatusUpdatedType {
				if rec, err := parseRecordingFiles(&events[i]); err == nil {
					if rec.GetRecordingId() == "" {
						t.Fatal("a recording event without its recording")
					}
					if _, err := proto.Marshal(rec); err != nil {
						t.Fatalf("cannot encode parsed recording event: %v", err)
					}
				}
				continue
			}
			if events[i].kind() != incomingCallType {
				continue
			}
			call, err := parseIncomingCall(&events[i])
			if err != nil {
				continue
			}
			if _, err := proto.Marshal(call); err != nil {
				t.Fatalf("cannot encode parsed incoming call: %v", err)
			}
		}
	})
}
