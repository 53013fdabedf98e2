package gateway

import "testing"

func TestRouteMatches(t *testing.T) {
	for _, c := range []struct {
		template, path string
		want           bool
	}{
		{"/v1/calls", "/v1/calls", true},
		{"/v1/calls", "/v1/calls/", false},
		{"/v1/calls/{call_connection_id}", "/v1/calls/abc", true},
		{"/v1/calls/{call_connection_id}", "/v1/calls/", false},
		{"/v1/calls/{call_connection_id}", "/v1/calls/x:hangUp", false},
		{"/v1/calls/{call_connection_id}", "/v1/calls/a/b", false},
		{"/v1/calls/{call_connection_id}:hangUp", "/v1/calls/x:hangUp", true},
		{"/v1/calls/{call_connection_id}:hangUp", "/v1/calls/x:hangUpNow", false},
		{"/v1/calls/{call_connection_id}:hangUp", "/v1/calls/:hangUp", false},
		{"/v1/calls/{call_connection_id}/participants/{raw_id}", "/v1/calls/c/participants/8%3Aacs%3Ax", true},
		{"/v1/calls/{call_connection_id}/participants/{raw_id}", "/v1/calls/c/participants", false},
		{"/v1/calls:connect", "/v1/calls:connect", true},
		{"/v1/calls:connect", "/v1/calls:connec", false},
	} {
		rt := route{template: c.template, parts: templateParts(c.template)}
		if got := rt.matches(c.path); got != c.want {
			t.Errorf("%s matches %s: %v, want %v (parts %q)", c.template, c.path, got, c.want, rt.parts)
		}
	}
}
