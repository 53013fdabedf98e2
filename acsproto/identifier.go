package acsproto

import (
	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Identifier converts an identifier from ACS. The raw ID is always set, derived with the SDKs'
// rules when ACS left it out (events of Teams users and apps carry none); a kind this API does not
// model (a Teams Phone extension user, a kind newer than this API) is `unknown` with its raw ID.
func Identifier(id acs.Identifier) *callgatev1.CommunicationIdentifier {
	out := &callgatev1.CommunicationIdentifier{RawId: id.Raw()}
	switch {
	case id.CommunicationUser != nil:
		out.Kind = &callgatev1.CommunicationIdentifier_CommunicationUser{CommunicationUser: &callgatev1.CommunicationUser{Id: id.CommunicationUser.ID}}
	case id.PhoneNumber != nil:
		out.Kind = &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: PhoneNumber(id.PhoneNumber)}
	case id.MicrosoftTeamsUser != nil:
		u := id.MicrosoftTeamsUser
		out.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{
			UserId: u.UserID, IsAnonymous: u.IsAnonymous, Cloud: Cloud(u.Cloud),
		}}
	case id.MicrosoftTeamsApp != nil:
		a := id.MicrosoftTeamsApp
		out.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{MicrosoftTeamsApp: &callgatev1.MicrosoftTeamsApp{
			AppId: a.AppID, Cloud: Cloud(a.Cloud),
		}}
	default:
		out.Kind = &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}
	}
	return out
}

// OptionalIdentifier is Identifier, or nil for an absent or empty one.
func OptionalIdentifier(id *acs.Identifier) *callgatev1.CommunicationIdentifier {
	if id == nil || id.IsZero() {
		return nil
	}
	return Identifier(*id)
}

// PhoneNumber converts a phone number model; nil stays nil.
func PhoneNumber(n *acs.PhoneNumberModel) *callgatev1.PhoneNumber {
	if n == nil {
		return nil
	}
	return &callgatev1.PhoneNumber{Value: n.Value, IsAnonymous: n.IsAnonymous, AssertedId: n.AssertedID}
}

// Cloud converts a Teams cloud; an empty or unknown one is unspecified.
func Cloud(c acs.Cloud) callgatev1.CommunicationCloud {
	switch c {
	case acs.CloudPublic:
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_PUBLIC
	case acs.CloudDoD:
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD
	case acs.CloudGCCH:
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH
	}
	return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_UNSPECIFIED
}

// Participant converts a call participant; nil stays nil.
func Participant(p *acs.CallParticipant) *callgatev1.CallParticipant {
	if p == nil {
		return nil
	}
	return &callgatev1.CallParticipant{Identifier: Identifier(p.Identifier), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold}
}
