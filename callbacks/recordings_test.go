package callbacks

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func (f *fixture) readRecording(t *testing.T, recordingID string, n int) []*callgatev1.RecordingEvent {
	t.Helper()
	entries, err := f.log.RecordingEvents(testContext(t), recordingID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("recording %s has %d events, want %d", recordingID, len(entries), n)
	}
	out := make([]*callgatev1.RecordingEvent, n)
	for i, e := range entries {
		out[i] = &callgatev1.RecordingEvent{}
		if err := proto.Unmarshal(e.Payload, out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The live RecordingStateChanged reaches its call's log typed, and the recordings log by its
// recording ID; one that names no call connection reaches the recordings log alone.
func TestRecordingStateChangedSample(t *testing.T) {
	f := newFixture(t, false)
	b, err := os.ReadFile(filepath.Join(samplesDir, "python-live-2024-09-01-preview_start-recording-call-connection-id.event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var byType map[string]map[string]any
	if err := json.Unmarshal(b, &byType); err != nil {
		t.Fatal(err)
	}
	sample := byType["RecordingStateChanged"]
	data := sample["data"].(map[string]any)
	callID, recordingID := data["callConnectionId"].(string), data["recordingId"].(string)
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{sample})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	ev := f.readCall(t, callID, 1)[0]
	rsc := ev.GetRecordingStateChanged()
	if rsc.GetRecordingId() != recordingID || rsc.GetState() != callgatev1.RecordingState_RECORDING_STATE_ACTIVE ||
		rsc.GetRecordingKind() != callgatev1.RecordingKind_RECORDING_KIND_AZURE_COMMUNICATION_SERVICES || rsc.GetStartDateTime().AsTime().Year() != 2025 {
		t.Errorf("RecordingStateChanged typed as %v", rsc)
	}
	rec := f.readRecording(t, recordingID, 1)[0]
	if rec.GetRecordingStateChanged().GetState() != callgatev1.RecordingState_RECORDING_STATE_ACTIVE || rec.GetCallConnectionId() != callID || rec.GetId() != sample["id"] {
		t.Errorf("recordings log has %v", rec)
	}

	// No call connection: the recording's log only (the source names the recording).
	delete(data, "callConnectionId")
	delete(data, "recordingId")
	sample["id"] = "second-event"
	data["state"] = "inactive"
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{sample})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST without a call connection = %d", resp.StatusCode)
	}
	recs := f.readRecording(t, recordingID, 2)
	if recs[1].GetRecordingStateChanged().GetState() != callgatev1.RecordingState_RECORDING_STATE_INACTIVE || recs[1].GetCallConnectionId() != "" {
		t.Errorf("second event %v", recs[1])
	}
	// StartRecordingFailed (no live sample: the state event's envelope with ACS's failure data)
	// reaches the call's log typed.
	failed := mustJSON(t, []any{map[string]any{"id": "failed-event", "source": sample["source"], "subject": sample["subject"],
		"type": "Microsoft.Communication.StartRecordingFailed", "specversion": "1.0", "time": sample["time"],
		"data": map[string]any{"callConnectionId": callID, "recordingId": recordingID, "correlationId": data["correlationId"],
			"resultInformation": map[string]any{"code": 400, "subCode": 8500, "message": "failed"}}}})
	if resp := f.post(t, f.callsURL(), "application/json", "", failed); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST StartRecordingFailed = %d", resp.StatusCode)
	}
	if ev := f.readCall(t, callID, 2)[1]; ev.GetStartRecordingFailed().GetRecordingId() != recordingID || ev.GetResultInformation().GetSubCode() != 8500 {
		t.Errorf("StartRecordingFailed typed as %v", ev)
	}
	// Any other event without a call connection is still refused.
	sample["type"] = "Microsoft.Communication.PlayCompleted"
	sample["id"] = "third-event"
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{sample})); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a call event naming no call connection: %d", resp.StatusCode)
	}
}

// The documented Event Grid RecordingFileStatusUpdated is stored by the recording its subject
// names, typed, with its locations kept in its data.
func TestRecordingFileStatusUpdatedSample(t *testing.T) {
	f := newFixture(t, false)
	body, err := os.ReadFile(filepath.Join(samplesDir, "eventgrid-schema_RecordingFileStatusUpdated.json"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivery is stored once
		if resp := f.post(t, f.eventGridURL(), "application/json", "", string(body)); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST = %d", resp.StatusCode)
		}
	}
	rec := f.readRecording(t, "{recording-id}", 1)[0]
	files := rec.GetRecordingFileStatusUpdated()
	chunks := files.GetRecordingStorageInfo().GetRecordingChunks()
	if len(chunks) != 1 || chunks[0].GetDocumentId() != "0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8" || chunks[0].GetEndReason() != "SessionEnded" ||
		files.GetRecordingDurationMs() != 6620 || files.GetSessionEndReason() != "CallEnded" || rec.GetServerCallId() != "{server-call-id}" {
		t.Errorf("typed as %v", rec)
	}
	loc := rec.GetData().GetFields()["recordingStorageInfo"].GetStructValue().GetFields()["recordingChunks"].GetListValue().GetValues()[0].GetStructValue().GetFields()["contentLocation"].GetStringValue()
	if loc != "https://storage.asm.skype.com/v1/objects/0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8/content/video" {
		t.Errorf("content location kept as %q", loc)
	}
	if rec.GetType() != "Microsoft.Communication.RecordingFileStatusUpdated" || rec.GetTime().AsTime().Year() != 2021 {
		t.Errorf("envelope %v", rec)
	}
	// A subject without a recording is refused.
	if resp := f.post(t, f.eventGridURL(), "application/json", "", `[{"id":"x","subject":"/recording/call/c","eventType":"Microsoft.Communication.RecordingFileStatusUpdated","data":{}}]`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no recording ID: %d", resp.StatusCode)
	}
}
