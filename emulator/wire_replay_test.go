package emulator

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestReplaySDKRequests sends the body of every recorded SDK request
// (testdata/sdk-wire) to the emulator, with the call connection ID,
// incoming call context and callback URIs of this run substituted, and
// checks the documented status code. The recordings' ACS users ("8:acs:p")
// have no resource part, which the service refuses; they become users of the
// test resource.
var (
	shortACSUser     = regexp.MustCompile(`8:acs:[A-Za-z-]+\b`)
	shortACSUserPath = regexp.MustCompile(`8%3Aacs%3A[A-Za-z-]+\b`)
)

func TestReplaySDKRequests(t *testing.T) {
	env := newEnv(t, nil)
	wire := loadWire(t)
	call := env.connectedCall(user("p"), nil)
	victim := env.connectedCall(user("q"), nil)

	var fromCall string // the moveParticipants vectors' "conn-from"
	replay := func(name, callID, incomingContext string, want int) {
		t.Helper()
		w, ok := wire[name]
		if !ok {
			t.Fatalf("no vector %s", name)
		}
		path := strings.Replace(w.URL, "conn-1", callID, 1)
		path = shortACSUserPath.ReplaceAllStringFunc(path, func(m string) string {
			return url.PathEscape(user(strings.TrimPrefix(m, "8%3Aacs%3A")))
		})
		body := shortACSUser.ReplaceAllStringFunc(w.RawBody, func(m string) string { return user(strings.TrimPrefix(m, "8:acs:")) })
		body = strings.ReplaceAll(body, "https://app.example/events", env.recv.url("/cb"))
		body = strings.ReplaceAll(body, "https://other.example/cb", env.recv.url("/op"))
		body = strings.ReplaceAll(body, "<incoming-call-context>", incomingContext)
		body = strings.ReplaceAll(body, `"conn-from"`, `"`+fromCall+`"`)
		var raw any
		if body != "" {
			raw = []byte(body)
		}
		status, out, _ := env.do(w.Method, path, raw)
		if status != want {
			t.Errorf("%s: %s %s answered %d, want %d: %s", name, w.Method, path, status, want, out)
		}
	}

	for _, name := range []string{"createCall-acsuser", "createCall-pstn", "createGroupCall"} {
		replay(name, "", "", http.StatusCreated)
	}
	for _, name := range []string{"connectCall-group", "connectCall-room", "connectCall-server"} {
		replay(name, "", "", http.StatusOK)
	}
	id := call.CallConnectionID
	replay("getCallConnectionProperties", id, "", http.StatusOK)
	replay("listParticipants", id, "", http.StatusOK)
	replay("getParticipant", id, "", http.StatusOK)
	replay("muteParticipant", id, "", http.StatusOK)
	replay("addParticipant-acsuser", id, "", http.StatusAccepted)
	replay("addParticipant-pstn", id, "", http.StatusAccepted)
	env.recv.waitFor(id, "two joins", func(evs []received) bool {
		n := 0
		for _, e := range evs {
			if e.kind() == evAddParticipantSucceeded {
				n++
			}
		}
		return n == 2
	})
	replay("removeParticipant", id, "", http.StatusAccepted)
	replay("cancelAddParticipantOperation", id, "", http.StatusNotFound) // inv-1 was never issued
	replay("transferCallToParticipant", id, "", http.StatusNotFound)     // 8:acs:transferee is not in the call
	replay("transferCallToParticipant-pstn", id, "", http.StatusNotFound)
	replay("hangUp", id, "", http.StatusNoContent)
	replay("hangUp-forEveryone", victim.CallConnectionID, "", http.StatusNoContent)

	// Media, on a call set up with Cognitive Services whose participants are the vectors'
	// targets (8:acs:target, +16041234567); set-up with media options.
	media := env.connectedCall(user("target"), withCognitive).CallConnectionID
	env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+media+"/participants:add",
		map[string]any{"participantToAdd": phone("+16041234567"), "sourceCallerIdNumber": map[string]any{"value": testCallerIDs[0]}}, nil)
	env.recv.waitFor(media, "the phone joins", func(evs []received) bool {
		return evs[len(evs)-1].kind() == evParticipantsUpdated && len(participantIDs(t, evs[len(evs)-1])) == 3
	})
	for _, name := range []string{"play-file-all", "play-file-participant", "play-multi-all", "play-ssml-all", "play-ssml-participant",
		"play-text-all", "play-text-participant", "play-file-all-loop-interrupt", "recognize-dtmf", "recognize-dtmf-defaults",
		"recognize-speech", "recognize-speechOrDtmf", "recognize-choices", "sendDtmfTones"} {
		replay(name, media, "", http.StatusAccepted)
	}
	for _, name := range []string{"startContinuousDtmfRecognition", "stopContinuousDtmfRecognition", "hold", "hold-music", "hold-text", "unhold"} {
		replay(name, media, "", http.StatusOK)
	}
	replay("cancelAllMediaOperations", media, "", http.StatusAccepted)
	for _, name := range []string{"createCall-streaming", "createCall-pstn-streaming-minimal", "createCall-teamsAppSource"} {
		replay(name, "", "", http.StatusCreated)
	}
	replay("connectCall-streaming", "", "", http.StatusOK)
	res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
	replay("answerCall-streaming", "", res.IncomingCallContext, http.StatusOK)
	// Move the media call's participants into another call.
	fromCall = media
	here := env.connectedCall(user("mover-host"), nil).CallConnectionID
	replay("moveParticipants", here, "", http.StatusAccepted)
	env.recv.waitFor(here, "two moves", func(evs []received) bool {
		n := 0
		for _, e := range evs {
			if e.kind() == evMoveParticipantSucceeded {
				n++
			}
		}
		return n == 2
	})
	replay("moveParticipants-default", here, "", http.StatusNotFound) // the media call ended with its move

	for name, want := range map[string]int{
		"answerCall": http.StatusOK, "rejectCall-default": http.StatusNoContent, "rejectCall-busy": http.StatusNoContent,
		"redirectCall": http.StatusNoContent, "redirectCall-pstn": http.StatusNoContent,
	} {
		res := env.raise(IncomingCallRequest{From: user("caller"), To: user("me")})
		replay(name, "", res.IncomingCallContext, want)
	}
}
