package service

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// idMode says how strictly an identifier in a request is checked.
type idMode int

const (
	// dialable: a party ACS will ring (create, add, redirect, transfer target): a phone number must
	// be a real E.164 number, never anonymous.
	dialable idMode = iota
	// existing: a party already in the call, typically copied from a response (remove, mute,
	// transferee, filters): anonymous numbers and asserted IDs are fine.
	existing
)

const (
	descIdentifier = "required: give raw_id or one of communication_user, phone_number, microsoft_teams_user, microsoft_teams_app"
	descPhoneRawID = "a phone number's raw ID is 4: then the number (4:+16471234567)"
	descRawID      = "must be a raw ID, <prefix>:<id> with no spaces or control characters (8:acs:..., 4:+16471234567)"
)

// identifier checks a request's identifier at p and converts it. An identifier may be given by
// its typed kind, by raw_id alone (parsed with the SDKs' rules), or both, when they must agree.
// On a violation the result is incomplete and only good for further checks.
func (v *validator) identifier(p path, id *callgatev1.CommunicationIdentifier, mode idMode) acs.Identifier {
	raw := id.GetRawId()
	if raw == "" && id.GetKind() == nil {
		v.add(p.String(), descIdentifier)
		return acs.Identifier{}
	}
	before := len(v.violations)
	var out acs.Identifier
	var kind string
	switch k := id.GetKind().(type) {
	case nil:
		return v.rawIdentifier(p, raw, mode)
	case *callgatev1.CommunicationIdentifier_Unknown:
		if raw == "" {
			v.add(p.join(".raw_id"), "required for an identifier of unknown kind")
			return acs.Identifier{}
		}
		// Unknown to this API, not to ACS (a Teams extension user, say): parsed like raw_id
		// alone, so a phone number given this way meets every phone number rule.
		return v.rawIdentifier(p, raw, mode)
	case *callgatev1.CommunicationIdentifier_CommunicationUser:
		kind = "communication_user"
		u := k.CommunicationUser.GetId()
		v.acsUserID(p.join(".communication_user.id"), u)
		out = acs.CommunicationUser(u)
	case *callgatev1.CommunicationIdentifier_PhoneNumber:
		kind = "phone_number"
		n := k.PhoneNumber
		v.phoneNumber(p, n.GetValue(), n.GetIsAnonymous(), mode, ".phone_number.value", ".phone_number.is_anonymous")
		out = acs.Identifier{Kind: acs.KindPhoneNumber, PhoneNumber: &acs.PhoneNumberModel{
			Value: n.GetValue(), IsAnonymous: n.GetIsAnonymous(), AssertedID: n.GetAssertedId(),
		}}
	case *callgatev1.CommunicationIdentifier_MicrosoftTeamsUser:
		kind = "microsoft_teams_user"
		u := k.MicrosoftTeamsUser
		v.plainID(p.join(".microsoft_teams_user.user_id"), u.GetUserId())
		cloud := v.cloud(p, ".microsoft_teams_user.cloud", u.GetCloud())
		out = acs.Identifier{Kind: acs.KindMicrosoftTeamsUser, MicrosoftTeamsUser: &acs.MicrosoftTeamsUserModel{
			UserID: u.GetUserId(), IsAnonymous: u.GetIsAnonymous(), Cloud: cloud,
		}}
	case *callgatev1.CommunicationIdentifier_MicrosoftTeamsApp:
		kind = "microsoft_teams_app"
		a := k.MicrosoftTeamsApp
		v.plainID(p.join(".microsoft_teams_app.app_id"), a.GetAppId())
		out = acs.MicrosoftTeamsApp(a.GetAppId(), v.cloud(p, ".microsoft_teams_app.cloud", a.GetCloud()))
	default:
		v.add(p.String(), "has a kind this gateway does not know")
		return acs.Identifier{}
	}
	if len(v.violations) > before {
		return out
	}
	derived := out.Raw()
	if raw != "" && raw != derived {
		v.add(p.join(".raw_id"), "does not match the "+kind+" given; set one of them, or both alike")
	}
	out.RawID = derived
	return out
}

// acsUserID checks the raw ID of an ACS user: a phone number or Teams ID there is a mistake ACS
// would only report later, and less clearly.
func (v *validator) acsUserID(field, id string) {
	if id == "" {
		v.add(field, descRequired)
		return
	}
	if !isRawID(id) {
		v.add(field, "must be an ACS user ID (8:acs:<resource id>_<user id>)")
		return
	}
	if rest, ok := strings.CutPrefix(id, "8:spool:"); ok && rest != "" {
		return
	}
	for _, prefix := range []string{"8:acs:", "8:dod-acs:", "8:gcch-acs:"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			if resource, user, ok := strings.Cut(rest, "_"); ok && resource != "" && user != "" {
				return
			}
		}
	}
	v.add(field, "must be an ACS user ID (8:acs:<resource id>_<user id>)")
}

// isRawID reports whether s has the shape of every raw ID: a numeric prefix, ':', then an ID
// with no spaces or control characters ("x", "8:" and "../../etc/passwd" have not).
func isRawID(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return false
	}
	for j := 0; j < i; j++ {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
	}
	for _, r := range s[i+1:] {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// rawIdentifier parses an identifier given by raw_id only.
func (v *validator) rawIdentifier(p path, raw string, mode idMode) acs.Identifier {
	field := p.join(".raw_id")
	switch {
	case raw[0] == '+':
		// Parsed as it is, this would be an identifier of unknown kind that ACS refuses later.
		v.add(field, descPhoneRawID)
		return acs.Identifier{}
	case !isRawID(raw):
		v.add(field, descRawID)
		return acs.Identifier{}
	}
	id, err := acs.ParseRawID(raw)
	if err != nil {
		v.add(field, descRequired)
		return acs.Identifier{}
	}
	if id.CommunicationUser != nil {
		v.acsUserID(field, id.CommunicationUser.ID)
	}
	if n := id.PhoneNumber; n != nil {
		v.phoneNumber(p, n.Value, n.IsAnonymous, mode, ".raw_id", ".raw_id")
	}
	return id
}

// phoneNumber checks a phone number party; valueField and anonField are where its parts came from.
func (v *validator) phoneNumber(p path, value string, anonymous bool, mode idMode, valueField, anonField string) {
	switch {
	case anonymous && mode == dialable:
		v.add(p.join(anonField), "an anonymous number cannot be called")
	case anonymous:
	case value == "":
		v.add(p.join(valueField), descRequired)
	case !acs.IsE164(value):
		v.add(p.join(valueField), descE164)
	case mode == dialable:
		v.destination(p.join(valueField), value)
	}
}

// plainID checks a required ID that becomes part of a raw ID.
func (v *validator) plainID(field, id string) {
	switch {
	case id == "":
		v.add(field, descRequired)
	case !isRawID("0:" + id):
		v.add(field, "must not contain spaces or control characters")
	}
}

func (v *validator) cloud(p path, sub string, c callgatev1.CommunicationCloud) acs.Cloud {
	switch c {
	case callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_UNSPECIFIED, callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_PUBLIC:
		return acs.CloudPublic
	case callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_DOD:
		return acs.CloudDoD
	case callgatev1.CommunicationCloud_COMMUNICATION_CLOUD_GCCH:
		return acs.CloudGCCH
	}
	v.add(p.join(sub), "must be one of COMMUNICATION_CLOUD_PUBLIC, _DOD or _GCCH, not "+strconv.Itoa(int(c)))
	return ""
}

// callerID checks and converts a source_caller_id_number: a number of the resource, shown to
// phone parties.
func (v *validator) callerID(field string, n *callgatev1.PhoneNumber) *acs.PhoneNumberModel {
	if n == nil {
		return nil
	}
	if n.GetIsAnonymous() {
		v.add(field+".is_anonymous", "a caller ID cannot be anonymous")
	}
	switch {
	case n.GetValue() == "":
		v.add(field+".value", descRequired)
	case !acs.IsE164(n.GetValue()):
		v.add(field+".value", descE164)
	default:
		v.ownCallerID(field+".value", n.GetValue())
	}
	return acs.CallerID(n.GetValue())
}
