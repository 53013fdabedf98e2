package callbacks

import (
	"net/http"
	"testing"
)

// An event's identifiers come out as everywhere else in the API: the raw ID always set (Teams
// users and apps arrive without one), the phone number's asserted ID kept in it.
func TestEventIdentifiersAlwaysHaveARawID(t *testing.T) {
	f := newFixture(t, false)
	ev := event("ids-1", "call-ids", "ParticipantsUpdated", map[string]any{
		"sequenceNumber": 3,
		"participants": []any{
			map[string]any{"identifier": map[string]any{"kind": "microsoftTeamsUser", "microsoftTeamsUser": map[string]any{"userId": "aad-1", "cloud": "dod"}}},
			map[string]any{"identifier": map[string]any{"kind": "microsoftTeamsApp", "microsoftTeamsApp": map[string]any{"appId": "app-1", "cloud": "public"}}},
			map[string]any{"identifier": map[string]any{"kind": "phoneNumber", "phoneNumber": map[string]any{"value": "+16471234567", "assertedId": "a1"}}},
			map[string]any{"identifier": map[string]any{"rawId": "8:acs:r_u"}, "isMuted": true},
			map[string]any{"identifier": map[string]any{"kind": "teamsExtensionUser", "rawId": "8:acs:r_t_u", "teamsExtensionUser": map[string]any{"resourceId": "r", "tenantId": "t", "userId": "u"}}},
		},
	})
	if resp := f.post(t, f.callsURL(), "application/json", "", mustJSON(t, []any{ev})); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	got := f.readCall(t, "call-ids", 1)[0].GetParticipantsUpdated()
	want := []string{"8:dod:aad-1", "28:orgid:app-1", "4:+16471234567_a1", "8:acs:r_u", "8:acs:r_t_u"}
	if got.GetSequenceNumber() != 3 || len(got.GetParticipants()) != len(want) {
		t.Fatalf("ParticipantsUpdated %v", got)
	}
	for i, p := range got.GetParticipants() {
		if id := p.GetIdentifier(); id.GetRawId() != want[i] || id.GetKind() == nil {
			t.Errorf("participant %d: %v, want raw ID %s and a kind", i, id, want[i])
		}
	}
	if !got.GetParticipants()[3].GetIsMuted() || got.GetParticipants()[3].GetIdentifier().GetCommunicationUser().GetId() != "8:acs:r_u" {
		t.Errorf("a raw ID alone is parsed into its kind: %v", got.GetParticipants()[3])
	}
	if got.GetParticipants()[2].GetIdentifier().GetPhoneNumber().GetAssertedId() != "a1" {
		t.Errorf("asserted ID lost: %v", got.GetParticipants()[2])
	}
}
