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

// The client refuses only what it cannot build (no request, an empty path parameter), before
// anything is sent; validating content is its caller's job.
func TestRefusesOnlyWhatItCannotBuild(t *testing.T) {
	cases := []struct {
		name  string
		field string
		call  func(ctx context.Context, c *acs.Client) error
	}{
		{"nil request", "request", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CreateCall(ctx, nil)
			return err
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
		{"transfer without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.TransferToParticipant(ctx, &acs.TransferToParticipantRequest{TargetParticipant: acs.CommunicationUser("8:acs:a")})
			return err
		}},
		{"add without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.AddParticipant(ctx, &acs.AddParticipantRequest{ParticipantToAdd: acs.CommunicationUser("8:acs:a")})
			return err
		}},
		{"cancel add without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.CancelAddParticipant(ctx, &acs.CancelAddParticipantRequest{InvitationID: "i"})
			return err
		}},
		{"remove without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.RemoveParticipant(ctx, &acs.RemoveParticipantRequest{ParticipantToRemove: acs.CommunicationUser("8:acs:a")})
			return err
		}},
		{"mute without ID", "callConnectionId", func(ctx context.Context, c *acs.Client) error {
			_, err := c.MuteParticipants(ctx, &acs.MuteParticipantsRequest{TargetParticipants: []acs.Identifier{acs.CommunicationUser("8:acs:a")}})
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

// Content the client does not check is sent as given, and ACS's own 400 comes back with the
// fields it names.
func TestContentIsSentAsGiven(t *testing.T) {
	srv := newFakeACS(t, nil, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 400, []byte(`{"error":{"code":"8523","message":"Invalid request.","details":[{"message":"bad number","target":"targets[0]"}]}}`))
	})
	c := newClient(t, srv.URL, acs.Config{})
	_, err := c.CreateCall(testContext(t), &acs.CreateCallRequest{Targets: []acs.Identifier{acs.PhoneNumber("0425")}, CallbackURI: callbackURI})
	var ae *acs.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("err = %v, want ACS's 400", err)
	}
	if n := srv.count(); n != 1 {
		t.Errorf("%d requests reached the server, want 1", n)
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
// carry it, travels back as it came: kind + rawId.
func TestFutureIdentifierKindIsUsable(t *testing.T) {
	var id acs.Identifier
	if err := json.Unmarshal([]byte(`{"kind":"someFutureKind","rawId":"99:future:x"}`), &id); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(id)
	if string(got) != `{"kind":"someFutureKind","rawId":"99:future:x"}` {
		t.Errorf("encoded as %s", got)
	}
}
