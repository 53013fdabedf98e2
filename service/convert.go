package service

import (
	"errors"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// rawID is the raw ID of an identifier given either by raw_id or by its typed kind.
func rawID(id *callgatev1.CommunicationIdentifier) (string, error) {
	var v validator
	out := v.identifier(at(""), id, existing)
	if len(v.violations) > 0 {
		return "", errors.New(v.violations[0].GetDescription())
	}
	return out.Raw(), nil
}

// identifierToProto converts an identifier from ACS. Responses always carry the raw ID and the
// kind; a kind this API does not model (a Teams Phone extension user, a future kind) is `unknown`
// with its raw ID.
func identifierToProto(id acs.Identifier) *callgatev1.CommunicationIdentifier {
	out := &callgatev1.CommunicationIdentifier{RawId: id.Raw()}
	switch {
	case id.CommunicationUser != nil:
		out.Kind = &callgatev1.CommunicationIdentifier_CommunicationUser{CommunicationUser: &callgatev1.CommunicationUser{Id: id.CommunicationUser.ID}}
	case id.PhoneNumber != nil:
		out.Kind = &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: phoneToProto(id.PhoneNumber)}
	case id.MicrosoftTeamsUser != nil:
		u := id.MicrosoftTeamsUser
		out.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{
			UserId: u.UserID, IsAnonymous: u.IsAnonymous, Cloud: cloudToProto(u.Cloud),
		}}
	case id.MicrosoftTeamsApp != nil:
		a := id.MicrosoftTeamsApp
		out.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{MicrosoftTeamsApp: &callgatev1.MicrosoftTeamsApp{
			AppId: a.AppID, Cloud: cloudToProto(a.Cloud),
		}}
	default:
		out.Kind = &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}
	}
	return out
}

func optionalIdentifierToProto(id *acs.Identifier) *callgatev1.CommunicationIdentifier {
	if id == nil || id.IsZero() {
		return nil
	}
	return identifierToProto(*id)
}

func phoneToProto(n *acs.PhoneNumberModel) *callgatev1.PhoneNumber {
	if n == nil {
		return nil
	}
	return &callgatev1.PhoneNumber{Value: n.Value, IsAnonymous: n.IsAnonymous, AssertedId: n.AssertedID}
}

func cloudToProto(c acs.Cloud) callgatev1.CommunicationCloud {
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

func callToProto(p *acs.CallConnectionProperties) *callgatev1.Call {
	if p == nil {
		return nil
	}
	c := &callgatev1.Call{
		CallConnectionId:     p.CallConnectionID,
		ServerCallId:         p.ServerCallID,
		CorrelationId:        p.CorrelationID,
		State:                callStateToProto(p.CallConnectionState),
		Source:               optionalIdentifierToProto(p.Source),
		SourceCallerIdNumber: phoneToProto(p.SourceCallerIDNumber),
		SourceDisplayName:    p.SourceDisplayName,
		AnsweredFor:          phoneToProto(p.AnsweredFor),
	}
	if len(p.Targets) > 0 {
		c.Targets = make([]*callgatev1.CommunicationIdentifier, len(p.Targets))
		for i, t := range p.Targets {
			c.Targets[i] = identifierToProto(t)
		}
	}
	if p.AnsweredBy != nil && p.AnsweredBy.ID != "" {
		c.AnsweredBy = identifierToProto(acs.CommunicationUser(p.AnsweredBy.ID))
	}
	return c
}

func callStateToProto(s acs.CallConnectionState) callgatev1.CallState {
	switch s {
	case "":
		return callgatev1.CallState_CALL_STATE_UNSPECIFIED
	case acs.CallStateConnecting:
		return callgatev1.CallState_CALL_STATE_CONNECTING
	case acs.CallStateConnected:
		return callgatev1.CallState_CALL_STATE_CONNECTED
	case acs.CallStateTransferring:
		return callgatev1.CallState_CALL_STATE_TRANSFERRING
	case acs.CallStateTransferAccepted:
		return callgatev1.CallState_CALL_STATE_TRANSFER_ACCEPTED
	case acs.CallStateDisconnecting:
		return callgatev1.CallState_CALL_STATE_DISCONNECTING
	case acs.CallStateDisconnected:
		return callgatev1.CallState_CALL_STATE_DISCONNECTED
	}
	// "unknown", and any state newer than this API.
	return callgatev1.CallState_CALL_STATE_UNKNOWN
}

func participantToProto(p *acs.CallParticipant) *callgatev1.CallParticipant {
	if p == nil {
		return nil
	}
	return &callgatev1.CallParticipant{Identifier: identifierToProto(p.Identifier), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold}
}
