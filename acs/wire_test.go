package acs_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callgate/callgate/acs"
)

// wireCase calls the client with the inputs that made one sdk-wire file and
// checks what the client decoded from the documented response.
type wireCase struct {
	file    string
	status  int
	example string // OpenAPI example whose response body the server returns
	body    string // literal response body, when there is no example
	call    func(ctx context.Context, t *testing.T, c *acs.Client) error
}

const (
	callbackURI = "https://app.example/events"
	otherCB     = "https://other.example/cb"
	incomingCtx = "<incoming-call-context>"
	exampleConn = "18dea47f-b081-4107-9a5c-4300819d2c6c"
)

func wireCases() []wireCase {
	wantCall := func(t *testing.T, got *acs.CallConnectionProperties, err error) error {
		t.Helper()
		if err == nil && got.CallConnectionID != exampleConn {
			t.Errorf("CallConnectionID = %q, want %q", got.CallConnectionID, exampleConn)
		}
		return err
	}
	return append([]wireCase{
		{file: "createCall-acsuser.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets:          []acs.Identifier{acs.CommunicationUser("8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002")},
				OperationContext: "create-ctx",
				CallbackURI:      callbackURI,
			})
			if err == nil && (got.Source == nil || got.Source.Kind != acs.KindCommunicationUser || !strings.HasPrefix(got.Source.RawID, "8:acs:")) {
				t.Errorf("Source = %+v, want a communication user with its raw ID filled", got.Source)
			}
			return wantCall(t, got, err)
		}},
		{file: "createCall-pstn.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets:              []acs.Identifier{acs.PhoneNumber("+16471234567")},
				SourceCallerIDNumber: acs.CallerID("+18001234567"),
				CallbackURI:          callbackURI,
			})
			return wantCall(t, got, err)
		}},
		{file: "createGroupCall.json", status: 201, example: "CreateCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets:              []acs.Identifier{acs.PhoneNumber("+18008008800"), acs.CommunicationUser("8:acs:user-b")},
				SourceCallerIDNumber: acs.CallerID("+18888888888"),
				SourceDisplayName:    "Contoso",
				CallbackURI:          callbackURI,
			})
			return wantCall(t, got, err)
		}},
		{file: "connectCall-group.json", status: 200, example: "Connect.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.Connect(ctx, &acs.ConnectRequest{CallLocator: acs.GroupCallLocator("11111111-2222-3333-4444-555555555555"), CallbackURI: callbackURI})
			return wantCall(t, got, err)
		}},
		{file: "connectCall-room.json", status: 200, example: "Connect.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.Connect(ctx, &acs.ConnectRequest{CallLocator: acs.RoomCallLocator("99411735203453342"), CallbackURI: callbackURI})
			return wantCall(t, got, err)
		}},
		{file: "connectCall-server.json", status: 200, example: "Connect.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			// Kind left empty on purpose: it is derived from the ID.
			got, err := c.Connect(ctx, &acs.ConnectRequest{CallLocator: acs.CallLocator{ServerCallID: "aHR0cHM6Ly9zZXJ2ZXItY2FsbC1pZA"}, CallbackURI: callbackURI})
			return wantCall(t, got, err)
		}},
		{file: "answerCall.json", status: 200, example: "AnswerCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.AnswerCall(ctx, &acs.AnswerCallRequest{IncomingCallContext: incomingCtx, CallbackURI: callbackURI, OperationContext: "answer-ctx"})
			if err == nil && (got.SourceCallerIDNumber == nil || got.SourceCallerIDNumber.Value != "+18440123456") {
				t.Errorf("SourceCallerIDNumber = %+v", got.SourceCallerIDNumber)
			}
			return wantCall(t, got, err)
		}},
		{file: "rejectCall-busy.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.RejectCall(ctx, &acs.RejectCallRequest{IncomingCallContext: incomingCtx, CallRejectReason: acs.RejectBusy})
		}},
		{file: "rejectCall-default.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.RejectCall(ctx, &acs.RejectCallRequest{IncomingCallContext: incomingCtx})
		}},
		{file: "redirectCall.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.RedirectCall(ctx, &acs.RedirectCallRequest{IncomingCallContext: incomingCtx, Target: acs.CommunicationUser("8:acs:redirect-target")})
		}},
		{file: "redirectCall-pstn.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.RedirectCall(ctx, &acs.RedirectCallRequest{IncomingCallContext: incomingCtx, Target: acs.PhoneNumber("+16041234567")})
		}},
		{file: "getCallConnectionProperties.json", status: 200, example: "CallConnection_GetCall.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.GetCall(ctx, &acs.GetCallRequest{CallConnectionID: "conn-1"})
			if err == nil {
				if got.CallConnectionState != acs.CallStateConnected || len(got.Targets) != 2 {
					t.Errorf("decoded %+v", got)
				} else if pn := got.Targets[1]; pn.Kind != acs.KindPhoneNumber || pn.RawID != "4:+14250123456" {
					t.Errorf("phone target decoded as %+v, want kind phoneNumber and rawId 4:+14250123456", pn)
				}
			}
			return wantCall(t, got, err)
		}},
		{file: "hangUp.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.HangUp(ctx, &acs.HangUpRequest{CallConnectionID: "conn-1"})
		}},
		{file: "hangUp-forEveryone.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			return c.TerminateCall(ctx, &acs.TerminateCallRequest{CallConnectionID: "conn-1"})
		}},
		{file: "transferCallToParticipant.json", status: 202, example: "CallConnection_TransferToParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			var ccc acs.CustomCallingContext
			ccc.AddVoIPHeader("customVoipHeader1", "v1")
			transferee := acs.CommunicationUser("8:acs:transferee")
			got, err := c.TransferToParticipant(ctx, &acs.TransferToParticipantRequest{
				CallConnectionID:     "conn-1",
				TargetParticipant:    acs.CommunicationUser("8:acs:transfer-target"),
				OperationContext:     "xfer-ctx",
				Transferee:           &transferee,
				OperationCallbackURI: otherCB,
				CustomCallingContext: &ccc,
			})
			if err == nil && got.OperationContext != "trasferring call" {
				t.Errorf("OperationContext = %q", got.OperationContext)
			}
			return err
		}},
		{file: "transferCallToParticipant-pstn.json", status: 202, example: "CallConnection_TransferToParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			var ccc acs.CustomCallingContext
			ccc.AddSIPUUI("uuivalue")
			ccc.AddSIPX("header1", "headerValue")
			transferee := acs.PhoneNumber("+16041239999")
			_, err := c.TransferToParticipant(ctx, &acs.TransferToParticipantRequest{
				CallConnectionID:  "conn-1",
				TargetParticipant: acs.PhoneNumber("+16041230000"),
				// The SDK generated this UUID because its caller gave no
				// context; the client sends what it is given, so pass it.
				OperationContext:     "eabfd4ef-20c0-403b-bbd0-a82f4996f789",
				Transferee:           &transferee,
				CustomCallingContext: &ccc,
			})
			return err
		}},
		{file: "addParticipant-acsuser.json", status: 202, example: "CallConnection_AddParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			var ccc acs.CustomCallingContext
			ccc.AddVoIPHeader("myHeader", "myValue")
			got, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{
				CallConnectionID:           "conn-1",
				ParticipantToAdd:           acs.CommunicationUser("8:acs:added"),
				InvitationTimeoutInSeconds: 60,
				OperationContext:           "add-ctx",
				OperationCallbackURI:       otherCB,
				CustomCallingContext:       &ccc,
			})
			if err == nil && (got.InvitationID != "7b4244f8-d2ff-46d1-a629-4f9fb5f73d40" || got.Participant == nil || got.Participant.Identifier.Kind != acs.KindCommunicationUser) {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "addParticipant-pstn.json", status: 202, example: "CallConnection_AddParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{
				CallConnectionID:           "conn-1",
				SourceCallerIDNumber:       acs.CallerID("+16044561234"),
				SourceDisplayName:          "Contoso",
				ParticipantToAdd:           acs.PhoneNumber("+16041234567"),
				InvitationTimeoutInSeconds: 30,
			})
			return err
		}},
		{file: "cancelAddParticipantOperation.json", status: 202, example: "CallConnection_CancelAddParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.CancelAddParticipant(ctx, &acs.CancelAddParticipantRequest{CallConnectionID: "conn-1", InvitationID: "inv-1", OperationContext: "cancel-ctx"})
			if err == nil && got.InvitationID != "7b4244f8-d2ff-46d1-a629-4f9fb5f73d40" {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "removeParticipant.json", status: 202, example: "CallConnection_RemoveParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.RemoveParticipant(ctx, &acs.RemoveParticipantRequest{CallConnectionID: "conn-1", ParticipantToRemove: acs.CommunicationUser("8:acs:added"), OperationContext: "remove-ctx"})
			if err == nil && got.OperationContext != "removing participant" {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "muteParticipant.json", status: 200, example: "CallConnection_Mute.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.MuteParticipants(ctx, &acs.MuteParticipantsRequest{CallConnectionID: "conn-1", TargetParticipants: []acs.Identifier{acs.CommunicationUser("8:acs:p")}})
			if err == nil && got.OperationContext != "mute participant" {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "listParticipants.json", status: 200, body: `{"value":[{"identifier":{"kind":"communicationUser","communicationUser":{"id":"8:acs:p"}},"isMuted":true}]}`, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.ListParticipants(ctx, &acs.ListParticipantsRequest{CallConnectionID: "conn-1"})
			if err == nil && (len(got.Participants) != 1 || got.Participants[0].Identifier.RawID != "8:acs:p" || !got.Participants[0].IsMuted) {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		{file: "getParticipant.json", status: 200, example: "CallConnection_GetParticipant.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.GetParticipant(ctx, &acs.GetParticipantRequest{CallConnectionID: "conn-1", ParticipantRawID: "8:acs:p"})
			if err == nil && got.Identifier.CommunicationUser == nil {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
	}, append(mediaWireCases(), streamingWireCases()...)...)
}

// For every operation the request on the wire equals the SDK's: method,
// escaped path and query, JSON body (compared as JSON and byte for byte),
// content hash, and the repeatability headers exactly on the POSTs the SDK
// marks them on. The server checks the HMAC with its own code.
func TestWireEqualsSDK(t *testing.T) {
	key := wireKey(t)
	covered := map[string]bool{}
	for _, tc := range wireCases() {
		covered[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			want := loadWire(t, tc.file)
			respBody := []byte(tc.body)
			if tc.example != "" {
				respBody = exampleBody(t, tc.example, tc.status)
			}
			srv := newFakeACS(t, key, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, tc.status, respBody)
			})
			c := newClient(t, srv.URL, acs.Config{})
			if err := tc.call(testContext(t), t, c); err != nil {
				t.Fatalf("call failed: %v", err)
			}
			got := srv.next(t)
			if got.AuthErr != nil {
				t.Errorf("HMAC check: %v", got.AuthErr)
			}
			if got.Method != want.Method {
				t.Errorf("method %s, SDK %s", got.Method, want.Method)
			}
			if got.RequestURI != want.URL {
				t.Errorf("request target %s\n            SDK %s", got.RequestURI, want.URL)
			}
			if want.RawBody == "" {
				if len(got.Body) != 0 {
					t.Errorf("sent a body %q, SDK sent none", got.Body)
				}
			} else {
				if !jsonEqual(t, got.Body, []byte(want.RawBody)) {
					t.Errorf("JSON body differs\n got %s\nwant %s", got.Body, want.RawBody)
				}
				if string(got.Body) != want.RawBody {
					t.Errorf("body bytes differ (key order or escaping)\n got %s\nwant %s", got.Body, want.RawBody)
				}
			}
			if h := got.Header.Get("x-ms-content-sha256"); h != want.Headers["x-ms-content-sha256"] {
				t.Errorf("x-ms-content-sha256 %s, SDK %s", h, want.Headers["x-ms-content-sha256"])
			}
			for _, name := range []string{"repeatability-request-id", "repeatability-first-sent", "content-type", "content-length"} {
				_, sdkHas := want.Headers[name]
				if weHave := got.Header.Get(name) != ""; weHave != sdkHas {
					t.Errorf("header %s present=%v, SDK present=%v", name, weHave, sdkHas)
				}
			}
			if cl, ok := want.Headers["content-length"]; ok && got.Header.Get("content-length") != cl {
				t.Errorf("content-length %s, SDK %s", got.Header.Get("content-length"), cl)
			}
			if ct, ok := want.Headers["content-type"]; ok && got.Header.Get("content-type") != ct {
				t.Errorf("content-type %s, SDK %s", got.Header.Get("content-type"), ct)
			}
			if id := got.Header.Get("repeatability-request-id"); id != "" && !isUUIDv4(id) {
				t.Errorf("repeatability-request-id %q is not a UUIDv4", id)
			}
			if fs := got.Header.Get("repeatability-first-sent"); fs != "" {
				if _, err := time.Parse(http.TimeFormat, fs); err != nil {
					t.Errorf("repeatability-first-sent %q is not an IMF-fixdate: %v", fs, err)
				}
			}
			if id := got.Header.Get("x-ms-client-request-id"); !isUUIDv4(id) {
				t.Errorf("x-ms-client-request-id %q is not a UUIDv4", id)
			}
			if a := got.Header.Get("accept"); a != want.Headers["accept"] {
				t.Errorf("accept %q, SDK %q", a, want.Headers["accept"])
			}
		})
	}
	for _, name := range contentWireFiles {
		covered[name] = true // TestRecordingContentEqualsSDK
	}
	checkWireCoverage(t, wireFiles(t), covered)
}

// A caller-supplied request ID and first-sent time go out unchanged.
func TestCallerRepeatabilityIsSent(t *testing.T) {
	created := exampleBody(t, "CreateCall.json", 201)
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 201, created)
	})
	c := newClient(t, srv.URL, acs.Config{})
	first := time.Date(2026, 11, 24, 0, 26, 47, 0, time.FixedZone("CET", 3600))
	_, err := c.CreateCall(testContext(t), &acs.CreateCallRequest{
		Targets:       []acs.Identifier{acs.CommunicationUser("8:acs:x")},
		CallbackURI:   callbackURI,
		Repeatability: acs.Repeatability{RequestID: "895e3ed9-ccbd-4059-81ba-ca490fae6560", FirstSent: first},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.next(t)
	if id := got.Header.Get("Repeatability-Request-ID"); id != "895e3ed9-ccbd-4059-81ba-ca490fae6560" {
		t.Errorf("Repeatability-Request-ID = %q", id)
	}
	if fs := got.Header.Get("Repeatability-First-Sent"); fs != "Mon, 23 Nov 2026 23:26:47 GMT" {
		t.Errorf("Repeatability-First-Sent = %q", fs)
	}
}

// Two calls never share a generated request ID.
func TestGeneratedRequestIDsDiffer(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 204, nil) })
	c := newClient(t, srv.URL, acs.Config{})
	for range 2 {
		if err := c.TerminateCall(testContext(t), &acs.TerminateCallRequest{CallConnectionID: "conn-1"}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := srv.next(t), srv.next(t)
	if a.Header.Get("Repeatability-Request-ID") == b.Header.Get("Repeatability-Request-ID") {
		t.Error("two logical requests sent the same Repeatability-Request-ID")
	}
	if a.Header.Get("X-Ms-Client-Request-Id") == b.Header.Get("X-Ms-Client-Request-Id") {
		t.Error("two logical requests sent the same x-ms-client-request-id")
	}
}

func isUUIDv4(s string) bool {
	if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
	}
	return true
}

// Raw IDs with characters that are special in paths are escaped like the
// SDK's encodeURIComponent and the HMAC still covers the escaped target.
func TestGetParticipantEscapesRawID(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, []byte(`{"identifier":{"rawId":"4:+16041234567"}}`))
	})
	c := newClient(t, srv.URL, acs.Config{})
	for raw, want := range map[string]string{
		"4:+16041234567": "/calling/callConnections/conn%2F1/participants/4%3A%2B16041234567?api-version=2026-03-12",
		"8:acs:a b%/?#c": "/calling/callConnections/conn%2F1/participants/8%3Aacs%3Aa%20b%25%2F%3F%23c?api-version=2026-03-12",
	} {
		got, err := c.GetParticipant(testContext(t), &acs.GetParticipantRequest{CallConnectionID: "conn/1", ParticipantRawID: raw})
		if err != nil {
			t.Fatal(err)
		}
		if got.Identifier.Kind != acs.KindPhoneNumber || got.Identifier.PhoneNumber.Value != "+16041234567" {
			t.Errorf("decoded %+v", got.Identifier)
		}
		r := srv.next(t)
		if r.RequestURI != want {
			t.Errorf("request target %s, want %s", r.RequestURI, want)
		}
		if r.AuthErr != nil {
			t.Errorf("HMAC: %v", r.AuthErr)
		}
	}
}

// An endpoint with a path prefix (a reverse proxy) keeps it in every request.
func TestEndpointPathPrefix(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 204, nil) })
	c := newClient(t, srv.URL+"/acs-proxy", acs.Config{})
	if err := c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"}); err != nil {
		t.Fatal(err)
	}
	r := srv.next(t)
	if r.RequestURI != "/acs-proxy/calling/callConnections/conn-1?api-version=2026-03-12" || r.AuthErr != nil {
		t.Errorf("request target %s, HMAC %v", r.RequestURI, r.AuthErr)
	}
}

func TestAPIVersionIsOneSetting(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 204, nil) })
	c := newClient(t, srv.URL, acs.Config{APIVersion: "2025-06-15"})
	if err := c.TerminateCall(testContext(t), &acs.TerminateCallRequest{CallConnectionID: "conn-1"}); err != nil {
		t.Fatal(err)
	}
	if r := srv.next(t); r.RequestURI != "/calling/callConnections/conn-1:terminate?api-version=2025-06-15" {
		t.Errorf("request target %s", r.RequestURI)
	}
}
