package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParseRawID(t *testing.T) {
	accepted := map[string]string{
		"8:acs:res_id":            kindCommunicationUser,
		"8:spool:res_id":          kindCommunicationUser,
		"8:dod-acs:res_id":        kindCommunicationUser,
		"8:gcch-acs:res_id":       kindCommunicationUser,
		"8:acs:res_tenant_user":   kindTeamsExtensionUser,
		"8:gcch-acs:res_ten_user": kindTeamsExtensionUser,
		"4:+16471234567":          kindPhoneNumber,
		"8:orgid:user":            kindMicrosoftTeamsUser,
		"8:dod:user":              kindMicrosoftTeamsUser,
		"8:gcch:user":             kindMicrosoftTeamsUser,
		"8:teamsvisitor:visitor":  kindMicrosoftTeamsUser,
		"28:orgid:app":            kindMicrosoftTeamsApp,
		"28:dod:app":              kindMicrosoftTeamsApp,
		"28:gcch:app":             kindMicrosoftTeamsApp,
		"8:acs:" + strings.Repeat("r", 248) + "_i": kindCommunicationUser, // 256 bytes
	}
	for raw, kind := range accepted {
		id, err := parseRawID(raw, newParty)
		if err != nil || id.Kind != kind || id.RawID != raw {
			t.Errorf("parseRawID(%.40q) = %+v, %v; want a %s", raw, id, err, kind)
		}
	}
	refused := []string{
		"", "8:", "8:acs:", "x", "../../etc/passwd", "8:acs:_id", "8:acs:res_", "8:acs:res", "8:acs:a_b_c_d",
		"8:spool:res", "8:spool:a_b_c", "8:orgid:", "28:orgid:", "28:teamsvisitor:x", "8:acs:res_id:more",
		"4:", "4:+", "4:16471234567", "4:+0471234567", "4:+1234567890123456", "4:+1647abc", "4:anonymous",
		"8:acs:res_id\x00", "8:acs:res_id\n", "8:acs:res\r_id", "8:acs:res_\x7fid", "8:acs:res_\xffid",
		"8:acs:" + strings.Repeat("r", 249) + "_i", // 257 bytes
		"8:acs:r_" + strings.Repeat("i", 10<<10),
	}
	for _, raw := range refused {
		if id, err := parseRawID(raw, newParty); err == nil {
			t.Errorf("parseRawID(%.40q) accepted %+v", raw, id)
		}
	}
	if id, err := parseRawID("4:anonymous", existingParty); err != nil || !id.PhoneNumber.IsAnonymous {
		t.Errorf("anonymous caller as an existing participant: %+v, %v", id, err)
	}
}

func TestNormalizeIdentifierAgreement(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		field string // "" when accepted
	}{
		{"object and rawId agree", `{"kind":"communicationUser","rawId":"8:acs:r_a","communicationUser":{"id":"8:acs:r_a"}}`, ""},
		{"rawId of another user", `{"rawId":"8:acs:r_b","communicationUser":{"id":"8:acs:r_a"}}`, "rawId"},
		{"kind of another object", `{"kind":"phoneNumber","communicationUser":{"id":"8:acs:r_a"}}`, "kind"},
		{"kind unknown for a known identifier", `{"kind":"unknown","rawId":"8:acs:r_a"}`, "kind"},
		{"phone rawId of another number", `{"rawId":"4:+16470000000","phoneNumber":{"value":"+16471234567"}}`, "rawId"},
		{"a phone number as an ACS user", `{"communicationUser":{"id":"4:+16471234567"}}`, "communicationUser.id"},
		{"number marked anonymous", `{"phoneNumber":{"value":"+16471234567","isAnonymous":true}}`, "phoneNumber.value"},
		{"Teams user", `{"microsoftTeamsUser":{"userId":"u","cloud":"dod"},"rawId":"8:dod:u"}`, ""},
		{"Teams user of no cloud", `{"microsoftTeamsUser":{"userId":"u","cloud":"mars"}}`, "microsoftTeamsUser.cloud"},
		{"Teams user id with a colon", `{"microsoftTeamsUser":{"userId":"u:v"}}`, "microsoftTeamsUser.userId"},
		{"Teams app", `{"microsoftTeamsApp":{"appId":"a"},"rawId":"28:orgid:a"}`, ""},
		{"Teams extension user", `{"teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"gcch"},"rawId":"8:gcch-acs:r_t_u"}`, ""},
		{"Teams extension user without tenant", `{"teamsExtensionUser":{"userId":"u","resourceId":"r"}}`, "teamsExtensionUser.tenantId"},
		{"two kinds", `{"communicationUser":{"id":"8:acs:r_a"},"phoneNumber":{"value":"+16471234567"}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in identifierModel
			if err := json.Unmarshal([]byte(tc.body), &in); err != nil {
				t.Fatal(err)
			}
			out, field, err := normalizeIdentifier(&in, newParty)
			if tc.name == "two kinds" {
				if err == nil {
					t.Fatalf("accepted %+v", out)
				}
				return
			}
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused (%s): %v", field, err)
				}
				if in.RawID != "" && out.RawID != in.RawID {
					t.Errorf("raw ID %q, want %q", out.RawID, in.RawID)
				}
				return
			}
			if err == nil || field != tc.field {
				t.Fatalf("got %+v, field %q, %v; want a problem in %s", out, field, err, tc.field)
			}
		})
	}
}

// TestRefusedIdentifiers sends the identifiers of issue 9 to the REST API:
// each is a 400 naming the field, and no call exists afterwards.
func TestRefusedIdentifiers(t *testing.T) {
	env := newEnv(t, nil)
	for _, raw := range []string{"8:", "8:acs:", "x", "../../etc/passwd", "8:acs:r_a\x00", "8:acs:r_a\n", "8:acs:r_" + strings.Repeat("a", 10<<10)} {
		for _, shape := range []struct {
			target string
			id     map[string]any
		}{
			{"targets[0].rawId", map[string]any{"rawId": raw}},
			{"targets[0].communicationUser.id", map[string]any{"communicationUser": map[string]string{"id": raw}}},
		} {
			status, out, _ := env.do(http.MethodPost, "/calling/callConnections", map[string]any{
				"targets": []any{shape.id}, "callbackUri": env.recv.url("/cb"),
			})
			wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, shape.target)
			if len(out) > 2048 {
				t.Errorf("the answer to a %d-byte ID is %d bytes", len(raw), len(out))
			}
		}
	}
	if n := env.callCount(); n != 0 {
		t.Errorf("refused requests made %d calls", n)
	}
}

// TestAnonymousCaller: a caller who withheld the number is a participant the
// API can act on, and not one it can call.
func TestAnonymousCaller(t *testing.T) {
	env := newEnv(t, nil)
	res := env.raise(IncomingCallRequest{From: "4:anonymous", To: user("me")})
	var props callConnectionProperties
	env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections:answer", map[string]any{
		"incomingCallContext": res.IncomingCallContext, "callbackUri": env.recv.url("/cb"),
	}, &props)
	evs := env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
	if got := participantIDs(t, evs[1]); got[0] != "4:anonymous" {
		t.Errorf("participants %v", got)
	}
	id := props.CallConnectionID
	anonymous := map[string]any{"kind": "phoneNumber", "rawId": "4:anonymous", "phoneNumber": map[string]any{"value": "anonymous", "isAnonymous": true}}
	status, out, _ := env.do(http.MethodPost, "/calling/callConnections/"+id+"/participants:add", map[string]any{"participantToAdd": anonymous})
	wantRefused(t, status, out, http.StatusBadRequest, subInvalidArgument, "participantToAdd.phoneNumber.value")
	env.mustDo(http.StatusOK, http.MethodGet, "/calling/callConnections/"+id+"/participants/"+url.PathEscape("4:anonymous"), nil, nil)
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+id+"/participants:remove", map[string]any{"participantToRemove": anonymous}, nil)
	env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated, evRemoveParticipantSucceeded, evParticipantsUpdated, evCallDisconnected)
}
