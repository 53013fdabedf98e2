package emulator

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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

// Whether an identifier may be the anonymous phone number ("4:anonymous"):
// where it names a participant already in a call (a caller who withheld the
// number), never as a party to call or a caller ID.
const (
	newParty      = false
	existingParty = true
)

const anonymousPhone = "anonymous"

// identifier checks the identifier at target (a JSON path) and returns its
// canonical form, kind and rawId filled in; on a problem it adds a violation
// naming the identifier's offending field.
func (v *violations) identifier(target string, in *identifierModel, anon bool) (identifierModel, bool) {
	out, field, err := normalizeIdentifier(in, anon)
	if err != nil {
		if field != "" {
			target += "." + field
		}
		v.add(target, "The field %s is invalid: %v.", target, err)
		return identifierModel{}, false
	}
	return out, true
}

// identifiers checks an array of identifiers (create call's targets, the
// targetParticipants of mute and move): 1 to max of them, none twice.
func (v *violations) identifiers(field, name string, in []identifierModel, max int, anon bool) []identifierModel {
	switch {
	case len(in) == 0:
		v.add(field, "The field %s is required and must not be empty.", name)
		return nil
	case len(in) > max:
		v.add(field, "The field %s has %d identifiers; at most %d are allowed.", name, len(in), max)
		return nil
	}
	out := make([]identifierModel, 0, len(in))
	seen := make(map[string]bool, len(in))
	for i := range in {
		target := indexed(field, i)
		id, ok := v.identifier(target, &in[i], anon)
		switch {
		case !ok:
		case seen[id.RawID]:
			v.add(target, "The field %s repeats %s.", target, id.RawID)
		default:
			seen[id.RawID] = true
			out = append(out, id)
		}
	}
	return out
}

// normalizeIdentifier resolves an identifier of a request. Every string in it
// is an ID string (at most maxIdentifierBytes, no control character); a kind
// object is turned into its raw ID and that must parse back to the same kind,
// so the object and any rawId and kind given beside it must agree. field is
// the identifier's field the problem is in ("" for the whole).
func normalizeIdentifier(in *identifierModel, anon bool) (out identifierModel, field string, err error) {
	if in == nil {
		return identifierModel{}, "", errors.New("is required")
	}
	set := 0
	for _, present := range []bool{in.CommunicationUser != nil, in.PhoneNumber != nil, in.MicrosoftTeamsUser != nil,
		in.MicrosoftTeamsApp != nil, in.TeamsExtensionUser != nil} {
		if present {
			set++
		}
	}
	switch {
	case set > 1:
		return identifierModel{}, "", errors.New("has more than one identifier kind set")
	case set == 0 && in.RawID == "":
		return identifierModel{}, "", errors.New("is empty: it needs a rawId or an identifier kind")
	case set == 0:
		field = "rawId"
		out, err = parseRawID(in.RawID, anon)
	case in.CommunicationUser != nil:
		field = "communicationUser.id"
		out, err = parseRawID(in.CommunicationUser.ID, false)
		switch {
		case err != nil:
		case out.Kind == kindTeamsExtensionUser:
			// Its raw ID is an ACS user's too: the object says which it is.
			out = identifierModel{RawID: out.RawID, Kind: kindCommunicationUser, CommunicationUser: &communicationUserModel{ID: out.RawID}}
		case out.Kind != kindCommunicationUser:
			err = fmt.Errorf("%q is not an Azure Communication Services user ID", in.CommunicationUser.ID)
		}
	case in.PhoneNumber != nil:
		field = "phoneNumber.value"
		out, err = phoneIdentifier(in.PhoneNumber.Value, anon)
		if err == nil && in.PhoneNumber.IsAnonymous && out.PhoneNumber.Value != anonymousPhone {
			err = errors.New("is a number, but isAnonymous is set")
		}
	case in.MicrosoftTeamsUser != nil:
		u := in.MicrosoftTeamsUser
		field = "microsoftTeamsUser.userId"
		prefix := "8:teamsvisitor:"
		if !u.IsAnonymous {
			prefix, err = cloudPrefix("8:", u.Cloud)
		}
		if err != nil {
			field = "microsoftTeamsUser.cloud"
		} else {
			out, err = parsePart(prefix, u.UserID)
		}
	case in.MicrosoftTeamsApp != nil:
		a := in.MicrosoftTeamsApp
		field = "microsoftTeamsApp.appId"
		var prefix string
		if prefix, err = cloudPrefix("28:", a.Cloud); err != nil {
			field = "microsoftTeamsApp.cloud"
		} else {
			out, err = parsePart(prefix, a.AppID)
		}
	case in.TeamsExtensionUser != nil:
		out, field, err = teamsExtensionIdentifier(in.TeamsExtensionUser)
	}
	if err != nil {
		return identifierModel{}, field, err
	}
	if in.RawID != "" && in.RawID != out.RawID {
		return identifierModel{}, "rawId", fmt.Errorf("%q does not match the identifier, whose raw ID is %q", in.RawID, out.RawID)
	}
	if in.Kind != "" && in.Kind != out.Kind {
		return identifierModel{}, "kind", fmt.Errorf("%q does not match the identifier, which is a %s", in.Kind, out.Kind)
	}
	return out, "", nil
}

// parsePart parses prefix+part, refusing a part that would change what the
// raw ID says (a ':' adds a segment) or that is not an ID string.
func parsePart(prefix, part string) (identifierModel, error) {
	if part == "" {
		return identifierModel{}, errors.New("is required")
	}
	if problem := idStringProblem(part, maxIdentifierBytes); problem != "" {
		return identifierModel{}, errors.New(problem)
	}
	return parseRawID(prefix+part, false)
}

func teamsExtensionIdentifier(x *teamsExtensionModel) (identifierModel, string, error) {
	for _, f := range []struct{ name, value string }{{"userId", x.UserID}, {"tenantId", x.TenantID}, {"resourceId", x.ResourceID}} {
		switch {
		case f.value == "":
			return identifierModel{}, "teamsExtensionUser." + f.name, errors.New("is required")
		case strings.ContainsAny(f.value, "_:"):
			return identifierModel{}, "teamsExtensionUser." + f.name, errors.New("must not contain '_' or ':'")
		}
	}
	prefix := map[string]string{"": "8:acs:", "public": "8:acs:", "dod": "8:dod-acs:", "gcch": "8:gcch-acs:"}[x.Cloud]
	if prefix == "" {
		return identifierModel{}, "teamsExtensionUser.cloud", fmt.Errorf("%q is not one of public, dod, gcch", x.Cloud)
	}
	out, err := parsePart(prefix, x.ResourceID+"_"+x.TenantID+"_"+x.UserID)
	return out, "teamsExtensionUser.userId", err
}

func cloudPrefix(base, cloud string) (string, error) {
	switch cloud {
	case "", "public":
		return base + "orgid:", nil
	case "dod", "gcch":
		return base + cloud + ":", nil
	}
	return "", fmt.Errorf("%q is not one of public, dod, gcch", cloud)
}

// parseRawID resolves a raw ID the way the SDKs do (communication-common's
// createIdentifierFromRawId) and refuses what the service refuses: anything
// that is not an ID string, a prefix without its parts, an ACS user that is
// not <resource>_<id>, a phone number that is not E.164 (or "anonymous",
// where anon allows it), and raw IDs of no known kind.
func parseRawID(raw string, anon bool) (identifierModel, error) {
	if raw == "" {
		return identifierModel{}, errors.New("is empty")
	}
	if problem := idStringProblem(raw, maxIdentifierBytes); problem != "" {
		return identifierModel{}, errors.New(problem)
	}
	if number, ok := strings.CutPrefix(raw, "4:"); ok {
		return phoneIdentifier(number, anon)
	}
	segs := strings.Split(raw, ":")
	if len(segs) != 3 || segs[2] == "" {
		return identifierModel{}, fmt.Errorf("%q is not an identifier Azure Communication Services knows", raw)
	}
	prefix, suffix := segs[0]+":"+segs[1]+":", segs[2]
	switch prefix {
	case "8:acs:", "8:dod-acs:", "8:gcch-acs:", "8:spool:":
		parts := strings.Split(suffix, "_")
		for _, p := range parts {
			if p == "" {
				return identifierModel{}, fmt.Errorf("%q is not %s<resource>_<id>: a part is empty", raw, prefix)
			}
		}
		switch {
		case len(parts) == 2:
			return identifierModel{RawID: raw, Kind: kindCommunicationUser, CommunicationUser: &communicationUserModel{ID: raw}}, nil
		case len(parts) == 3 && prefix != "8:spool:":
			cloud := map[string]string{"8:acs:": "public", "8:dod-acs:": "dod", "8:gcch-acs:": "gcch"}[prefix]
			return identifierModel{RawID: raw, Kind: kindTeamsExtensionUser, TeamsExtensionUser: &teamsExtensionModel{
				ResourceID: parts[0], TenantID: parts[1], UserID: parts[2], Cloud: cloud}}, nil
		}
		return identifierModel{}, fmt.Errorf("%q is not %s<resource>_<id>", raw, prefix)
	case "8:orgid:", "8:dod:", "8:gcch:":
		cloud := map[string]string{"8:orgid:": "public", "8:dod:": "dod", "8:gcch:": "gcch"}[prefix]
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsUser, MicrosoftTeamsUser: &teamsUserModel{UserID: suffix, Cloud: cloud}}, nil
	case "8:teamsvisitor:":
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsUser, MicrosoftTeamsUser: &teamsUserModel{UserID: suffix, IsAnonymous: true}}, nil
	case "28:orgid:", "28:dod:", "28:gcch:":
		cloud := map[string]string{"28:orgid:": "public", "28:dod:": "dod", "28:gcch:": "gcch"}[prefix]
		return identifierModel{RawID: raw, Kind: kindMicrosoftTeamsApp, MicrosoftTeamsApp: &teamsAppModel{AppID: suffix, Cloud: cloud}}, nil
	}
	return identifierModel{}, fmt.Errorf("%q is not an identifier Azure Communication Services knows", raw)
}

// phoneIdentifier is the identifier of a phone number: E.164, or the
// anonymous number where anon allows it.
func phoneIdentifier(number string, anon bool) (identifierModel, error) {
	if number == anonymousPhone {
		if !anon {
			return identifierModel{}, errors.New("is the anonymous number, which can only name a participant already in the call")
		}
		return identifierModel{RawID: "4:" + anonymousPhone, Kind: kindPhoneNumber, PhoneNumber: &phoneNumberModel{Value: anonymousPhone, IsAnonymous: true}}, nil
	}
	if !validPhoneNumber(number) {
		return identifierModel{}, fmt.Errorf("%q is not an E.164 phone number", truncate(number))
	}
	return identifierModel{RawID: "4:" + number, Kind: kindPhoneNumber, PhoneNumber: &phoneNumberModel{Value: number}}, nil
}

// validPhoneNumber reports an E.164 number: '+', a country code that does not
// start with 0, at most 15 digits in all.
func validPhoneNumber(v string) bool {
	if len(v) < 3 || len(v) > 16 || v[0] != '+' || v[1] == '0' {
		return false
	}
	for _, c := range v[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// truncate shortens a value quoted in an error message: the message should
// not be ten times the size of the request that was refused.
func truncate(s string) string {
	const keep = 64
	if len(s) <= keep {
		return s
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
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

// acsUser checks a CommunicationUserIdentifierModel field ({"id": ...}:
// create call's source, answer's answeredBy) and returns its identifier.
func (v *violations) acsUser(target string, u *communicationUserModel) (identifierModel, bool) {
	id, err := parseRawID(u.ID, false)
	if err == nil && id.Kind != kindCommunicationUser {
		err = fmt.Errorf("%q is not an Azure Communication Services user ID", u.ID)
	}
	if err != nil {
		v.add(target, "The field %s is invalid: %v.", target, err)
		return identifierModel{}, false
	}
	return id, true
}
