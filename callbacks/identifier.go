package callbacks

import (
	"strings"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// identifierModel is ACS's CommunicationIdentifierModel as events carry it.
type identifierModel struct {
	Kind              string `json:"kind"`
	RawID             string `json:"rawId"`
	CommunicationUser *struct {
		ID string `json:"id"`
	} `json:"communicationUser"`
	PhoneNumber *struct {
		Value       string `json:"value"`
		IsAnonymous bool   `json:"isAnonymous"`
		AssertedID  string `json:"assertedId"`
	} `json:"phoneNumber"`
	MicrosoftTeamsUser *struct {
		UserID      string `json:"userId"`
		IsAnonymous bool   `json:"isAnonymous"`
		Cloud       string `json:"cloud"`
	} `json:"microsoftTeamsUser"`
	MicrosoftTeamsApp *struct {
		AppID string `json:"appId"`
		Cloud string `json:"cloud"`
	} `json:"microsoftTeamsApp"`
}

// toProto keeps whatever ACS sent: the typed kind when its object is there, otherwise the raw ID
// alone as an unknown identifier, so nothing is lost to a kind this gateway does not model.
func (m *identifierModel) toProto() *callgatev1.CommunicationIdentifier {
	if m == nil {
		return nil
	}
	id := &callgatev1.CommunicationIdentifier{RawId: m.RawID}
	switch {
	case m.CommunicationUser != nil:
		id.Kind = &callgatev1.CommunicationIdentifier_CommunicationUser{CommunicationUser: &callgatev1.CommunicationUser{Id: m.CommunicationUser.ID}}
		if id.RawId == "" {
			id.RawId = m.CommunicationUser.ID
		}
	case m.PhoneNumber != nil:
		id.Kind = &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: &callgatev1.PhoneNumber{
			Value: m.PhoneNumber.Value, IsAnonymous: m.PhoneNumber.IsAnonymous, AssertedId: m.PhoneNumber.AssertedID,
		}}
		if id.RawId == "" {
			id.RawId = "4:" + m.PhoneNumber.Value
		}
	case m.MicrosoftTeamsUser != nil:
		id.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{
			UserId: m.MicrosoftTeamsUser.UserID, IsAnonymous: m.MicrosoftTeamsUser.IsAnonymous, Cloud: cloudToProto(m.MicrosoftTeamsUser.Cloud),
		}}
	case m.MicrosoftTeamsApp != nil:
		id.Kind = &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{MicrosoftTeamsApp: &callgatev1.MicrosoftTeamsApp{
			AppId: m.MicrosoftTeamsApp.AppID, Cloud: cloudToProto(m.MicrosoftTeamsApp.Cloud),
		}}
	default:
		id.Kind = &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}
	}
	return id
}

func cloudToProto(c string) callgatev1.CommunicationCloud {
	switch strings.ToLower(c) {
	case "public":
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_PUBLIC
	case "dod":
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD
	case "gcch":
		return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH
	}
	return callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_UNSPECIFIED
}
