package acs

import "testing"

func TestIdentifierEncodingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f \b\f\n\r\t", "html <>&", "sep \u2028\u2029",
		"bad utf8 \xff\xfe", "emoji 😀", "\u007f",
	} {
		for _, id := range []Identifier{
			CommunicationUser(s), PhoneNumber(s), MicrosoftTeamsUser(s, ""), MicrosoftTeamsApp(s, CloudGCCH),
			TeamsExtensionUser(s, s, s, ""), UnknownIdentifier(s), {}, {PhoneNumber: &PhoneNumberModel{AssertedID: s}},
		} {
			checkIdentifierEncoding(t, id)
		}
	}
}
