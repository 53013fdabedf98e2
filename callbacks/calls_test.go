package callbacks

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const samplesDir = "../../shared/spec/callautomation/events-samples"

// sampleEvents collects the CloudEvents of the live recordings, which store them keyed by type
// (a list or a single object per type). IncomingCall entries are Event Grid data, not CloudEvents.
func sampleEvents(t *testing.T) []map[string]any {
	t.Helper()
	var all []map[string]any
	for _, name := range []string{
		"python-live-2026-03-12_play-invalid-file.event.json",
		"python-live-2024-09-01-preview_add-and-mute.event.json",
	} {
		b, err := os.ReadFile(filepath.Join(samplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var byType map[string]json.RawMessage
		if err := json.Unmarshal(b, &byType); err != nil {
			t.Fatal(err)
		}
		for typ, raw := range byType {
			if typ == "IncomingCall" {
				continue
			}
			var list []map[string]any
			if err := json.Unmarshal(raw, &list); err != nil {
				var one map[string]any
				if err := json.Unmarshal(raw, &one); err != nil {
					t.Fatalf("%s %s: %v", name, typ, err)
				}
				list = []map[string]any{one}
			}
			all = append(all, list...)
		}
	}
	b, err := os.ReadFile(filepath.Join(samplesDir, "python-live-2024-04-15_add-participant-then-cancel.extracted.json"))
	if err != nil {
		t.Fatal(err)
	}
	var batch []map[string]any
	if err := json.Unmarshal(b, &batch); err != nil {
		t.Fatal(err)
	}
	return append(all, batch...)
}

func TestLiveSamplesComeOutTypedAndComplete(t *testing.T) {
	f := newFixture(t, false)
	events := sampleEvents(t)
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, events)); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	byCall := map[string][]map[string]any{}
	for _, e := range events {
		id := e["data"].(map[string]any)["callConnectionId"].(string)
		byCall[id] = append(byCall[id], e)
	}
	for callID, sent := range byCall {
		got := f.readCall(t, callID, len(sent))
		for i, ev := range got {
			want := sent[i]
			data := want["data"].(map[string]any)
			if ev.GetId() != want["id"] || ev.GetType() != want["type"] {
				t.Errorf("event %d of %s: got %s %s, want %s %s (arrival order)", i, callID, ev.GetId(), ev.GetType(), want["id"], want["type"])
				continue
			}
			if ev.GetCallConnectionId() != callID || ev.GetServerCallId() != data["serverCallId"] || ev.GetCorrelationId() != data["correlationId"] {
				t.Errorf("%s: IDs %q %q %q", ev.GetType(), ev.GetCallConnectionId(), ev.GetServerCallId(), ev.GetCorrelationId())
			}
			if ev.GetTime() == nil {
				t.Errorf("%s: no time", ev.GetType())
			}
			if ri, ok := data["resultInformation"].(map[string]any); ok {
				if float64(ev.GetResultInformation().GetCode()) != ri["code"] || float64(ev.GetResultInformation().GetSubCode()) != ri["subCode"] {
					t.Errorf("%s: result %v, want %v", ev.GetType(), ev.GetResultInformation(), ri)
				}
			}
			// The original data reaches watchers whole, including fields not modelled.
			if ev.GetData().GetFields()["publicEventType"].GetStringValue() != want["type"] {
				t.Errorf("%s: data lost publicEventType: %v", ev.GetType(), ev.GetData())
			}
			switch ev.GetType() {
			case "Microsoft.Communication.CallConnected":
				if ev.GetCallConnected() == nil {
					t.Error("CallConnected not typed")
				}
			case "Microsoft.Communication.CallDisconnected":
				if ev.GetCallDisconnected() == nil {
					t.Error("CallDisconnected not typed")
				}
			case "Microsoft.Communication.ParticipantsUpdated":
				pu := ev.GetParticipantsUpdated()
				parts := data["participants"].([]any)
				if pu == nil || len(pu.GetParticipants()) != len(parts) || float64(pu.GetSequenceNumber()) != data["sequenceNumber"] {
					t.Errorf("ParticipantsUpdated: %v, want %d participants", pu, len(parts))
					continue
				}
				for j, p := range parts {
					pm := p.(map[string]any)
					got := pu.GetParticipants()[j]
					if got.GetIdentifier().GetRawId() != pm["identifier"].(map[string]any)["rawId"] || got.GetIdentifier().GetCommunicationUser() == nil {
						t.Errorf("participant %d: %v", j, got)
					}
					if muted, _ := pm["isMuted"].(bool); got.GetIsMuted() != muted {
						t.Errorf("participant %d: muted %v, want %v", j, got.GetIsMuted(), muted)
					}
					if hold, _ := pm["isOnHold"].(bool); got.GetIsOnHold() != hold {
						t.Errorf("participant %d: on hold %v, want %v", j, got.GetIsOnHold(), hold)
					}
				}
			case "Microsoft.Communication.CancelAddParticipantSucceeded":
				if ev.GetCancelAddParticipantSucceeded().GetInvitationId() != data["invitationId"] {
					t.Errorf("CancelAddParticipantSucceeded: %v", ev.GetCancelAddParticipantSucceeded())
				}
			case "Microsoft.Communication.PlayFailed":
				// failedPlaySourceIndex 0 is set, not left out as a zero.
				if pf := ev.GetPlayFailed(); pf == nil || pf.FailedPlaySourceIndex == nil || pf.GetFailedPlaySourceIndex() != 0 {
					t.Errorf("PlayFailed: event %v, data %v", ev.GetEvent(), ev.GetData())
				}
			default:
				t.Errorf("unexpected sample type %s", ev.GetType())
			}
		}
	}
}

func TestEveryCallControlEventIsTyped(t *testing.T) {
	f := newFixture(t, false)
	user := map[string]any{"kind": "communicationUser", "rawId": "8:acs:u1", "communicationUser": map[string]any{"id": "8:acs:u1"}}
	phone := map[string]any{"kind": "phoneNumber", "rawId": "4:+16041234567", "phoneNumber": map[string]any{"value": "+16041234567"}}
	failed := map[string]any{"resultInformation": map[string]any{"code": 487, "subCode": 5300, "message": "cancelled",
		"sipDetails": map[string]any{"code": 487, "message": "Request Terminated"}}}
	with := func(m map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{"operationContext": "op-1"}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		typ   string
		data  map[string]any
		check func(*callgatev1.CallEvent) bool
	}{
		{"CallConnected", nil, func(e *callgatev1.CallEvent) bool { return e.GetCallConnected() != nil }},
		{"CallDisconnected", failed, func(e *callgatev1.CallEvent) bool { return e.GetCallDisconnected() != nil }},
		{"CreateCallFailed", failed, func(e *callgatev1.CallEvent) bool { return e.GetCreateCallFailed() != nil }},
		{"AnswerFailed", failed, func(e *callgatev1.CallEvent) bool { return e.GetAnswerFailed() != nil }},
		{"ConnectFailed", failed, func(e *callgatev1.CallEvent) bool { return e.GetConnectFailed() != nil }},
		{"ParticipantsUpdated", map[string]any{"sequenceNumber": 7, "participants": []any{map[string]any{"identifier": phone, "isMuted": true}}},
			func(e *callgatev1.CallEvent) bool {
				p := e.GetParticipantsUpdated().GetParticipants()
				return e.GetParticipantsUpdated().GetSequenceNumber() == 7 && len(p) == 1 && p[0].GetIsMuted() &&
					p[0].GetIdentifier().GetPhoneNumber().GetValue() == "+16041234567"
			}},
		{"AddParticipantSucceeded", map[string]any{"participant": phone}, func(e *callgatev1.CallEvent) bool {
			return e.GetAddParticipantSucceeded().GetParticipant().GetRawId() == "4:+16041234567"
		}},
		{"AddParticipantFailed", with(failed, map[string]any{"participant": user}), func(e *callgatev1.CallEvent) bool {
			return e.GetAddParticipantFailed().GetParticipant().GetCommunicationUser().GetId() == "8:acs:u1"
		}},
		{"CancelAddParticipantSucceeded", map[string]any{"invitationId": "inv-1"}, func(e *callgatev1.CallEvent) bool {
			return e.GetCancelAddParticipantSucceeded().GetInvitationId() == "inv-1"
		}},
		{"CancelAddParticipantFailed", with(failed, map[string]any{"invitationId": "inv-2"}), func(e *callgatev1.CallEvent) bool {
			return e.GetCancelAddParticipantFailed().GetInvitationId() == "inv-2"
		}},
		{"RemoveParticipantSucceeded", map[string]any{"participant": user}, func(e *callgatev1.CallEvent) bool {
			return e.GetRemoveParticipantSucceeded().GetParticipant().GetRawId() == "8:acs:u1"
		}},
		{"RemoveParticipantFailed", with(failed, map[string]any{"participant": user}), func(e *callgatev1.CallEvent) bool {
			return e.GetRemoveParticipantFailed().GetParticipant().GetRawId() == "8:acs:u1"
		}},
		{"CallTransferAccepted", map[string]any{"transferTarget": phone, "transferee": user}, func(e *callgatev1.CallEvent) bool {
			a := e.GetCallTransferAccepted()
			return a.GetTransferTarget().GetRawId() == "4:+16041234567" && a.GetTransferee().GetRawId() == "8:acs:u1"
		}},
		{"CallTransferFailed", failed, func(e *callgatev1.CallEvent) bool { return e.GetCallTransferFailed() != nil }},
		{"SomethingNew", map[string]any{"novel": "kept"}, func(e *callgatev1.CallEvent) bool {
			return e.GetEvent() == nil && e.GetData().GetFields()["novel"].GetStringValue() == "kept"
		}},
	}
	var batch []map[string]any
	for i, c := range cases {
		batch = append(batch, event("ev-"+c.typ, "call-typed", c.typ, with(c.data, nil)))
		_ = i
	}
	if resp := f.post(t, f.callsURL(), "application/cloudevents-batch+json", "", mustJSON(t, batch)); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-typed", len(cases))
	for i, c := range cases {
		ev := got[i]
		if ev.GetType() != "Microsoft.Communication."+c.typ || !c.check(ev) {
			t.Errorf("%s: got %v", c.typ, ev)
		}
		if ev.GetOperationContext() != "op-1" {
			t.Errorf("%s: operation context %q", c.typ, ev.GetOperationContext())
		}
		if c.data["resultInformation"] != nil {
			ri := ev.GetResultInformation()
			if ri.GetCode() != 487 || ri.GetSubCode() != 5300 || ri.GetSipDetails().GetCode() != 487 {
				t.Errorf("%s: result information %v", c.typ, ri)
			}
		}
	}
}

func TestSingleEventAndDuplicateDeliveryStoredOnce(t *testing.T) {
	f := newFixture(t, false)
	first := event("dup-1", "call-dup", "CallConnected", nil)
	second := event("dup-2", "call-dup", "CallDisconnected", nil)
	// A single object (not an array), as application/cloudevents+json.
	for _, body := range []string{mustJSON(t, first), mustJSON(t, []any{first}), mustJSON(t, []any{first, second}), mustJSON(t, second)} {
		if resp := f.post(t, f.callsURL(), "application/cloudevents+json", "", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST = %d", resp.StatusCode)
		}
	}
	// A marker after the redeliveries: if a duplicate had been stored, it would come before it.
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{event("marker", "call-dup", "ParticipantsUpdated", nil)})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-dup", 3)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.GetId())
	}
	if strings.Join(ids, ",") != "dup-1,dup-2,marker" {
		t.Errorf("stored %v, want each event once: dup-1,dup-2,marker", ids)
	}
}

func TestArrivalOrderNotTimestampOrder(t *testing.T) {
	f := newFixture(t, false)
	late := event("a-late", "call-order", "ParticipantsUpdated", nil)
	late["time"] = "2026-11-25T10:00:09+00:00"
	early := event("b-early", "call-order", "CallConnected", nil)
	early["time"] = "2026-11-25T10:00:01+00:00"
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{late, early})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-order", 2)
	if got[0].GetId() != "a-late" || got[1].GetId() != "b-early" || got[0].GetSequence() >= got[1].GetSequence() {
		t.Errorf("order %s(%d) %s(%d), want arrival order", got[0].GetId(), got[0].GetSequence(), got[1].GetId(), got[1].GetSequence())
	}
}

func TestMalformedAndOversizedBodies(t *testing.T) {
	f := newFixture(t, false)
	for _, c := range []struct {
		name, body string
		want       int
	}{
		{"not JSON", "{not json", http.StatusBadRequest},
		{"a JSON string", `"hello"`, http.StatusBadRequest},
		{"empty", "", http.StatusBadRequest},
		{"event without id", `[{"type":"Microsoft.Communication.CallConnected","data":{"callConnectionId":"c"}}]`, http.StatusBadRequest},
		{"event without a call", `[{"id":"x","type":"Microsoft.Communication.CallConnected","data":{}}]`, http.StatusBadRequest},
		{"data not an object", `[{"id":"x","type":"T","source":"calling/callConnections/c","data":[1]}]`, http.StatusBadRequest},
		// Stored, no client could decode it, nor the events after it on a stream.
		{"data nested too deep", `[{"id":"x","type":"T","source":"calling/callConnections/c","data":{"a":` + strings.Repeat("[", maxDataDepth) + strings.Repeat("]", maxDataDepth) + `}}]`, http.StatusBadRequest},
		{"a recording's data nested too deep", `[{"id":"x","type":"Microsoft.Communication.RecordingStateChanged","source":"calling/recordings/s/r/recordingStateChanged","data":{"recordingId":"r","state":"active","a":` + strings.Repeat("[", maxDataDepth) + strings.Repeat("]", maxDataDepth) + `}}]`, http.StatusBadRequest},
		{"too large", `[` + strings.Repeat(" ", 65<<10) + `]`, http.StatusRequestEntityTooLarge},
		// A 400, not a 503: delivering it again could never store it.
		{"call ID too long for the log", `[{"id":"x","type":"T","data":{"callConnectionId":"` + strings.Repeat("c", 2000) + `"}}]`, http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			if resp := f.post(t, f.callsURL(), "application/json", "", c.body); resp.StatusCode != c.want {
				t.Errorf("POST = %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, f.callsURL(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", resp.StatusCode)
	}
}

// An unreadable time does not cost the delivery's other events: the event is kept without it.
func TestUnreadableTimeKeepsTheEvent(t *testing.T) {
	f := newFixture(t, false)
	odd := event("odd-time", "call-time", "CallConnected", nil)
	odd["time"] = "yesterday"
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{odd, event("next", "call-time", "ParticipantsUpdated", nil)})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-time", 2)
	if got[0].GetId() != "odd-time" || got[0].GetTime() != nil || got[0].GetCallConnected() == nil || got[1].GetId() != "next" {
		t.Errorf("stored %v", got)
	}
}

func TestStoreFailureAsksForRedelivery(t *testing.T) {
	f := newFixture(t, false)
	if err := f.log.Close(); err != nil {
		t.Fatal(err)
	}
	resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{event("lost?", "call-x", "CallConnected", nil)}))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST with the log down = %d, want 503 so that ACS delivers again", resp.StatusCode)
	}
}

func TestParsedEventsSurviveTheLog(t *testing.T) {
	// What the handler stores is exactly what it parsed: a round trip keeps every field.
	ce := cloudEvent{ID: "x", Type: "Microsoft.Communication.CallConnected", Source: "calling/callConnections/c1",
		Time: "2026-11-25T10:00:00.1234567+00:00", Data: map[string]any{"operationContext": "o"}}
	ev, err := parseCallEvent(ce)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeCallEvent(ev, ce.Data)
	if err != nil {
		t.Fatal(err)
	}
	back := &callgatev1.CallEvent{}
	if err := proto.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(ev).(*callgatev1.CallEvent)
	want.Data, _ = structpb.NewStruct(ce.Data)
	if !proto.Equal(want, back) {
		t.Fatalf("round trip: %v, want %v", back, want)
	}
	if back.GetCallConnectionId() != "c1" || back.GetTime().AsTime().Nanosecond() != 123456700 {
		t.Errorf("call %q time %v", back.GetCallConnectionId(), back.GetTime().AsTime())
	}
	keys := make([]string, 0)
	for k := range back.GetData().GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "operationContext" {
		t.Errorf("data keys %v", keys)
	}
}
