package emulator

import (
	"fmt"
	"strings"
)

// Identifier kinds of CommunicationIdentifierModel (common.json).
const (
	kindUnknown            = "unknown"
	kindCommunicationUser  = "communicationUser"
	kindPhoneNumber        = "phoneNumber"
	kindMicrosoftTeamsUser = "microsoftTeamsUser"
	kindMicrosoftTeamsApp  = "microsoftTeamsApp"
	kindTeamsExtensionUser = "teamsExtensionUser"
)

// identifierModel is CommunicationIdentifierModel. Responses always carry
// rawId and kind first, the way the live service orders them.
type identifierModel struct {
	RawID              string                  `json:"rawId,omitempty"`
	Kind               string                  `json:"kind,omitempty"`
	CommunicationUser  *communicationUserModel `json:"communicationUser,omitempty"`
	PhoneNumber        *phoneNumberModel       `json:"phoneNumber,omitempty"`
	MicrosoftTeamsUser *teamsUserModel         `json:"microsoftTeamsUser,omitempty"`
	MicrosoftTeamsApp  *teamsAppModel          `json:"microsoftTeamsApp,omitempty"`
	TeamsExtensionUser *teamsExtensionModel    `json:"teamsExtensionUser,omitempty"`
}

type communicationUserModel struct {
	ID string `json:"id"`
}

type phoneNumberModel struct {
	Value       string `json:"value"`
	IsAnonymous bool   `json:"isAnonymous,omitempty"`
	AssertedID  string `json:"assertedId,omitempty"`
}

type teamsUserModel struct {
	UserID      string `json:"userId"`
	IsAnonymous bool   `json:"isAnonymous,omitempty"`
	Cloud       string `json:"cloud,omitempty"`
}

type teamsAppModel struct {
	AppID string `json:"appId"`
	Cloud string `json:"cloud,omitempty"`
}

type teamsExtensionModel struct {
	UserID     string `json:"userId"`
	TenantID   string `json:"tenantId"`
	ResourceID string `json:"resourceId"`
	Cloud      string `json:"cloud,omitempty"`
}

// normalize validates an identifier received in a request and returns its
// canonical response form (kind and rawId filled in). field names the JSON
// field for the error message.
func normalizeIdentifier(in *identifierModel, field string) (identifierModel, error) {
	if in == nil {
		return identifierModel{}, fmt.Errorf("%s is required", field)
	}
	set := 0
	kind := ""
	if in.CommunicationUser != nil {
		set++
		kind = kindCommunicationUser
	}
	if in.PhoneNumber != nil {
		set++
		kind = kindPhoneNumber
	}
	if in.MicrosoftTeamsUser != nil {
		set++
		kind = kindMicrosoftTeamsUser
	}
	if in.MicrosoftTeamsApp != nil {
		set++
		kind = kindMicrosoftTeamsApp
	}
	if in.TeamsExtensionUser != nil {
		set++
		kind = kindTeamsExtensionUser
	}
	if set > 1 {
		return identifierModel{}, fmt.Errorf("%s has more than one identifier kind set", field)
	}
	if set == 0 {
		if in.RawID == "" {
			return identifierModel{}, fmt.Errorf("%s is empty", field)
		}
		// A bare rawId is allowed by the model ("rawId: optional in requests,
		// required in responses"); it resolves like any other raw ID.
		return identifierFromRawID(in.RawID), nil
	}
	if in.Kind != "" && in.Kind != kind && in.Kind != kindUnknown {
		return identifierModel{}, fmt.Errorf("%s.kind %q does not match the identifier set", field, in.Kind)
	}
	out := identifierModel{Kind: kind}
	switch kind {
	case kindCommunicationUser:
		if strings.TrimSpace(in.CommunicationUser.ID) == "" {
			return identifierModel{}, fmt.Errorf("%s.communicationUser.id is required", field)
		}
		out.CommunicationUser = &communicationUserModel{ID: in.CommunicationUser.ID}
		out.RawID = in.CommunicationUser.ID
	case kindPhoneNumber:
		if !validPhoneNumber(in.PhoneNumber.Value) {
			return identifierModel{}, fmt.Errorf("%s.phoneNumber.value %q is not an E.164 phone number", field, in.PhoneNumber.Value)
		}
		p := *in.PhoneNumber
		out.PhoneNumber = &p
		out.RawID = "4:" + p.Value
	case kindMicrosoftTeamsUser:
		if in.MicrosoftTeamsUser.UserID == "" {
			return identifierModel{}, fmt.Errorf("%s.microsoftTeamsUser.userId is required", field)
		}
		u := *in.MicrosoftTeamsUser
		out.MicrosoftTeamsUser = &u
		out.RawID = teamsUserRawID(u)
	case kindMicrosoftTeamsApp:
		if in.MicrosoftTeamsApp.AppID == "" {
			return identifierModel{}, fmt.Errorf("%s.microsoftTeamsApp.appId is required", field)
		}
		a := *in.MicrosoftTeamsApp
		out.MicrosoftTeamsApp = &a
		out.RawID = cloudPrefix("28:", a.Cloud) + a.AppID
	case kindTeamsExtensionUser:
		x := *in.TeamsExtensionUser
		if x.UserID == "" || x.TenantID == "" || x.ResourceID == "" {
			return identifierModel{}, fmt.Errorf("%s.teamsExtensionUser needs userId, tenantId and resourceId", field)
		}
		out.TeamsExtensionUser = &x
		out.RawID = "8:acs:" + x.ResourceID + "_" + x.TenantID + "_" + x.UserID
	}
	return out, nil
}

func teamsUserRawID(u teamsUserModel) string {
	if u.IsAnonymous {
		return "8:teamsvisitor:" + u.UserID
	}
	return cloudPrefix("8:", u.Cloud) + u.UserID
}

func cloudPrefix(base, cloud string) string {
	switch cloud {
	case "dod":
		return base + "dod:"
	case "gcch":
		return base + "gcch:"
	default:
		return base + "orgid:"
	}
}

// identifierFromRawID builds the identifier a raw ID stands for, with the
// prefixes the SDKs use (communication-common's createIdentifierFromRawId).
// A bare "+digits" is taken as a phone number for the control API's comfort.
func identifierFromRawID(raw string) identifierModel {
	switch {
	case strings.HasPrefix(raw, "4:"):
		return identifierModel{RawID: raw, Kind: kindPhoneNumber, PhoneNumber: &phoneNumberModel{Value: strings.TrimPrefix(raw, "4:")}}
	case strings.HasPrefix(raw, "+") && validPhoneNumber(raw):
		return identifierModel{RawID: "4:" + raw, Kind: kindPhoneNumber, PhoneNumber: &phoneNumberModel{Value: raw}}
	case strings.HasPrefix(raw, "8:acs:"), strings.HasPrefix(raw, "8:spool:"),
		strings.HasPrefix(raw, "8:dod-acs:"), strings.HasPrefix(raw, "8:gcch-acs:"):
		return identifierModel{RawID: raw, Kind: kindCommunicationUser, CommunicationUser: &communicationUserModel{ID: raw}}
	case strings.HasPrefix(raw, "8:orgid:"):
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsUser, MicrosoftTeamsUser: &teamsUserModel{UserID: strings.TrimPrefix(raw, "8:orgid:"), Cloud: "public"}}
	case strings.HasPrefix(raw, "8:teamsvisitor:"):
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsUser, MicrosoftTeamsUser: &teamsUserModel{UserID: strings.TrimPrefix(raw, "8:teamsvisitor:"), IsAnonymous: true, Cloud: "public"}}
	case strings.HasPrefix(raw, "28:orgid:"):
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsApp, MicrosoftTeamsApp: &teamsAppModel{AppID: strings.TrimPrefix(raw, "28:orgid:"), Cloud: "public"}}
	default:
		return identifierModel{RawID: raw, Kind: kindUnknown}
	}
}

func validPhoneNumber(v string) bool {
	if len(v) < 3 || len(v) > 16 || v[0] != '+' {
		return false
	}
	for _, c := range v[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (id identifierModel) isPhone() bool { return id.Kind == kindPhoneNumber }

func (id identifierModel) isCommunicationUser() bool { return id.Kind == kindCommunicationUser }

// phone returns the phone number model of a phone identifier, in the short form
// the service answers with (no isAnonymous when false).
func (id identifierModel) phone() *phoneNumberModel {
	if id.PhoneNumber == nil {
		return nil
	}
	p := *id.PhoneNumber
	return &p
}
