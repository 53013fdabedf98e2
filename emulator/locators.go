package emulator

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// Call locator kinds of connect (CallLocatorKind).
const (
	locatorServerCall = "serverCallLocator"
	locatorGroupCall  = "groupCallLocator"
	locatorRoom       = "roomCallLocator"
)

// locator checks the call locator of connect and returns its kind and ID. A
// group call ID is a UUID; a room ID an ID string; a server call ID is what
// the service issues, the base64 of a conversation URL: one that does not
// decode to a URL is refused at once (400), where a well-formed one of a call
// the emulator does not know gets ConnectFailed later, as from ACS.
func (v *violations) locator(loc *callLocator) (kind, id string) {
	if loc == nil {
		v.add("callLocator", "The field CallLocator is required.")
		return "", ""
	}
	kind = loc.Kind
	if kind == "" {
		switch {
		case loc.ServerCallID != "":
			kind = locatorServerCall
		case loc.GroupCallID != "":
			kind = locatorGroupCall
		case loc.RoomID != "":
			kind = locatorRoom
		}
	}
	switch kind {
	case locatorServerCall:
		const target = "callLocator.serverCallId"
		if v.id(target, "ServerCallId", loc.ServerCallID, maxServerCallIDBytes, true) && !isServerCallID(loc.ServerCallID) {
			v.add(target, "The field ServerCallId is invalid: it is not a server call ID issued by the service.")
		}
		return kind, loc.ServerCallID
	case locatorGroupCall:
		if loc.GroupCallID == "" {
			v.add("callLocator.groupCallId", "The field GroupCallId is required.")
		} else if !isUUID(loc.GroupCallID) {
			v.add("callLocator.groupCallId", "The field GroupCallId is invalid: it is not a UUID.")
		}
		return kind, loc.GroupCallID
	case locatorRoom:
		v.id("callLocator.roomId", "RoomId", loc.RoomID, maxRoomIDBytes, true)
		return kind, loc.RoomID
	}
	v.add("callLocator.kind", "The field CallLocator.Kind must be groupCallLocator, serverCallLocator or roomCallLocator.")
	return "", ""
}

// isServerCallID reports whether s decodes, as base64 with or without
// padding, to an absolute http(s) URL, as every server call ID does.
func isServerCallID(s string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		raw, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		u, err := url.Parse(string(raw))
		return err == nil && u.Host != "" && (strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http"))
	}
	return false
}
