package callbacks

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func (f *fixture) eventGridURL() string { return f.srv.URL + EventGridPath + "?token=" + testSecret }

func TestSubscriptionValidationHandshake(t *testing.T) {
	f := newFixture(t, false)
	body, err := os.ReadFile(filepath.Join(samplesDir, "eventgrid-schema_SubscriptionValidationEvent.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(f.eventGridURL(), "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Event Grid accepts only 200 with the code echoed back (a 202 would not validate).
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["validationResponse"] != "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" {
		t.Errorf("validationResponse = %q", got["validationResponse"])
	}
	// Without the secret, no handshake: a stranger cannot subscribe us to anything.
	if resp := f.post(t, f.srv.URL+EventGridPath, "application/json", "", string(body)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("handshake without the secret: %d, want 401", resp.StatusCode)
	}
}

func TestCloudEventsWebhookHandshake(t *testing.T) {
	f := newFixture(t, false)
	req, _ := http.NewRequest(http.MethodOptions, f.eventGridURL(), nil)
	req.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("WebHook-Allowed-Origin") != "eventgrid.azure.net" {
		t.Errorf("OPTIONS = %d, allowed origin %q", resp.StatusCode, resp.Header.Get("WebHook-Allowed-Origin"))
	}
	req, _ = http.NewRequest(http.MethodOptions, f.srv.URL+EventGridPath+"?token=wrong", nil)
	req.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("OPTIONS with a wrong secret = %d, want 401", resp.StatusCode)
	}
}

func TestIncomingCallBothSchemas(t *testing.T) {
	f := newFixture(t, false)
	egSample, err := os.ReadFile(filepath.Join(samplesDir, "eventgrid-schema_IncomingCall.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The live recording's IncomingCall data, delivered in the CloudEvents schema.
	live, err := os.ReadFile(filepath.Join(samplesDir, "python-live-2024-09-01-preview_add-and-mute.event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		IncomingCall json.RawMessage `json:"IncomingCall"`
	}
	if err := json.Unmarshal(live, &rec); err != nil {
		t.Fatal(err)
	}
	cloud := `[{"specversion":"1.0","id":"ce-incoming-1","source":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Communication/communicationServices/z",
		"type":"Microsoft.Communication.IncomingCall","time":"2024-09-01T10:00:00.1234567Z","subject":"/caller/a/recipient/b","data":` + string(rec.IncomingCall) + `}]`

	if resp := f.post(t, f.eventGridURL(), "application/json", "", string(egSample)); resp.StatusCode != http.StatusOK {
		t.Fatalf("Event Grid schema POST = %d", resp.StatusCode)
	}
	if resp := f.post(t, f.eventGridURL(), "application/cloudevents-batch+json", "", cloud); resp.StatusCode != http.StatusOK {
		t.Fatalf("CloudEvents schema POST = %d", resp.StatusCode)
	}
	// Redelivered: stored once.
	if resp := f.post(t, f.eventGridURL(), "application/json", "", string(egSample)); resp.StatusCode != http.StatusOK {
		t.Fatalf("redelivery POST = %d", resp.StatusCode)
	}
	if resp := f.post(t, f.eventGridURL(), "application/json", "", `[{"id":"other","eventType":"Microsoft.Communication.ChatMessageReceived","data":{}}]`); resp.StatusCode != http.StatusOK {
		t.Fatalf("other event type POST = %d", resp.StatusCode)
	}
	if resp := f.post(t, f.eventGridURL(), "application/cloudevents+json", "", strings.Replace(cloud, "ce-incoming-1", "ce-incoming-2", 1)); resp.StatusCode != http.StatusOK {
		t.Fatalf("marker POST = %d", resp.StatusCode)
	}

	got := f.readIncoming(t, 3)
	eg, ce, marker := got[0], got[1], got[2]
	if eg.GetId() != "e80026e7-e298-46ba-bc42-dab0eda92581" || ce.GetId() != "ce-incoming-1" || marker.GetId() != "ce-incoming-2" {
		t.Fatalf("stored %s, %s, %s: want each delivery once, in order", eg.GetId(), ce.GetId(), marker.GetId())
	}
	if eg.GetTo().GetRawId() != "{recipient-id}" || eg.GetFrom().GetCommunicationUser().GetId() != "{caller-id}" ||
		eg.GetCallerDisplayName() != "VOIP Caller" || eg.GetIncomingCallContext() != "{incoming-call-contextValue}" ||
		eg.GetServerCallId() != "{server-call-id}" || eg.GetCorrelationId() != "correlationId" || eg.GetTime() == nil {
		t.Errorf("Event Grid schema IncomingCall: %v", eg)
	}
	cc := eg.GetCustomContext()
	if cc.GetSipUserToUser() != "616d617a6f6e5f6368696;encoding=hex" || cc.GetSipXHeaders()["myheader1"] != "35567842" ||
		cc.GetSipXHeaders()["myheader2"] != "customsipheadervalue" || cc.GetVoipHeaders()["customHeader"] != "customValue" {
		t.Errorf("custom context: %v", cc)
	}
	if ce.GetTo().GetCommunicationUser() == nil || ce.GetIncomingCallContext() == "" || ce.GetCorrelationId() == "" || ce.GetTime() == nil {
		t.Errorf("CloudEvents schema IncomingCall: %v", ce)
	}
	if ce.GetData().GetFields()["incomingCallContext"] == nil {
		t.Error("the original data was not kept")
	}
}

func TestEventGridRejectsMalformed(t *testing.T) {
	f := newFixture(t, false)
	deep := strings.Repeat("[", maxDataDepth) + strings.Repeat("]", maxDataDepth)
	for _, body := range []string{"nope", `[{"id":"v","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{}}]`, `[{"eventType":"Microsoft.Communication.IncomingCall","data":{}}]`,
		// Stored, no client could decode it, nor the incoming calls after it on a stream.
		`[{"id":"i","eventType":"Microsoft.Communication.IncomingCall","data":{"a":` + deep + `}}]`,
		`[{"id":"r","eventType":"Microsoft.Communication.RecordingFileStatusUpdated","subject":"/recording/call/s/serverCallId/x/recordingId/y","data":{"a":` + deep + `}}]`,
	} {
		resp, err := http.Post(f.eventGridURL(), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, resp.StatusCode, b)
		}
	}
}
