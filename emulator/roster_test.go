package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func targetsOf(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = acsUser(user(fmt.Sprintf("t%d", i)))
	}
	return out
}

// TestCreateCallCostIsLinear: targets that answer at the same instant reach
// the application as one roster, so the callbacks of a call grow with its
// targets, not with their square (the per-answer rosters of 10,000 targets
// took a process to 6 GB).
func TestCreateCallCostIsLinear(t *testing.T) {
	env := newEnv(t, nil)
	callbackBytes := func(n int) int {
		props := env.createCall(env.recv.url("/cb"), nil, targetsOf(n)...)
		id := props.CallConnectionID
		evs := env.recv.waitKinds(id, evCallConnected, evParticipantsUpdated)
		if got := participantIDs(t, evs[1]); len(got) != n+1 {
			t.Fatalf("%d targets: the roster has %d participants", n, len(got))
		}
		env.mustDo(http.StatusNoContent, http.MethodDelete, "/calling/callConnections/"+id, nil, nil)
		// A call's events arrive in order: whatever was raised before the
		// hang-up has arrived once CallDisconnected has.
		evs = env.recv.waitFor(id, "CallDisconnected", func(evs []received) bool {
			return len(evs) > 0 && evs[len(evs)-1].kind() == evCallDisconnected
		})
		if got := strings.Join(kinds(evs), ","); got != "CallConnected,ParticipantsUpdated,CallDisconnected" {
			t.Fatalf("%d targets: events %s", n, got)
		}
		size := 0
		for _, ev := range evs {
			size += len(ev.raw)
		}
		return size
	}
	small, large := callbackBytes(10), callbackBytes(100)
	t.Logf("callback bytes: %d for 10 targets, %d for 100", small, large)
	// 10 times the targets: about 10 times the bytes (the roster), where one
	// roster per answer would make it about 80 times.
	if large > 15*small {
		t.Errorf("callbacks of 10 targets: %d bytes; of 100 targets: %d bytes, more than linear", small, large)
	}
}
