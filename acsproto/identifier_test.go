package acsproto_test

import (
	"testing"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func TestIdentifierAlwaysHasItsRawIDAndKind(t *testing.T) {
	for _, c := range []struct {
		in   acs.Identifier
		raw  string
		kind any
	}{
		{acs.CommunicationUser("8:acs:r_u"), "8:acs:r_u", &callgatev1.CommunicationIdentifier_CommunicationUser{}},
		{acs.Identifier{PhoneNumber: &acs.PhoneNumberModel{Value: "+16471234567", AssertedID: "a"}}, "4:+16471234567_a", &callgatev1.CommunicationIdentifier_PhoneNumber{}},
		{acs.Identifier{MicrosoftTeamsUser: &acs.MicrosoftTeamsUserModel{UserID: "u", Cloud: acs.CloudGCCH}}, "8:gcch:u", &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{}},
		{acs.Identifier{MicrosoftTeamsApp: &acs.MicrosoftTeamsAppModel{AppID: "a"}}, "28:orgid:a", &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{}},
		{acs.TeamsExtensionUser("u", "t", "r", ""), "8:acs:r_t_u", &callgatev1.CommunicationIdentifier_Unknown{}},
		{acs.UnknownIdentifier("99:x"), "99:x", &callgatev1.CommunicationIdentifier_Unknown{}},
	} {
		got := acsproto.Identifier(c.in)
		if got.GetRawId() != c.raw {
			t.Errorf("%v: raw ID %q, want %q", c.in, got.GetRawId(), c.raw)
		}
		if got.GetKind() == nil || typeName(got.GetKind()) != typeName(c.kind) {
			t.Errorf("%v: kind %T, want %T", c.in, got.GetKind(), c.kind)
		}
	}
	if acsproto.Identifier(acs.Identifier{MicrosoftTeamsUser: &acs.MicrosoftTeamsUserModel{UserID: "u", Cloud: acs.CloudGCCH}}).GetMicrosoftTeamsUser().GetCloud() != callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH {
		t.Error("the cloud is not kept")
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *callgatev1.CommunicationIdentifier_CommunicationUser:
		return "communication_user"
	case *callgatev1.CommunicationIdentifier_PhoneNumber:
		return "phone_number"
	case *callgatev1.CommunicationIdentifier_MicrosoftTeamsUser:
		return "microsoft_teams_user"
	case *callgatev1.CommunicationIdentifier_MicrosoftTeamsApp:
		return "microsoft_teams_app"
	case *callgatev1.CommunicationIdentifier_Unknown:
		return "unknown"
	}
	return "none"
}
