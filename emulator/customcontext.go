package emulator

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// sipUUIHeader is the SIP header a User-to-User value travels in; every other
// SIP header of a custom calling context is a custom X header.
const sipUUIHeader = "User-To-User"

// customContext checks the custom calling context of add participant and
// transfer against the documented limits (see limits.go). Names are checked
// in sorted order so the violations come out the same way each time.
func (v *violations) customContext(target string, c *customCallingContext) {
	if c == nil {
		return
	}
	sip, voip := target+".sipHeaders", target+".voipHeaders"
	xHeaders := 0
	for _, name := range slices.Sorted(maps.Keys(c.SipHeaders)) {
		value := c.SipHeaders[name]
		if !strings.EqualFold(name, sipUUIHeader) {
			xHeaders++
			switch {
			case len(name) < 3 || !strings.EqualFold(name[:2], "X-") || !isSIPToken(name):
				v.add(sip, "The SIP header name %q is not a custom header: it must be a SIP token starting with X-MS-Custom- or X-.", truncate(name))
				continue
			case len(name) > maxSIPHeaderNameBytes:
				v.add(sip, "The SIP header name %q is longer than %d bytes.", truncate(name), maxSIPHeaderNameBytes)
				continue
			}
		}
		headerValue(v, sip, "SIP", name, value, maxSIPHeaderValueRunes)
	}
	if xHeaders > maxSIPXHeaders {
		v.add(sip, "At most %d custom SIP headers can be sent; there are %d.", maxSIPXHeaders, xHeaders)
	}
	if len(c.VoipHeaders) > maxVoIPHeaders {
		v.add(voip, "At most %d VoIP headers can be sent; there are %d.", maxVoIPHeaders, len(c.VoipHeaders))
		return
	}
	for _, name := range slices.Sorted(maps.Keys(c.VoipHeaders)) {
		switch {
		case name == "":
			v.add(voip, "A VoIP header name is empty.")
			continue
		case len(name) > maxVoIPHeaderNameBytes:
			v.add(voip, "The VoIP header name %q is longer than %d bytes.", truncate(name), maxVoIPHeaderNameBytes)
			continue
		case hasHeaderControl(name):
			v.add(voip, "The VoIP header name %q contains a control character.", truncate(name))
			continue
		}
		headerValue(v, voip, "VoIP", name, c.VoipHeaders[name], maxVoIPHeaderValueRunes)
	}
}

func headerValue(v *violations, target, kind, name, value string, maxRunes int) {
	switch {
	case !utf8.ValidString(value):
		v.add(target, "The value of the %s header %s is not valid UTF-8.", kind, truncate(name))
	case utf8.RuneCountInString(value) > maxRunes:
		v.add(target, "The value of the %s header %s is longer than %d characters.", kind, truncate(name), maxRunes)
	case hasHeaderControl(value):
		v.add(target, "The value of the %s header %s contains a control character.", kind, truncate(name))
	}
}

// hasHeaderControl reports a control character other than a tab (which a
// header value may fold with): a CR or LF would end the header line.
func hasHeaderControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) }) >= 0
}

// sipToken is a SIP header name (RFC 3261 section 25.1, token).
var sipToken = regexp.MustCompile("^[A-Za-z0-9.!%*_+`'~-]+$")

func isSIPToken(s string) bool { return sipToken.MatchString(s) }
