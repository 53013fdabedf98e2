package acs

import (
	"encoding/json"
	"strings"
)

// IdentifierKind is the `kind` discriminator of a CommunicationIdentifierModel.
type IdentifierKind string

// Identifier kinds defined by the Communication common API (common.json).
const (
	KindUnknown            IdentifierKind = "unknown"
	KindCommunicationUser  IdentifierKind = "communicationUser"
	KindPhoneNumber        IdentifierKind = "phoneNumber"
	KindMicrosoftTeamsUser IdentifierKind = "microsoftTeamsUser"
	KindMicrosoftTeamsApp  IdentifierKind = "microsoftTeamsApp"
	KindTeamsExtensionUser IdentifierKind = "teamsExtensionUser"
)

// Cloud is the cloud a Teams user, Teams app or Teams extension user belongs to.
type Cloud string

// Clouds known to the API; an empty Cloud means public.
const (
	CloudPublic Cloud = "public"
	CloudDoD    Cloud = "dod"
	CloudGCCH   Cloud = "gcch"
)

// Raw ID prefixes, as the official SDKs define them.
const (
	prefixPhone              = "4:"
	phoneAnonymous           = "anonymous"
	prefixTeamsAppPublic     = "28:orgid:"
	prefixTeamsAppDoD        = "28:dod:"
	prefixTeamsAppGCCH       = "28:gcch:"
	prefixTeamsUserAnonymous = "8:teamsvisitor:"
	prefixTeamsUserPublic    = "8:orgid:"
	prefixTeamsUserDoD       = "8:dod:"
	prefixTeamsUserGCCH      = "8:gcch:"
	prefixACSUser            = "8:acs:"
	prefixACSUserDoD         = "8:dod-acs:"
	prefixACSUserGCCH        = "8:gcch-acs:"
	prefixSpoolUser          = "8:spool:"
)

// Identifier is the REST CommunicationIdentifierModel: a kind, a raw ID and
// exactly one kind-specific object. Build one with a constructor
// (CommunicationUser, PhoneNumber, ...) or ParseRawID; a hand-built value
// only needs its kind object, the kind and raw ID are derived when it is
// encoded. Identifiers decoded from responses get their kind and raw ID
// filled in the same way when the service leaves them out.
type Identifier struct {
	Kind               IdentifierKind           `json:"kind,omitempty"`
	RawID              string                   `json:"rawId,omitempty"`
	CommunicationUser  *CommunicationUserModel  `json:"communicationUser,omitempty"`
	PhoneNumber        *PhoneNumberModel        `json:"phoneNumber,omitempty"`
	MicrosoftTeamsUser *MicrosoftTeamsUserModel `json:"microsoftTeamsUser,omitempty"`
	MicrosoftTeamsApp  *MicrosoftTeamsAppModel  `json:"microsoftTeamsApp,omitempty"`
	TeamsExtensionUser *TeamsExtensionUserModel `json:"teamsExtensionUser,omitempty"`
}

// CommunicationUserModel is an ACS user; ID is its full raw ID (8:acs:...).
type CommunicationUserModel struct {
	ID string `json:"id"`
}

// PhoneNumberModel is a phone number. IsAnonymous is always sent, as the
// official SDK does.
type PhoneNumberModel struct {
	Value       string `json:"value"`
	IsAnonymous bool   `json:"isAnonymous"`
	AssertedID  string `json:"assertedId,omitempty"`
}

// MicrosoftTeamsUserModel is a Teams user (Entra object ID unless anonymous).
type MicrosoftTeamsUserModel struct {
	UserID      string `json:"userId"`
	IsAnonymous bool   `json:"isAnonymous"`
	Cloud       Cloud  `json:"cloud,omitempty"`
}

// MicrosoftTeamsAppModel is a Teams application (bot, resource account).
type MicrosoftTeamsAppModel struct {
	AppID string `json:"appId"`
	Cloud Cloud  `json:"cloud,omitempty"`
}

// TeamsExtensionUserModel is a Teams Phone user extended through ACS.
type TeamsExtensionUserModel struct {
	UserID     string `json:"userId"`
	TenantID   string `json:"tenantId"`
	ResourceID string `json:"resourceId"`
	Cloud      Cloud  `json:"cloud,omitempty"`
}

// CommunicationUser returns the identifier of an ACS user; id is the user's
// raw ID as the Identity API returned it (8:acs:...).
func CommunicationUser(id string) Identifier {
	return Identifier{Kind: KindCommunicationUser, RawID: id, CommunicationUser: &CommunicationUserModel{ID: id}}
}

// PhoneNumber returns the identifier of a phone number in E.164 form
// (+14255550123). Its raw ID is "4:" followed by the number, as the SDK sends it.
func PhoneNumber(e164 string) Identifier {
	return Identifier{Kind: KindPhoneNumber, RawID: prefixPhone + e164, PhoneNumber: &PhoneNumberModel{Value: e164}}
}

// CallerID returns the phone number model used for sourceCallerIdNumber.
func CallerID(e164 string) *PhoneNumberModel {
	return &PhoneNumberModel{Value: e164}
}

// MicrosoftTeamsUser returns the identifier of a (non-anonymous) Teams user.
// An empty cloud means public.
func MicrosoftTeamsUser(userID string, cloud Cloud) Identifier {
	id := Identifier{Kind: KindMicrosoftTeamsUser, MicrosoftTeamsUser: &MicrosoftTeamsUserModel{UserID: userID, Cloud: cloudOrPublic(cloud)}}
	id.RawID = id.derivedRawID()
	return id
}

// MicrosoftTeamsApp returns the identifier of a Teams application. An empty
// cloud means public.
func MicrosoftTeamsApp(appID string, cloud Cloud) Identifier {
	id := Identifier{Kind: KindMicrosoftTeamsApp, MicrosoftTeamsApp: &MicrosoftTeamsAppModel{AppID: appID, Cloud: cloudOrPublic(cloud)}}
	id.RawID = id.derivedRawID()
	return id
}

// TeamsExtensionUser returns the identifier of a Teams Phone extension user.
// An empty cloud means public.
func TeamsExtensionUser(userID, tenantID, resourceID string, cloud Cloud) Identifier {
	id := Identifier{Kind: KindTeamsExtensionUser, TeamsExtensionUser: &TeamsExtensionUserModel{
		UserID: userID, TenantID: tenantID, ResourceID: resourceID, Cloud: cloudOrPublic(cloud),
	}}
	id.RawID = id.derivedRawID()
	return id
}

// UnknownIdentifier returns an identifier known only by its raw ID.
func UnknownIdentifier(rawID string) Identifier {
	return Identifier{Kind: KindUnknown, RawID: rawID}
}

// ParseRawID restores an identifier from its raw ID with the rules of the
// official SDKs: "4:" phone numbers (including "4:anonymous" and an
// "_assertedId" suffix), ACS users (8:acs:, 8:spool:, 8:dod-acs:,
// 8:gcch-acs:; three "_"-separated parts make a Teams extension user), Teams
// users (8:orgid:, 8:dod:, 8:gcch:, 8:teamsvisitor:) and Teams apps
// (28:orgid:, 28:dod:, 28:gcch:). Anything else is an unknown identifier.
// Only an empty raw ID is an error.
func ParseRawID(raw string) (Identifier, error) {
	if raw == "" {
		return Identifier{}, &ValidationError{Violations: []FieldViolation{{Field: "rawId", Description: "must not be empty"}}}
	}
	return parseRawID(raw), nil
}

func parseRawID(raw string) Identifier {
	if number, ok := strings.CutPrefix(raw, prefixPhone); ok {
		m := &PhoneNumberModel{Value: number}
		if number == phoneAnonymous {
			m.IsAnonymous = true
		} else if i := strings.LastIndexByte(number, '_'); i > 0 && i < len(number)-1 {
			m.Value, m.AssertedID = number[:i], number[i+1:]
		}
		return Identifier{Kind: KindPhoneNumber, RawID: raw, PhoneNumber: m}
	}
	// The SDKs accept exactly three ':'-separated segments.
	if strings.Count(raw, ":") != 2 {
		return UnknownIdentifier(raw)
	}
	i := strings.IndexByte(raw, ':')
	j := i + 1 + strings.IndexByte(raw[i+1:], ':')
	prefix, suffix := raw[:j+1], raw[j+1:]
	id := Identifier{RawID: raw}
	switch prefix {
	case prefixTeamsUserAnonymous:
		id.Kind, id.MicrosoftTeamsUser = KindMicrosoftTeamsUser, &MicrosoftTeamsUserModel{UserID: suffix, IsAnonymous: true, Cloud: CloudPublic}
	case prefixTeamsUserPublic, prefixTeamsUserDoD, prefixTeamsUserGCCH:
		id.Kind, id.MicrosoftTeamsUser = KindMicrosoftTeamsUser, &MicrosoftTeamsUserModel{UserID: suffix, Cloud: teamsUserCloud(prefix)}
	case prefixTeamsAppPublic, prefixTeamsAppDoD, prefixTeamsAppGCCH:
		id.Kind, id.MicrosoftTeamsApp = KindMicrosoftTeamsApp, &MicrosoftTeamsAppModel{AppID: suffix, Cloud: teamsAppCloud(prefix)}
	case prefixSpoolUser:
		id.Kind, id.CommunicationUser = KindCommunicationUser, &CommunicationUserModel{ID: raw}
	case prefixACSUser, prefixACSUserDoD, prefixACSUserGCCH:
		if parts := strings.Split(suffix, "_"); len(parts) == 3 {
			id.Kind, id.TeamsExtensionUser = KindTeamsExtensionUser, &TeamsExtensionUserModel{
				ResourceID: parts[0], TenantID: parts[1], UserID: parts[2], Cloud: acsUserCloud(prefix),
			}
		} else {
			id.Kind, id.CommunicationUser = KindCommunicationUser, &CommunicationUserModel{ID: raw}
		}
	default:
		id.Kind = KindUnknown
	}
	return id
}

// Raw returns the raw ID: RawID when set, otherwise the one derived from the
// kind object with the SDK's rules.
func (id Identifier) Raw() string {
	if id.RawID != "" {
		return id.RawID
	}
	return id.derivedRawID()
}

// String returns the raw ID.
func (id Identifier) String() string { return id.Raw() }

// IsZero reports whether the identifier is empty.
func (id Identifier) IsZero() bool { return id == Identifier{} }

// Equal reports whether both identifiers have the same raw ID.
func (id Identifier) Equal(other Identifier) bool { return id.Raw() == other.Raw() }

// ObjectKind returns the kind implied by the kind object that is set
// (KindUnknown when none is), ignoring the Kind field.
func (id Identifier) ObjectKind() IdentifierKind {
	switch {
	case id.CommunicationUser != nil:
		return KindCommunicationUser
	case id.PhoneNumber != nil:
		return KindPhoneNumber
	case id.MicrosoftTeamsUser != nil:
		return KindMicrosoftTeamsUser
	case id.MicrosoftTeamsApp != nil:
		return KindMicrosoftTeamsApp
	case id.TeamsExtensionUser != nil:
		return KindTeamsExtensionUser
	}
	return KindUnknown
}

func (id Identifier) objectCount() int {
	n := 0
	if id.CommunicationUser != nil {
		n++
	}
	if id.PhoneNumber != nil {
		n++
	}
	if id.MicrosoftTeamsUser != nil {
		n++
	}
	if id.MicrosoftTeamsApp != nil {
		n++
	}
	if id.TeamsExtensionUser != nil {
		n++
	}
	return n
}

// normalized fills Kind and RawID when they are missing; an empty identifier
// stays empty.
func (id Identifier) normalized() Identifier {
	if id.Kind == "" && (id.RawID != "" || id.objectCount() > 0) {
		id.Kind = id.ObjectKind()
	}
	if id.RawID == "" {
		id.RawID = id.derivedRawID()
	}
	return id
}

func (id Identifier) derivedRawID() string {
	switch {
	case id.CommunicationUser != nil:
		return id.CommunicationUser.ID
	case id.PhoneNumber != nil:
		p := id.PhoneNumber
		switch {
		case p.IsAnonymous:
			return prefixPhone + phoneAnonymous
		case p.AssertedID != "":
			return prefixPhone + p.Value + "_" + p.AssertedID
		}
		return prefixPhone + p.Value
	case id.MicrosoftTeamsUser != nil:
		u := id.MicrosoftTeamsUser
		if u.IsAnonymous {
			return prefixTeamsUserAnonymous + u.UserID
		}
		switch u.Cloud {
		case CloudDoD:
			return prefixTeamsUserDoD + u.UserID
		case CloudGCCH:
			return prefixTeamsUserGCCH + u.UserID
		}
		return prefixTeamsUserPublic + u.UserID
	case id.MicrosoftTeamsApp != nil:
		a := id.MicrosoftTeamsApp
		switch a.Cloud {
		case CloudDoD:
			return prefixTeamsAppDoD + a.AppID
		case CloudGCCH:
			return prefixTeamsAppGCCH + a.AppID
		}
		return prefixTeamsAppPublic + a.AppID
	case id.TeamsExtensionUser != nil:
		u := id.TeamsExtensionUser
		prefix := prefixACSUser
		switch u.Cloud {
		case CloudDoD:
			prefix = prefixACSUserDoD
		case CloudGCCH:
			prefix = prefixACSUserGCCH
		}
		return prefix + u.ResourceID + "_" + u.TenantID + "_" + u.UserID
	}
	return ""
}

// identifierJSON has Identifier's fields without its methods, so the
// (un)marshalers below do not recurse.
type identifierJSON Identifier

// MarshalJSON encodes the identifier as the SDK does: kind, rawId, then the
// kind object, with kind and rawId derived when they were left empty.
func (id Identifier) MarshalJSON() ([]byte, error) {
	return id.appendJSON(make([]byte, 0, 160)), nil
}

// UnmarshalJSON decodes a CommunicationIdentifierModel and fills a missing
// kind or raw ID (the service omits rawId in some responses).
func (id *Identifier) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var v identifierJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*id = Identifier(v).completed()
	return nil
}

// completed is a decoded identifier with what the service left out filled in: a response may
// carry only kind and rawId (the kind object is restored from the raw ID when it parses to the
// same kind), or only the kind object (kind and raw ID are derived).
func (id Identifier) completed() Identifier {
	if id.objectCount() == 0 && id.RawID != "" {
		if parsed := parseRawID(id.RawID); id.Kind == "" || parsed.Kind == id.Kind {
			id = parsed
		}
	}
	return id.normalized()
}

// IdentifierFromMap reads an identifier from JSON already decoded into maps (encoding/json's
// map[string]any), as UnmarshalJSON reads it from bytes: for a caller that decoded a whole
// document once. ok is false for a value that is not an object or holds no identifier.
func IdentifierFromMap(v any) (id Identifier, ok bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return Identifier{}, false
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	flag := func(m map[string]any, k string) bool { b, _ := m[k].(bool); return b }
	obj := func(k string) (map[string]any, bool) { o, ok := m[k].(map[string]any); return o, ok }
	id.Kind, id.RawID = IdentifierKind(str(m, "kind")), str(m, "rawId")
	if o, ok := obj("communicationUser"); ok {
		id.CommunicationUser = &CommunicationUserModel{ID: str(o, "id")}
	}
	if o, ok := obj("phoneNumber"); ok {
		id.PhoneNumber = &PhoneNumberModel{Value: str(o, "value"), IsAnonymous: flag(o, "isAnonymous"), AssertedID: str(o, "assertedId")}
	}
	if o, ok := obj("microsoftTeamsUser"); ok {
		id.MicrosoftTeamsUser = &MicrosoftTeamsUserModel{UserID: str(o, "userId"), IsAnonymous: flag(o, "isAnonymous"), Cloud: Cloud(str(o, "cloud"))}
	}
	if o, ok := obj("microsoftTeamsApp"); ok {
		id.MicrosoftTeamsApp = &MicrosoftTeamsAppModel{AppID: str(o, "appId"), Cloud: Cloud(str(o, "cloud"))}
	}
	if o, ok := obj("teamsExtensionUser"); ok {
		id.TeamsExtensionUser = &TeamsExtensionUserModel{UserID: str(o, "userId"), TenantID: str(o, "tenantId"), ResourceID: str(o, "resourceId"), Cloud: Cloud(str(o, "cloud"))}
	}
	id = id.completed()
	return id, !id.IsZero()
}

func cloudOrPublic(c Cloud) Cloud {
	if c == "" {
		return CloudPublic
	}
	return c
}

func teamsUserCloud(prefix string) Cloud {
	switch prefix {
	case prefixTeamsUserDoD:
		return CloudDoD
	case prefixTeamsUserGCCH:
		return CloudGCCH
	}
	return CloudPublic
}

func teamsAppCloud(prefix string) Cloud {
	switch prefix {
	case prefixTeamsAppDoD:
		return CloudDoD
	case prefixTeamsAppGCCH:
		return CloudGCCH
	}
	return CloudPublic
}

func acsUserCloud(prefix string) Cloud {
	switch prefix {
	case prefixACSUserDoD:
		return CloudDoD
	case prefixACSUserGCCH:
		return CloudGCCH
	}
	return CloudPublic
}
