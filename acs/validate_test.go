package acs_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/callgate/callgate/acs"
)

// Bad input is refused before anything is sent, with the field named.
func TestValidationRefusesBeforeSending(t *testing.T) {
	anonymous, _ := acs.ParseRawID("4:anonymous")
	twoObjects := acs.CommunicationUser("8:acs:a")
	twoObjects.PhoneNumber = &acs.PhoneNumberModel{Value: "+14255550123"}
	wrongKind := acs.CommunicationUser("8:acs:a")
	wrongKind.Kind = acs.KindPhoneNumber
	badSIP := &acs.CustomCallingContext{SIPHeaders: map[string]string{"Via": "x"}}
	crlf := &acs.CustomCallingContext{}
	crlf.AddSIPX("h", "v\r\nInjected: 1")
	teams := acs.MicrosoftTeamsUser("aad-object-id", "")

	cases := []struct {
		name  string
		field string
		call  func(ctx context.Context, c *acs.Client) error
	}{
		{"nil request", "request", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, nil)
			return err
		}},
		{"no targets", "targets", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{CallbackURI: callbackURI})
			return err
		}},
		{"phone target without caller ID", "sourceCallerIdNumber", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.PhoneNumber("+14255550123")}, CallbackURI: callbackURI})
			return err
		}},
		{"target not E.164", "targets[1].phoneNumber.value", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets:              []acs.Identifier{acs.CommunicationUser("8:acs:a"), acs.PhoneNumber("+0425555")},
				SourceCallerIDNumber: acs.CallerID("+18005550100"), CallbackURI: callbackURI,
			})
			return err
		}},
		{"caller ID not E.164", "sourceCallerIdNumber.value", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{
				Targets:              []acs.Identifier{acs.PhoneNumber("+14255550123")},
				SourceCallerIDNumber: acs.CallerID("18005550100"), CallbackURI: callbackURI,
			})
			return err
		}},
		{"missing callback", "callbackUri", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser("8:acs:a")}})
			return err
		}},
		{"relative callback", "callbackUri", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser("8:acs:a")}, CallbackURI: "/events"})
			return err
		}},
		{"empty user ID", "targets[0].communicationUser.id", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser("")}, CallbackURI: callbackURI})
			return err
		}},
		{"two kind objects", "targets[0]", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{twoObjects}, CallbackURI: callbackURI})
			return err
		}},
		{"kind mismatch", "targets[0].kind", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, &acs.CreateCallRequest{Targets: []acs.Identifier{wrongKind}, CallbackURI: callbackURI})
			return err
		}},
		{"request ID not a UUID", "repeatabilityRequestId", func(ctx context.Context, c *acs.Client) error {
			req := &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser("8:acs:a")}, CallbackURI: callbackURI}
			req.RequestID = "retry-me"
			_, err := c.CreateCall(ctx, req)
			return err
		}},
		{"no locator", "callLocator", func(ctx context.Context, c *acs.Client) error {
			_, err := c.Connect(ctx, &acs.ConnectRequest{CallbackURI: callbackURI})
			return err
		}},
		{"two locator IDs", "callLocator", func(ctx context.Context, c *acs.Client) error {
			_, err := c.Connect(ctx, &acs.ConnectRequest{CallLocator: acs.CallLocator{GroupCallID: "g", RoomID: "r"}, CallbackURI: callbackURI})
			return err
		}},
		{"answer without context", "incomingCallContext", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AnswerCall(ctx, &acs.AnswerCallRequest{CallbackURI: callbackURI})
			return err
		}},
		{"unknown reject reason", "callRejectReason", func(ctx context.Context, c *acs.Client) error {
			return c.RejectCall(ctx, &acs.RejectCallRequest{IncomingCallContext: incomingCtx, CallRejectReason: "rude"})
		}},
		{"redirect without target", "target", func(ctx context.Context, c *acs.Client) error {
			return c.RedirectCall(ctx, &acs.RedirectCallRequest{IncomingCallContext: incomingCtx})
		}},
		{"get without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.GetCall(ctx, &acs.GetCallRequest{})
			return err
		}},
		{"hang up without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			return c.HangUp(ctx, &acs.HangUpRequest{})
		}},
		{"terminate without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			return c.TerminateCall(ctx, &acs.TerminateCallRequest{})
		}},
		{"transfer to anonymous", "targetParticipant.phoneNumber.isAnonymous", func(ctx context.Context, c *acs.Client) error {
			_, err := c.TransferToParticipant(ctx, &acs.TransferToParticipantRequest{CallConnectionID: "conn-1", TargetParticipant: anonymous})
			return err
		}},
		{"non-X SIP header", "customCallingContext.sipHeaders", func(ctx context.Context, c *acs.Client) error {
			_, err := c.TransferToParticipant(ctx, &acs.TransferToParticipantRequest{CallConnectionID: "conn-1", TargetParticipant: acs.CommunicationUser("8:acs:a"), CustomCallingContext: badSIP})
			return err
		}},
		{"header injection", "customCallingContext.sipHeaders", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:a"), CustomCallingContext: crlf})
			return err
		}},
		{"invitation timeout above 180", "invitationTimeoutInSeconds", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:a"), InvitationTimeoutInSeconds: 181})
			return err
		}},
		{"negative invitation timeout", "invitationTimeoutInSeconds", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:a"), InvitationTimeoutInSeconds: -1})
			return err
		}},
		{"add phone without caller ID", "sourceCallerIdNumber", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{CallConnectionID: "conn-1", ParticipantToAdd: acs.PhoneNumber("+14255550123")})
			return err
		}},
		{"bad operation callback", "operationCallbackUri", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:a"), OperationCallbackURI: "ftp://x/cb"})
			return err
		}},
		{"cancel without invitation", "invitationId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CancelAddParticipant(ctx, &acs.CancelAddParticipantRequest{CallConnectionID: "conn-1"})
			return err
		}},
		{"remove nobody", "participantToRemove", func(ctx context.Context, c *acs.Client) error {
			_, err := c.RemoveParticipant(ctx, &acs.RemoveParticipantRequest{CallConnectionID: "conn-1"})
			return err
		}},
		{"mute nobody", "targetParticipants", func(ctx context.Context, c *acs.Client) error {
			_, err := c.MuteParticipants(ctx, &acs.MuteParticipantsRequest{CallConnectionID: "conn-1"})
			return err
		}},
		{"mute a phone number", "targetParticipants[0]", func(ctx context.Context, c *acs.Client) error {
			_, err := c.MuteParticipants(ctx, &acs.MuteParticipantsRequest{CallConnectionID: "conn-1", TargetParticipants: []acs.Identifier{acs.PhoneNumber("+14255550123")}})
			return err
		}},
		{"mute a Teams user", "targetParticipants[1]", func(ctx context.Context, c *acs.Client) error {
			_, err := c.MuteParticipants(ctx, &acs.MuteParticipantsRequest{CallConnectionID: "conn-1", TargetParticipants: []acs.Identifier{acs.CommunicationUser("8:acs:a"), teams}})
			return err
		}},
		{"get participant without raw ID", "participantRawId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.GetParticipant(ctx, &acs.GetParticipantRequest{CallConnectionID: "conn-1"})
			return err
		}},
		{"list without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.ListParticipants(ctx, &acs.ListParticipantsRequest{})
			return err
		}},
	}
	srv := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) {
		t.Errorf("request sent for invalid input: %s %s", r.Method, r.RequestURI)
		reply(w, 500, nil)
	})
	c := newClient(t, srv.URL, acs.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(testContext(t), c)
			var ve *acs.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *acs.ValidationError", err)
			}
			found := false
			for _, v := range ve.Violations {
				found = found || v.Field == tc.field
			}
			if !found {
				t.Errorf("violations %+v do not name %q", ve.Violations, tc.field)
			}
			st := acs.GRPCStatus(err)
			if st.Code() != codes.InvalidArgument {
				t.Errorf("gRPC code %s", st.Code())
			}
			var br *errdetails.BadRequest
			for _, d := range st.Details() {
				if b, ok := d.(*errdetails.BadRequest); ok {
					br = b
				}
			}
			if br == nil || len(br.FieldViolations) != len(ve.Violations) || br.FieldViolations[0].Field != ve.Violations[0].Field {
				t.Errorf("BadRequest detail %v does not mirror %+v", br, ve.Violations)
			}
		})
	}
	if n := srv.count(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestValidationReportsEveryViolation(t *testing.T) {
	err := (&acs.AddParticipantRequest{ParticipantToAdd: acs.PhoneNumber("0425"), InvitationTimeoutInSeconds: 500}).Validate()
	var ve *acs.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]bool{"callConnectionId": true, "participantToAdd.phoneNumber.value": true, "sourceCallerIdNumber": true, "invitationTimeoutInSeconds": true}
	if len(ve.Violations) != len(want) {
		t.Errorf("violations %+v, want %d", ve.Violations, len(want))
	}
	for _, v := range ve.Violations {
		if !want[v.Field] {
			t.Errorf("unexpected violation %+v", v)
		}
	}
}

// Identifiers taken from responses (anonymous numbers, asserted IDs) can be
// removed; only dialable targets must be E.164.
func TestExistingParticipantsNeedNoE164(t *testing.T) {
	for _, raw := range []string{"4:anonymous", "4:+14255550123_asserted", "8:acs:r_t_u", "99:something"} {
		id, err := acs.ParseRawID(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := (&acs.RemoveParticipantRequest{CallConnectionID: "c", ParticipantToRemove: id}).Validate(); err != nil {
			t.Errorf("remove %s: %v", raw, err)
		}
	}
}

func TestIsE164(t *testing.T) {
	for s, want := range map[string]bool{
		"+14255550123": true, "+12": true, "+123456789012345": true,
		"+1234567890123456": false, "+0123": false, "14255550123": false, "+1": false,
		"+1 425": false, "": false, "+1425555012a": false,
	} {
		if got := acs.IsE164(s); got != want {
			t.Errorf("IsE164(%q) = %v", s, got)
		}
	}
}

// An identifier of a kind this package does not know, as a response may
// carry it, can still be removed: it travels as kind + rawId.
func TestFutureIdentifierKindIsUsable(t *testing.T) {
	var id acs.Identifier
	if err := json.Unmarshal([]byte(`{"kind":"someFutureKind","rawId":"99:future:x"}`), &id); err != nil {
		t.Fatal(err)
	}
	if err := (&acs.RemoveParticipantRequest{CallConnectionID: "c", ParticipantToRemove: id}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	got, _ := json.Marshal(id)
	if string(got) != `{"kind":"someFutureKind","rawId":"99:future:x"}` {
		t.Errorf("encoded as %s", got)
	}
}
