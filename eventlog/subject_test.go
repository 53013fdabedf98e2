package eventlog

import (
	"strings"
	"testing"
	"unicode"
)

func TestSubjectToken(t *testing.T) {
	tests := []struct {
		id, token string
	}{
		{"0b004880-e406-40bf-8384-a4042a72fecd", "0b004880-e406-40bf-8384-a4042a72fecd"},
		{"call_1", "call_1"},
		{"", "~"},
		{"a.b", "~YS5i"},
		{"*", "~Kg"},
		{">", "~Pg"},
		{"with space", "~d2l0aCBzcGFjZQ"},
		{"8:acs:resource_user", "~ODphY3M6cmVzb3VyY2VfdXNlcg"},
		{"~x", "~fng"}, // a raw ID that looks encoded is encoded itself
	}
	for _, tc := range tests {
		got := subjectToken(tc.id)
		if got != tc.token {
			t.Errorf("subjectToken(%q) = %q, want %q", tc.id, got, tc.token)
		}
		back, err := tokenID(got)
		if err != nil || back != tc.id {
			t.Errorf("tokenID(%q) = %q, %v; want %q", got, back, err, tc.id)
		}
	}
	for _, bad := range []string{"", "a.b", "~!!", "a b"} {
		if _, err := tokenID(bad); err == nil {
			t.Errorf("tokenID(%q) accepted a malformed token", bad)
		}
	}
}

func FuzzSubjectToken(f *testing.F) {
	for _, s := range []string{"", "abc", "a.b.c", "*", ">", "~", "~YQ", "x y", "8:acs:1_2", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		tok := subjectToken(id)
		if tok == "" || strings.ContainsAny(tok, ".*>") || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
			t.Fatalf("subjectToken(%q) = %q is not a valid subject token", id, tok)
		}
		back, err := tokenID(tok)
		if err != nil || back != id {
			t.Fatalf("round trip of %q via %q gave %q, %v", id, tok, back, err)
		}
	})
}
