package service

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The bounds ACS documents for custom calling context ("How to pass contextual data between
// calls" and the direct routing SIP specification: five custom SIP headers, names of at most 64
// characters with the X-MS-Custom- prefix, SIP values of at most 256, 1,000 VoIP headers) are
// declared on CustomCallingContext in the proto; what they cannot say is checked here.

// customCallingContext checks and converts the headers sent to target (at targetField). SIP
// headers only reach phone numbers, so they are refused for any other target rather than
// silently dropped.
func (v *validator) customCallingContext(field string, c *callgatev1.CustomCallingContext, target acs.Identifier, targetField string) *acs.CustomCallingContext {
	if c == nil || (len(c.GetVoipHeaders()) == 0 && c.GetSipUserToUser() == "" && len(c.GetSipXHeaders()) == 0) {
		return nil
	}
	out := &acs.CustomCallingContext{}
	notPhone := !target.IsZero() && target.ObjectKind() != acs.KindPhoneNumber
	if uui := c.GetSipUserToUser(); uui != "" {
		f := field + ".sip_user_to_user"
		switch {
		case notPhone:
			v.add(f, "SIP headers reach phone numbers only, and "+targetField+" is not one")
		case hasLineBreak(uui):
			v.add(f, "must not contain line breaks")
		}
		out.AddSIPUUI(uui)
	}
	if xs := c.GetSipXHeaders(); len(xs) > 0 {
		f := field + ".sip_x_headers"
		if notPhone {
			v.add(f, "SIP headers reach phone numbers only, and "+targetField+" is not one")
		}
		for _, name := range sortedKeys(xs) {
			value := xs[name]
			switch {
			case !isSIPToken(name):
				v.add(f, "header name "+strconv.Quote(name)+" must be a SIP token (letters, digits, -.!%*_+`'~)")
			case strings.HasPrefix(strings.ToLower(name), strings.ToLower(acs.SIPCustomHeaderPrefix)):
				v.add(f, "header "+name+": give the name without the "+acs.SIPCustomHeaderPrefix+" prefix, the gateway adds it")
			case hasLineBreak(value):
				v.add(f, "header "+name+": the value must not contain line breaks")
			}
			out.AddSIPX(name, value)
		}
	}
	if vs := c.GetVoipHeaders(); len(vs) > 0 {
		f := field + ".voip_headers"
		for _, name := range sortedKeys(vs) {
			value := vs[name]
			if hasLineBreak(name) || hasLineBreak(value) {
				v.add(f, "header names and values must not contain line breaks")
				break
			}
			out.AddVoIPHeader(name, value)
		}
	}
	return out
}

// hasLineBreak reports a character that would end a SIP or HTTP header line.
func hasLineBreak(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// isSIPToken reports whether s is a SIP header name token (RFC 3261 section 25.1).
func isSIPToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-.!%*_+`'~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// sortedKeys gives map entries a stable order, so that violations come out the same way each time.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
