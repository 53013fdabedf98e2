package gateway

import "testing"

func TestMaskPhoneNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"+16471234567":                                 "+1647*****67",
		"Transferee 4:+16471234567 is not here.":       "Transferee 4:+1647*****67 is not here.",
		"/participants/4%3A%2B16471234567?api-version": "/participants/4%3A%2B1647*****67?api-version",
		"+4420794600 and +33142685300":                 "+4420****00 and +3314*****00",
		"short +1234567":                               "short +1****67",
		"+123456 is too short to be a number":          "+123456 is too short to be a number",
		"2026-03-12 +0000 no digits+":                  "2026-03-12 +0000 no digits+",
		"nothing to hide":                              "nothing to hide",
	} {
		if got := maskPhoneNumbers(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
