package service_test

import (
	"testing"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

func TestRawID(t *testing.T) {
	teamsUser := func(u *callgatev1.MicrosoftTeamsUser) *callgatev1.CommunicationIdentifier {
		return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: u}}
	}
	teamsApp := func(a *callgatev1.MicrosoftTeamsApp) *callgatev1.CommunicationIdentifier {
		return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{MicrosoftTeamsApp: a}}
	}
	for _, tc := range []struct {
		id   *callgatev1.CommunicationIdentifier
		want string
	}{
		{userID("8:acs:r_u"), "8:acs:r_u"},
		{phoneID("+16471234567"), "4:+16471234567"},
		{&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: &callgatev1.PhoneNumber{Value: "+16471234567", AssertedId: "abc"}}}, "4:+16471234567_abc"},
		{&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: &callgatev1.PhoneNumber{Value: "anonymous", IsAnonymous: true}}}, "4:anonymous"},
		{teamsUser(&callgatev1.MicrosoftTeamsUser{UserId: "u1"}), "8:orgid:u1"},
		{teamsUser(&callgatev1.MicrosoftTeamsUser{UserId: "u1", Cloud: callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD}), "8:dod:u1"},
		{teamsUser(&callgatev1.MicrosoftTeamsUser{UserId: "u1", Cloud: callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH}), "8:gcch:u1"},
		{teamsUser(&callgatev1.MicrosoftTeamsUser{UserId: "v1", IsAnonymous: true}), "8:teamsvisitor:v1"},
		{teamsApp(&callgatev1.MicrosoftTeamsApp{AppId: "a1"}), "28:orgid:a1"},
		{teamsApp(&callgatev1.MicrosoftTeamsApp{AppId: "a1", Cloud: callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH}), "28:gcch:a1"},
		{&callgatev1.CommunicationIdentifier{RawId: "8:dod:u1", Kind: teamsUser(&callgatev1.MicrosoftTeamsUser{UserId: "u1", Cloud: callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD}).Kind}, "8:dod:u1"},
		{rawOnly("8:acs:r_u"), "8:acs:r_u"},
		{rawOnly("4:+16471234567"), "4:+16471234567"},
		{rawOnly("28:orgid:a1"), "28:orgid:a1"},
		{rawOnly("99:something-new"), "99:something-new"},
		{&callgatev1.CommunicationIdentifier{RawId: "99:new", Kind: &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}}, "99:new"},
	} {
		got, err := service.RawID(tc.id)
		if err != nil || got != tc.want {
			t.Errorf("rawID(%v) = %q, %v; want %q", tc.id, got, err, tc.want)
		}
	}
	for _, bad := range []*callgatev1.CommunicationIdentifier{
		nil,
		{},
		{RawId: "8:orgid:u1", Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{UserId: "u1", Cloud: callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD}}},
		rawOnly("+16471234567"),
		userID(""),
		rawOnly("8:"), rawOnly("8:acs:"), rawOnly("x"), rawOnly("../../etc/passwd"), rawOnly("8:acs:a\x00b"), rawOnly("8:acs:a\nb"),
		userID("8:acs:a b"),
	} {
		if got, err := service.RawID(bad); err == nil {
			t.Errorf("rawID(%v) = %q, want an error", bad, got)
		}
	}
}
