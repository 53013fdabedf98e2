package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var eventTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?\+00:00$`)

// checkEnvelope checks what every callback event must look like, after the
// live samples in events-samples/.
func checkEnvelope(t *testing.T, ev received, callID string) {
	t.Helper()
	e := ev.event
	want := "calling/callConnections/" + callID
	if e.Source != want || e.Subject != want {
		t.Errorf("%s: source %q subject %q, want %q", ev.kind(), e.Source, e.Subject, want)
	}
	if !strings.HasPrefix(e.Type, "Microsoft.Communication.") || e.SpecVersion != "1.0" || e.DataContentType != "application/json" {
		t.Errorf("%s: envelope %+v", ev.kind(), e)
	}
	if !eventTimeRE.MatchString(e.Time) {
		t.Errorf("%s: time %q is not in offset form with up to 7 fractional digits", ev.kind(), e.Time)
	}
	if len(e.ID) != 36 {
		t.Errorf("%s: id %q is not a UUID", ev.kind(), e.ID)
	}
	d := e.Data
	if d["callConnectionId"] != callID || d["version"] != DefaultAPIVersion || d["publicEventType"] != e.Type {
		t.Errorf("%s: data %v", ev.kind(), d)
	}
	if c, _ := d["correlationId"].(string); len(c) != 36 {
		t.Errorf("%s: correlationId %v", ev.kind(), d["correlationId"])
	}
	sc, _ := d["serverCallId"].(string)
	if u, err := base64.StdEncoding.DecodeString(sc); err != nil || !strings.HasPrefix(string(u), "https://") {
		t.Errorf("%s: serverCallId %q is not base64 of a URL", ev.kind(), sc)
	}
	if ev.kind() == evParticipantsUpdated {
		if _, ok := d["operationContext"]; ok {
			t.Errorf("ParticipantsUpdated carries operationContext")
		}
		if _, ok := d["sequenceNumber"].(float64); !ok {
			t.Errorf("ParticipantsUpdated has no sequenceNumber")
		}
	}
}

func TestCreateCallOneToOne(t *testing.T) {
	env := newEnv(t, nil)
	target := "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002"
	status, out, hdr := env.do(http.MethodPost, "/calling/callConnections", map[string]any{
		"targets": []any{acsUser(target)}, "callbackUri": env.recv.url("/cb"), "operationContext": "create-ctx",
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, out)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	var props map[string]any
	_ = json.Unmarshal(out, &props)
	id, _ := props["callConnectionId"].(string)
	if props["callConnectionState"] != "connecting" || props["callbackUri"] != env.recv.url("/cb") || len(id) != 36 {
		t.Fatalf("create answer %s", out)
	}
	// The service sends the display name of a created call even when empty.
	if name, ok := props["sourceDisplayName"]; !ok || name != "" {
		t.Errorf("sourceDisplayName %v (present: %v), want \"\"", name, ok)
	}
	for _, f := range []string{"serverCallId", "correlationId", "source", "targets"} {
		if _, ok := props[f]; !ok {
			t.Errorf("create answer lacks %s: %s", f, out)
		}
	}
	if src := props["source"].(map[string]any); src["rawId"] != env.srv.ApplicationID() || src["kind"] != "communicationUser" {
		t.Errorf("source %v", src)
	}
	if tg := props["targets"].([]any)[0].(map[string]any); tg["rawId"] != target {
		t.Errorf("targets %v", tg)
	}

	evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
	for _, ev := range evs {
		checkEnvelope(t, ev, id)
		if code, sub := resultOf(t, ev); code != 200 || sub != 0 {
			t.Errorf("%s result %d/%d", ev.kind(), code, sub)
		}
	}
	if evs[0].event.Data["operationContext"] != "create-ctx" {
		t.Errorf("CallConnected operationContext %v", evs[0].event.Data["operationContext"])
	}
	if got := participantIDs(t, evs[1]); len(got) != 2 || got[0] != env.srv.ApplicationID() || got[1] != target {
		t.Errorf("participants %v", got)
	}
	if evs[1].event.Data["sequenceNumber"].(float64) != 1 {
		t.Errorf("first sequenceNumber %v", evs[1].event.Data["sequenceNumber"])
	}

	var got callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+id, nil, &got)
	if got.SourceDisplayName == nil {
		t.Errorf("get call lacks sourceDisplayName")
	}
	if got.CallConnectionState != stateConnected || got.CallConnectionID != id {
		t.Errorf("get call %+v", got)
	}
	var list getParticipantsResponse
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+id+"/participants", nil, &list)
	if len(list.Value) != 2 {
		t.Errorf("participants %+v", list)
	}
	var p callParticipant
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+id+"/participants/"+url.PathEscape(target), nil, &p)
	if p.Identifier.RawID != target || p.Identifier.CommunicationUser.ID != target || p.IsMuted {
		t.Errorf("participant %+v", p)
	}
	status, out, _ = env.do(http.MethodGet, "/calling/callConnections/"+id+"/participants/"+url.PathEscape(user("nobody")), nil)
	if status != http.StatusNotFound || !strings.Contains(string(out), `"code":"8522"`) {
		t.Errorf("unknown participant: %d %s", status, out)
	}

	env.mustDo(http.StatusNoContent, http.MethodDelete, "/calling/callConnections/"+id, nil, nil)
	evs = env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evCallDisconnected)
	if code, sub := resultOf(t, evs[2]); code != 200 || sub != 7000 {
		t.Errorf("CallDisconnected %d/%d", code, sub)
	}
	status, out, _ = env.do(http.MethodGet, "/calling/callConnections/"+id, nil)
	if status != http.StatusNotFound || string(out) != `{"error":{"code":"8522","message":"Call not found."}}` {
		t.Errorf("get after hang up: %d %s", status, out)
	}
	status, _, _ = env.do(http.MethodDelete, "/calling/callConnections/"+id, nil)
	if status != http.StatusNotFound {
		t.Errorf("second hang up: %d", status)
	}
}

func TestCreateCallPSTNNeedsCallerID(t *testing.T) {
	env := newEnv(t, nil)
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections", map[string]any{
		"targets": []any{phone("+16471234567")}, "callbackUri": env.recv.url("/cb"),
	})
	if status != http.StatusBadRequest || !strings.Contains(string(out), `"code":"8523"`) {
		t.Fatalf("PSTN without caller ID: %d %s", status, out)
	}
	props := env.createCall(env.recv.url("/cb"), map[string]any{
		"sourceCallerIdNumber": map[string]any{"value": "+18001234567"}, "sourceDisplayName": "Contoso",
	}, phone("+16471234567"))
	if props.SourceCallerIDNumber == nil || props.SourceCallerIDNumber.Value != "+18001234567" || props.SourceDisplayName == nil || *props.SourceDisplayName != "Contoso" {
		t.Errorf("props %+v", props)
	}
	evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	if got := participantIDs(t, evs[1]); got[1] != "4:+16471234567" {
		t.Errorf("participants %v", got)
	}
}

func TestCreateGroupCall(t *testing.T) {
	env := newEnv(t, nil)
	env.script(user("late"), Behavior{AnswerDelay: &Duration{D: 100 * time.Millisecond}})
	env.script(user("declines"), Behavior{Answer: AnswerDecline})
	props := env.createCall(env.recv.url("/cb"), map[string]any{"sourceCallerIdNumber": map[string]any{"value": "+18888888888"}},
		phone("+18008008800"), acsUser(user("late")), acsUser(user("declines")))
	if len(props.Targets) != 3 {
		t.Fatalf("targets %+v", props.Targets)
	}
	evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated, evParticipantsUpdated)
	if got := participantIDs(t, evs[2]); len(got) != 3 || got[2] != user("late") {
		t.Errorf("final participants %v", got)
	}
	if evs[2].event.Data["sequenceNumber"].(float64) != 2 {
		t.Errorf("sequence %v", evs[2].event.Data["sequenceNumber"])
	}
}

func TestCreateCallFailures(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.InvitationTimeout = 50 * time.Millisecond })
	cases := []struct {
		answer    string
		code, sub int
	}{
		{AnswerDecline, 603, 8538},
		{AnswerBusy, 486, 8539},
		{AnswerNoAnswer, 487, 10004},
		{AnswerUnavailable, 480, 10037},
	}
	for _, tc := range cases {
		t.Run(tc.answer, func(t *testing.T) {
			target := user(tc.answer)
			env.script(target, Behavior{Answer: tc.answer})
			props := env.createCall(env.recv.url("/cb"), map[string]any{"operationContext": "op-" + tc.answer}, acsUser(target))
			evs := env.recv.waitKinds(props.CallConnectionID, evCreateCallFailed, evCallDisconnected)
			for _, ev := range evs {
				checkEnvelope(t, ev, props.CallConnectionID)
				if code, sub := resultOf(t, ev); code != tc.code || sub != tc.sub {
					t.Errorf("%s result %d/%d, want %d/%d", ev.kind(), code, sub, tc.code, tc.sub)
				}
			}
			if evs[0].event.Data["operationContext"] != "op-"+tc.answer {
				t.Errorf("operationContext %v", evs[0].event.Data["operationContext"])
			}
			if status, _, _ := env.do(http.MethodGet, "/calling/callConnections/"+props.CallConnectionID, nil); status != http.StatusNotFound {
				t.Errorf("failed call still answers GET: %d", status)
			}
		})
	}
}

func TestHangUpWhileRinging(t *testing.T) {
	env := newEnv(t, nil)
	env.script(user("slow"), Behavior{Answer: AnswerNoAnswer})
	props := env.createCall(env.recv.url("/cb"), nil, acsUser(user("slow")))
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+props.CallConnectionID+"/participants:add",
		map[string]any{"participantToAdd": acsUser(user("x"))})
	if status != http.StatusBadRequest || !strings.Contains(string(out), `"code":"8501"`) {
		t.Errorf("add on a connecting call: %d %s", status, out)
	}
	env.mustDo(http.StatusNoContent, http.MethodDelete, "/calling/callConnections/"+props.CallConnectionID, nil, nil)
	evs := env.recv.waitKinds(props.CallConnectionID, evCallDisconnected)
	if code, sub := resultOf(t, evs[0]); code != 200 || sub != 7000 {
		t.Errorf("result %d/%d", code, sub)
	}
}

func TestTerminateEndsEveryConnection(t *testing.T) {
	env := newEnv(t, nil)
	a := env.createCall(env.recv.url("/a"), nil, acsUser(user("one")), acsUser(user("two")))
	env.recv.waitKinds(a.CallConnectionID, evCallConnected, evParticipantsUpdated)
	var b callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:connect", map[string]any{
		"callLocator": map[string]any{"kind": "serverCallLocator", "serverCallId": a.ServerCallID},
		"callbackUri": env.recv.url("/b"),
	}, &b)
	if b.CallConnectionState != stateConnecting || b.ServerCallID != a.ServerCallID || len(b.Targets) != 0 {
		t.Errorf("connect answer %+v", b)
	}
	env.recv.waitKinds(b.CallConnectionID, evCallConnected, evParticipantsUpdated)
	env.mustDo(http.StatusNoContent, http.MethodPost, "/calling/callConnections/"+a.CallConnectionID+":terminate", nil, nil)
	// The connection that terminated gets 7000; the other learns that the
	// conversation ended (5001), as the two legs of the live sample do.
	for id, want := range map[string]resultInformation{a.CallConnectionID: resultEndedByAPI, b.CallConnectionID: resultConversationEnded} {
		evs := env.recv.waitFor(id, "CallDisconnected", func(evs []received) bool {
			return len(evs) > 0 && evs[len(evs)-1].kind() == evCallDisconnected
		})
		checkResult(t, evs[len(evs)-1], want)
	}
}

// checkResult checks an event's whole resultInformation.
func checkResult(t *testing.T, ev received, want resultInformation) {
	t.Helper()
	var got struct {
		Data struct {
			ResultInformation resultInformation `json:"resultInformation"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev.raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data.ResultInformation != want {
		t.Errorf("%s result %+v, want %+v", ev.kind(), got.Data.ResultInformation, want)
	}
}

func TestConnect(t *testing.T) {
	env := newEnv(t, nil)
	for _, loc := range []map[string]any{
		{"kind": "roomCallLocator", "roomId": "99411735203453342"},
		{"kind": "groupCallLocator", "groupCallId": "11111111-2222-3333-4444-555555555555"},
	} {
		var props callConnectionProperties
		env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:connect",
			map[string]any{"callLocator": loc, "callbackUri": env.recv.url("/cb"), "operationContext": "join"}, &props)
		evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
		if evs[0].event.Data["operationContext"] != "join" {
			t.Errorf("operationContext %v", evs[0].event.Data)
		}
		if got := participantIDs(t, evs[1]); len(got) != 1 || got[0] != env.srv.ApplicationID() {
			t.Errorf("participants %v", got)
		}
	}

	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:connect", map[string]any{
		"callLocator": map[string]any{"kind": "serverCallLocator", "serverCallId": "aHR0cHM6Ly9zZXJ2ZXItY2FsbC1pZA"},
		"callbackUri": env.recv.url("/cb"),
	}, &props)
	evs := env.recv.waitKinds(props.CallConnectionID, evConnectFailed)
	if code, sub := resultOf(t, evs[0]); code != 404 || sub != 8522 {
		t.Errorf("ConnectFailed %d/%d", code, sub)
	}

	// A server call ID is base64 of a conversation URL: anything else is refused
	// at once, where an unknown call of the right shape fails later.
	for _, garbage := range []string{"garbage", "aGVsbG8gd29ybGQ=", "%%%"} {
		status, out, _ := env.do(http.MethodPost, "/calling/callConnections:connect", map[string]any{
			"callLocator": map[string]any{"kind": "serverCallLocator", "serverCallId": garbage}, "callbackUri": env.recv.url("/cb"),
		})
		wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, "callLocator.serverCallId")
	}

	env.script("locked-room", Behavior{Answer: AnswerDecline})
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:connect", map[string]any{
		"callLocator": map[string]any{"kind": "roomCallLocator", "roomId": "locked-room"}, "callbackUri": env.recv.url("/cb"),
	}, &props)
	env.recv.waitKinds(props.CallConnectionID, evConnectFailed)

	status, out, _ := env.do(http.MethodPost, "/calling/callConnections:connect", map[string]any{
		"callLocator": map[string]any{"kind": "roomCallLocator"}, "callbackUri": env.recv.url("/cb"),
	})
	if status != http.StatusBadRequest {
		t.Errorf("room without ID: %d %s", status, out)
	}
}

func TestRemoteHangUpEndsOneToOne(t *testing.T) {
	env := newEnv(t, nil)
	props := env.createCall(env.recv.url("/cb"), nil, acsUser(user("remote")))
	env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	status, out := env.control(http.MethodPost, "/emulator/v1/calls/"+props.CallConnectionID+"/participants/"+user("remote")+"/hangUp", nil)
	if status != http.StatusNoContent {
		t.Fatalf("hang up: %d %s", status, out)
	}
	evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated, evParticipantsUpdated, evCallDisconnected)
	if got := participantIDs(t, evs[2]); len(got) != 1 {
		t.Errorf("participants after hang up %v", got)
	}
	checkResult(t, evs[3], resultInformation{Code: 200, SubCode: 5002,
		Message: "The conversation has ended as all other participants have left the call.. DiagCode: 0#5002.@"})
}
