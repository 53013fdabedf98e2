package acs_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/callgate/callgate/acs"
)

func participantJSON(rawID string) string {
	return fmt.Sprintf(`{"identifier":{"kind":"communicationUser","rawId":%[1]q,"communicationUser":{"id":%[1]q}},"isMuted":false}`, rawID)
}

func TestListParticipantsFollowsNextLink(t *testing.T) {
	var srv *fakeACS
	srv = newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			next := srv.URL + "/calling/callConnections/conn-1/participants?api-version=2026-03-12&skipToken=p%3A2"
			reply(w, 200, fmt.Appendf(nil, `{"value":[%s],"nextLink":%q}`, participantJSON("8:acs:one"), next))
		case 2:
			// A relative link works too; it lacks api-version on purpose.
			reply(w, 200, fmt.Appendf(nil, `{"value":[%s,%s],"nextLink":"/calling/callConnections/conn-1/participants?skipToken=3"}`, participantJSON("8:acs:two"), participantJSON("8:acs:three")))
		default:
			reply(w, 200, []byte(`{"value":[]}`))
		}
	})
	c := newClient(t, srv.URL, acs.Config{})
	got, err := c.ListParticipants(testContext(t), &acs.ListParticipantsRequest{CallConnectionID: "conn-1"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got.Participants {
		ids = append(ids, p.Identifier.RawID)
	}
	if fmt.Sprint(ids) != "[8:acs:one 8:acs:two 8:acs:three]" {
		t.Errorf("participants %v", ids)
	}
	wantURIs := []string{
		"/calling/callConnections/conn-1/participants?api-version=2026-03-12",
		"/calling/callConnections/conn-1/participants?api-version=2026-03-12&skipToken=p%3A2",
		"/calling/callConnections/conn-1/participants?skipToken=3&api-version=2026-03-12",
	}
	for i, want := range wantURIs {
		r := srv.next(t)
		if r.RequestURI != want {
			t.Errorf("page %d requested %s, want %s", i+1, r.RequestURI, want)
		}
		if r.AuthErr != nil {
			t.Errorf("page %d HMAC: %v", i+1, r.AuthErr)
		}
	}
}

// A nextLink to another host would receive the gateway's credentials: it is
// refused and nothing reaches that host.
func TestListParticipantsRefusesForeignNextLink(t *testing.T) {
	evil := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) {
		t.Errorf("credentials sent to the foreign host: %s", r.Header.Get("Authorization"))
		reply(w, 200, []byte(`{"value":[]}`))
	})
	for name, link := range map[string]string{
		"other port":   evil.URL + "/calling/callConnections/conn-1/participants?api-version=2026-03-12",
		"other scheme": "https://127.0.0.1/calling/callConnections/conn-1/participants",
		"other host":   "//evil.example/calling/callConnections/conn-1/participants",
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 200, fmt.Appendf(nil, `{"value":[%s],"nextLink":%q}`, participantJSON("8:acs:one"), link))
			})
			c := newClient(t, srv.URL, acs.Config{})
			_, err := c.ListParticipants(testContext(t), &acs.ListParticipantsRequest{CallConnectionID: "conn-1"})
			if !errors.Is(err, acs.ErrForeignNextLink) {
				t.Fatalf("err = %v, want ErrForeignNextLink", err)
			}
			if n := srv.count(); n != 1 {
				t.Errorf("%d requests to the endpoint, want 1", n)
			}
		})
	}
	if n := evil.count(); n != 0 {
		t.Errorf("%d requests reached the foreign host", n)
	}
}

func TestListParticipantsStopsOnRepeatedNextLink(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, []byte(`{"value":[],"nextLink":"/calling/callConnections/conn-1/participants?page=again"}`))
	})
	c := newClient(t, srv.URL, acs.Config{})
	_, err := c.ListParticipants(testContext(t), &acs.ListParticipantsRequest{CallConnectionID: "conn-1"})
	if !errors.Is(err, acs.ErrTooManyPages) {
		t.Fatalf("err = %v, want ErrTooManyPages", err)
	}
	if n := srv.count(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
