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
		{rawOnly("x:something-new"), "x:something-new"},
		{&callgatev1.CommunicationIdentifier{RawId: "x:new", Kind: &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}}, "x:new"},
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
	} {
		if got, err := service.RawID(bad); err == nil {
			t.Errorf("rawID(%v) = %q, want an error", bad, got)
		}
	}
}

func TestProtoFieldPath(t *testing.T) {
	for wire, want := range map[string]string{
		"targets[1].phoneNumber.value":              "targets[1].phone_number.value",
		"targets[0].communicationUser.id":           "targets[0].communication_user.id",
		"targets[0].microsoftTeamsUser.cloud":       "targets[0].microsoft_teams_user.cloud",
		"targets[2].kind":                           "targets[2]",
		"targets[0].teamsExtensionUser.tenantId":    "targets[0].raw_id",
		"sourceCallerIdNumber.isAnonymous":          "source_caller_id_number.is_anonymous",
		"participantToAdd.phoneNumber.value":        "participant.phone_number.value",
		"participantToRemove.rawId":                 "participant.raw_id",
		"targetParticipants[0]":                     "participant",
		"targetParticipant.phoneNumber.isAnonymous": "target.phone_number.is_anonymous",
		"invitationTimeoutInSeconds":                "invitation_timeout_seconds",
		"customCallingContext.sipHeaders":           "custom_calling_context.sip_x_headers",
		"customCallingContext.voipHeaders":          "custom_calling_context.voip_headers",
		"repeatabilityRequestId":                    "request_id",
		"callConnectionId":                          "call_connection_id",
		"participantRawId":                          "raw_id",
		"callRejectReason":                          "reason",
		"answeredBy.id":                             "answered_by.id",
		"operationCallbackUri":                      "operation_callback_uri",
	} {
		got, ok := service.ProtoFieldPath(wire)
		if !ok || got != want {
			t.Errorf("ProtoFieldPath(%q) = %q, %v; want %q", wire, got, ok, want)
		}
	}
	// Fields only the gateway sets: a refusal there is the gateway's bug, not the caller's.
	for _, wire := range []string{"callbackUri", "mediaStreamingOptions.transportType", "request"} {
		if got, ok := service.ProtoFieldPath(wire); ok {
			t.Errorf("ProtoFieldPath(%q) = %q, want no caller field", wire, got)
		}
	}
}

func TestMaskPhoneNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"+16471234567":                                 "+1647*****67",
		"Transferee 4:+16471234567 is not here.":       "Transferee 4:+1647*****67 is not here.",
		"/participants/4%3A%2B16471234567?api-version": "/participants/4%3A%2B1647*****67?api-version",
		"+4420794600 and +33142685300":                 "+4420****00 and +3314*****00",
		"short +1234567":                               "short +1****67",
		"+123456 is too short to be a number":          "+123456 is too short to be a number",
		"2026-03-12 +0000 no digits+":                  "2026-03-12 +0000 no digits+",
		"nothing to hide":                              "nothing to hide",
	} {
		if got := service.MaskPhoneNumbers(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
