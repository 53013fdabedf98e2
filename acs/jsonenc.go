package acs

import "unicode/utf8"

// Identifiers are on every request path; encoding them by hand instead of
// through reflection roughly halves the cost of a request body (see
// BenchmarkBuildAndSign). The output equals encoding/json's for the same
// struct (FuzzParseRawID checks it).

func (id Identifier) appendJSON(b []byte) []byte { return id.appendJSONKind(b, true) }

// appendJSONKind is appendJSON with or without the kind member: the CallMedia operations send
// identifiers without it (see CallMediaIdentifier).
func (id Identifier) appendJSONKind(b []byte, withKind bool) []byte {
	id = id.normalized()
	b = append(b, '{')
	sep := false
	key := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	if withKind && id.Kind != "" {
		key("kind")
		b = appendJSONString(b, string(id.Kind))
	}
	if id.RawID != "" {
		key("rawId")
		b = appendJSONString(b, id.RawID)
	}
	if u := id.CommunicationUser; u != nil {
		key("communicationUser")
		b = append(b, `{"id":`...)
		b = appendJSONString(b, u.ID)
		b = append(b, '}')
	}
	if p := id.PhoneNumber; p != nil {
		key("phoneNumber")
		b = append(b, `{"value":`...)
		b = appendJSONString(b, p.Value)
		b = append(b, `,"isAnonymous":`...)
		b = appendBool(b, p.IsAnonymous)
		if p.AssertedID != "" {
			b = append(b, `,"assertedId":`...)
			b = appendJSONString(b, p.AssertedID)
		}
		b = append(b, '}')
	}
	if u := id.MicrosoftTeamsUser; u != nil {
		key("microsoftTeamsUser")
		b = append(b, `{"userId":`...)
		b = appendJSONString(b, u.UserID)
		b = append(b, `,"isAnonymous":`...)
		b = appendBool(b, u.IsAnonymous)
		b = appendCloud(b, u.Cloud)
		b = append(b, '}')
	}
	if a := id.MicrosoftTeamsApp; a != nil {
		key("microsoftTeamsApp")
		b = append(b, `{"appId":`...)
		b = appendJSONString(b, a.AppID)
		b = appendCloud(b, a.Cloud)
		b = append(b, '}')
	}
	if u := id.TeamsExtensionUser; u != nil {
		key("teamsExtensionUser")
		b = append(b, `{"userId":`...)
		b = appendJSONString(b, u.UserID)
		b = append(b, `,"tenantId":`...)
		b = appendJSONString(b, u.TenantID)
		b = append(b, `,"resourceId":`...)
		b = appendJSONString(b, u.ResourceID)
		b = appendCloud(b, u.Cloud)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendCloud(b []byte, c Cloud) []byte {
	if c == "" {
		return b
	}
	b = append(b, `,"cloud":`...)
	return appendJSONString(b, string(c))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendJSONString quotes s the way encoding/json does with HTML escaping
// off; an encoder that escapes HTML does so when it compacts the output.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
