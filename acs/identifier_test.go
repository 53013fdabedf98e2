package acs_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/callgate/callgate/acs"
)

func TestParseRawID(t *testing.T) {
	cases := []struct {
		raw  string
		want string // the identifier's JSON
	}{
		{"8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002",
			`{"kind":"communicationUser","rawId":"8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002","communicationUser":{"id":"8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002"}}`},
		{"8:spool:abc", `{"kind":"communicationUser","rawId":"8:spool:abc","communicationUser":{"id":"8:spool:abc"}}`},
		{"8:gcch-acs:abc", `{"kind":"communicationUser","rawId":"8:gcch-acs:abc","communicationUser":{"id":"8:gcch-acs:abc"}}`},
		{"8:dod-acs:abc", `{"kind":"communicationUser","rawId":"8:dod-acs:abc","communicationUser":{"id":"8:dod-acs:abc"}}`},
		{"8:acs:res_ten_usr", `{"kind":"teamsExtensionUser","rawId":"8:acs:res_ten_usr","teamsExtensionUser":{"userId":"usr","tenantId":"ten","resourceId":"res","cloud":"public"}}`},
		{"8:dod-acs:res_ten_usr", `{"kind":"teamsExtensionUser","rawId":"8:dod-acs:res_ten_usr","teamsExtensionUser":{"userId":"usr","tenantId":"ten","resourceId":"res","cloud":"dod"}}`},
		{"8:spool:res_ten_usr", `{"kind":"communicationUser","rawId":"8:spool:res_ten_usr","communicationUser":{"id":"8:spool:res_ten_usr"}}`},
		{"4:+16041234567", `{"kind":"phoneNumber","rawId":"4:+16041234567","phoneNumber":{"value":"+16041234567","isAnonymous":false}}`},
		{"4:anonymous", `{"kind":"phoneNumber","rawId":"4:anonymous","phoneNumber":{"value":"anonymous","isAnonymous":true}}`},
		{"4:+16041234567_a1b2", `{"kind":"phoneNumber","rawId":"4:+16041234567_a1b2","phoneNumber":{"value":"+16041234567","isAnonymous":false,"assertedId":"a1b2"}}`},
		{"8:orgid:aad-1", `{"kind":"microsoftTeamsUser","rawId":"8:orgid:aad-1","microsoftTeamsUser":{"userId":"aad-1","isAnonymous":false,"cloud":"public"}}`},
		{"8:gcch:aad-1", `{"kind":"microsoftTeamsUser","rawId":"8:gcch:aad-1","microsoftTeamsUser":{"userId":"aad-1","isAnonymous":false,"cloud":"gcch"}}`},
		{"8:dod:aad-1", `{"kind":"microsoftTeamsUser","rawId":"8:dod:aad-1","microsoftTeamsUser":{"userId":"aad-1","isAnonymous":false,"cloud":"dod"}}`},
		{"8:teamsvisitor:v-1", `{"kind":"microsoftTeamsUser","rawId":"8:teamsvisitor:v-1","microsoftTeamsUser":{"userId":"v-1","isAnonymous":true,"cloud":"public"}}`},
		{"28:orgid:app-1", `{"kind":"microsoftTeamsApp","rawId":"28:orgid:app-1","microsoftTeamsApp":{"appId":"app-1","cloud":"public"}}`},
		{"28:gcch:app-1", `{"kind":"microsoftTeamsApp","rawId":"28:gcch:app-1","microsoftTeamsApp":{"appId":"app-1","cloud":"gcch"}}`},
		{"28:dod:app-1", `{"kind":"microsoftTeamsApp","rawId":"28:dod:app-1","microsoftTeamsApp":{"appId":"app-1","cloud":"dod"}}`},
		{"28:dod-global:app-1", `{"kind":"unknown","rawId":"28:dod-global:app-1"}`},
		{"8:acs:a:b", `{"kind":"unknown","rawId":"8:acs:a:b"}`},
		{"48:something", `{"kind":"unknown","rawId":"48:something"}`},
		{"plain", `{"kind":"unknown","rawId":"plain"}`},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			id, err := acs.ParseRawID(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(id)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if id.Raw() != tc.raw {
				t.Errorf("Raw() = %q", id.Raw())
			}
			// Without its raw ID the identifier derives the same one.
			id.RawID = ""
			if id.Raw() != tc.raw && id.Kind != acs.KindUnknown {
				t.Errorf("derived raw ID %q, want %q", id.Raw(), tc.raw)
			}
		})
	}
	if _, err := acs.ParseRawID(""); err == nil {
		t.Error("empty raw ID accepted")
	}
}

func TestConstructorsMatchRawIDRules(t *testing.T) {
	for _, tc := range []struct {
		id  acs.Identifier
		raw string
	}{
		{acs.CommunicationUser("8:acs:u"), "8:acs:u"},
		{acs.PhoneNumber("+14255550123"), "4:+14255550123"},
		{acs.MicrosoftTeamsUser("aad", ""), "8:orgid:aad"},
		{acs.MicrosoftTeamsUser("aad", acs.CloudGCCH), "8:gcch:aad"},
		{acs.MicrosoftTeamsApp("app", acs.CloudDoD), "28:dod:app"},
		{acs.TeamsExtensionUser("u", "t", "r", acs.CloudGCCH), "8:gcch-acs:r_t_u"},
		{acs.UnknownIdentifier("x:y"), "x:y"},
	} {
		if tc.id.Raw() != tc.raw {
			t.Errorf("%+v: Raw() = %q, want %q", tc.id, tc.id.Raw(), tc.raw)
		}
		back, _ := acs.ParseRawID(tc.raw)
		if !back.Equal(tc.id) || back.Kind != tc.id.Kind {
			t.Errorf("ParseRawID(%q) = %+v, want kind %s", tc.raw, back, tc.id.Kind)
		}
	}
}

// A hand-built identifier gets kind and rawId on the wire, like the SDK's.
func TestIdentifierMarshalFillsKindAndRawID(t *testing.T) {
	got, err := json.Marshal(acs.Identifier{PhoneNumber: &acs.PhoneNumberModel{Value: "+16041234567"}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"phoneNumber","rawId":"4:+16041234567","phoneNumber":{"value":"+16041234567","isAnonymous":false}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Responses may leave out rawId (the OpenAPI examples do) or the kind
// object; decoding restores both.
func TestIdentifierUnmarshalNormalizes(t *testing.T) {
	for in, want := range map[string]acs.Identifier{
		`{"kind":"communicationUser","communicationUser":{"id":"8:acs:u"}}`: acs.CommunicationUser("8:acs:u"),
		`{"phoneNumber":{"value":"+14250123456"}}`:                          acs.PhoneNumber("+14250123456"),
		`{"kind":"phoneNumber","rawId":"4:+14250123456"}`:                   acs.PhoneNumber("+14250123456"),
		`{"rawId":"8:orgid:aad"}`:                                           acs.MicrosoftTeamsUser("aad", acs.CloudPublic),
		`{"kind":"microsoftTeamsUser","rawId":"4:+1425"}`:                   {Kind: acs.KindMicrosoftTeamsUser, RawID: "4:+1425"},
		`null`: {},
	} {
		var got acs.Identifier
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s decoded to %s, want %s", in, g, w)
		}
	}
}

func TestCustomCallingContextJSON(t *testing.T) {
	var empty acs.CustomCallingContext
	got, _ := json.Marshal(empty)
	if string(got) != `{"voipHeaders":{},"sipHeaders":{}}` {
		t.Errorf("empty context = %s", got)
	}
	var c acs.CustomCallingContext
	c.AddSIPUUI("uui")
	c.AddSIPX("a", "1")
	c.AddSIPXWithPrefix("b", "2", acs.SIPPrefixX)
	c.AddVoIPHeader("v", "3")
	got, _ = json.Marshal(c)
	const want = `{"voipHeaders":{"v":"3"},"sipHeaders":{"User-To-User":"uui","X-MS-Custom-a":"1","X-b":"2"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// IdentifierFromMap reads what UnmarshalJSON reads, from the same JSON decoded into maps.
func TestIdentifierFromMapEqualsUnmarshal(t *testing.T) {
	for _, js := range []string{
		`{"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}}`,
		`{"communicationUser":{"id":"8:acs:r_u"}}`,
		`{"rawId":"8:acs:r_u"}`,
		`{"kind":"phoneNumber","phoneNumber":{"value":"+16471234567","assertedId":"a"}}`,
		`{"rawId":"4:anonymous"}`,
		`{"kind":"microsoftTeamsUser","microsoftTeamsUser":{"userId":"u","isAnonymous":true}}`,
		`{"kind":"microsoftTeamsUser","microsoftTeamsUser":{"userId":"u","cloud":"dod"}}`,
		`{"kind":"microsoftTeamsApp","microsoftTeamsApp":{"appId":"a","cloud":"gcch"}}`,
		`{"kind":"teamsExtensionUser","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r"}}`,
		`{"kind":"someFutureKind","rawId":"99:future:x"}`,
		`{"kind":"phoneNumber","rawId":"8:acs:r_u"}`,
	} {
		var want acs.Identifier
		if err := json.Unmarshal([]byte(js), &want); err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		got, ok := acs.IdentifierFromMap(m)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: from the map %+v, unmarshalled %+v", js, got, want)
		}
	}
	if _, ok := acs.IdentifierFromMap("8:acs:r_u"); ok {
		t.Error("a string is not an identifier object")
	}
	if _, ok := acs.IdentifierFromMap(map[string]any{}); ok {
		t.Error("an empty object is no identifier")
	}
}
