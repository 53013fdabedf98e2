package acs

import "encoding/json"

// SIP header rules of the official SDKs.
const (
	// SIPHeaderUUI is the header a SIP User-to-User value travels in.
	SIPHeaderUUI = "User-To-User"
	// SIPCustomHeaderPrefix is put in front of custom SIP header names.
	SIPCustomHeaderPrefix = "X-MS-Custom-"
)

// SIPHeaderPrefix is the prefix AddSIPXWithPrefix puts before a custom SIP
// header name.
type SIPHeaderPrefix string

// Prefixes the SDKs offer for custom SIP headers.
const (
	SIPPrefixMSCustom SIPHeaderPrefix = SIPCustomHeaderPrefix
	SIPPrefixX        SIPHeaderPrefix = "X-"
)

// CustomCallingContext is the custom context sent to the invited party
// (add participant, transfer). VoIP headers go under voipHeaders; SIP headers
// under sipHeaders, where the SDK rules apply: a UUI value becomes
// "User-To-User" and custom headers are prefixed "X-MS-Custom-". Build it
// with the Add methods; both maps are always sent, as "{}" when empty, as the
// SDK sends them.
type CustomCallingContext struct {
	VoIPHeaders           map[string]string      `json:"voipHeaders"`
	SIPHeaders            map[string]string      `json:"sipHeaders"`
	TeamsPhoneCallDetails *TeamsPhoneCallDetails `json:"teamsPhoneCallDetails,omitempty"`
}

// AddVoIPHeader adds a VoIP header, sent under its own name.
func (c *CustomCallingContext) AddVoIPHeader(name, value string) {
	if c.VoIPHeaders == nil {
		c.VoIPHeaders = make(map[string]string)
	}
	c.VoIPHeaders[name] = value
}

// AddSIPUUI sets the SIP User-To-User header.
func (c *CustomCallingContext) AddSIPUUI(value string) {
	c.addSIP(SIPHeaderUUI, value)
}

// AddSIPX adds a custom SIP header sent as "X-MS-Custom-<name>".
func (c *CustomCallingContext) AddSIPX(name, value string) {
	c.addSIP(SIPCustomHeaderPrefix+name, value)
}

// AddSIPXWithPrefix adds a custom SIP header sent as prefix+name.
func (c *CustomCallingContext) AddSIPXWithPrefix(name, value string, prefix SIPHeaderPrefix) {
	c.addSIP(string(prefix)+name, value)
}

func (c *CustomCallingContext) addSIP(name, value string) {
	if c.SIPHeaders == nil {
		c.SIPHeaders = make(map[string]string)
	}
	c.SIPHeaders[name] = value
}

type customCallingContextJSON CustomCallingContext

// MarshalJSON sends nil header maps as {} like the SDK.
func (c CustomCallingContext) MarshalJSON() ([]byte, error) {
	if c.VoIPHeaders == nil {
		c.VoIPHeaders = map[string]string{}
	}
	if c.SIPHeaders == nil {
		c.SIPHeaders = map[string]string{}
	}
	return json.Marshal(customCallingContextJSON(c))
}

// TeamsPhoneCallDetails is shown to a Teams Phone agent receiving the call.
type TeamsPhoneCallDetails struct {
	TeamsPhoneCallerDetails *TeamsPhoneCallerDetails `json:"teamsPhoneCallerDetails,omitempty"`
	TeamsPhoneSourceDetails *TeamsPhoneSourceDetails `json:"teamsPhoneSourceDetails,omitempty"`
	SessionID               string                   `json:"sessionId,omitempty"`
	Intent                  string                   `json:"intent,omitempty"`
	CallTopic               string                   `json:"callTopic,omitempty"`
	CallContext             string                   `json:"callContext,omitempty"`
	TranscriptURL           string                   `json:"transcriptUrl,omitempty"`
	CallSentiment           string                   `json:"callSentiment,omitempty"`
	SuggestedActions        string                   `json:"suggestedActions,omitempty"`
}

// TeamsPhoneCallerDetails describes the original caller.
type TeamsPhoneCallerDetails struct {
	Caller                      Identifier        `json:"caller"`
	Name                        string            `json:"name"`
	PhoneNumber                 string            `json:"phoneNumber"`
	RecordID                    string            `json:"recordId,omitempty"`
	ScreenPopURL                string            `json:"screenPopUrl,omitempty"`
	IsAuthenticated             bool              `json:"isAuthenticated,omitempty"`
	AdditionalCallerInformation map[string]string `json:"additionalCallerInformation,omitempty"`
}

// TeamsPhoneSourceDetails describes the entity that created the details.
type TeamsPhoneSourceDetails struct {
	Source          Identifier            `json:"source"`
	Language        string                `json:"language"`
	Status          string                `json:"status"`
	IntendedTargets map[string]Identifier `json:"intendedTargets,omitempty"`
}
