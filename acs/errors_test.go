package acs_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/callgate/callgate/acs"
)

// An ACS error body in the CommunicationErrorResponse shape of common.json.
const acsErrorBody = `{"error":{"code":"8523","message":"Invalid request: participant cannot be reached.",` +
	`"target":"participantToAdd","details":[{"code":"Detail1","message":"first detail"}],` +
	`"innererror":{"code":"InnerCode7","message":"inner message","innererror":{"code":"Deeper","message":"deeper"}}}}`

func TestErrorsBecomeTypedErrorsAndGRPCCodes(t *testing.T) {
	cases := []struct {
		status int
		code   codes.Code
	}{
		{400, codes.InvalidArgument},
		{401, codes.Internal},
		{403, codes.PermissionDenied},
		{404, codes.NotFound},
		{409, codes.FailedPrecondition},
		{412, codes.FailedPrecondition},
		{429, codes.ResourceExhausted},
		{500, codes.Unavailable},
		{502, codes.Unavailable},
		{503, codes.Unavailable},
		{504, codes.Unavailable},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("X-Microsoft-Skype-Chain-ID", "chain-"+strconv.Itoa(tc.status))
				if tc.status == 429 {
					w.Header().Set("Retry-After", "7")
				}
				reply(w, tc.status, []byte(acsErrorBody))
			})
			// One attempt, so retryable statuses come back at once.
			c := newClient(t, srv.URL, acs.Config{Retry: acs.RetryPolicy{MaxAttempts: 1}})
			_, err := c.AddParticipant(testContext(t), &acs.AddParticipantRequest{
				CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:added"),
			})
			sent := srv.next(t)

			e, ok := acs.AsError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *acs.Error", err, err)
			}
			if e.StatusCode != tc.status || e.Code != "8523" || e.Message != "Invalid request: participant cannot be reached." ||
				e.Target != "participantToAdd" || e.InnerCode() != "InnerCode7" || e.Inner.Inner == nil ||
				len(e.Details) != 1 || e.Operation != "AddParticipant" {
				t.Errorf("decoded %+v", e)
			}
			if e.ClientRequestID != sent.Header.Get("X-Ms-Client-Request-Id") || e.ClientRequestID == "" {
				t.Errorf("ClientRequestID %q, request sent %q", e.ClientRequestID, sent.Header.Get("X-Ms-Client-Request-Id"))
			}
			if e.ChainID != "chain-"+strconv.Itoa(tc.status) {
				t.Errorf("ChainID %q", e.ChainID)
			}

			st := acs.GRPCStatus(err)
			if st.Code() != tc.code {
				t.Errorf("gRPC code %s, want %s", st.Code(), tc.code)
			}
			info := findErrorInfo(st.Details())
			if info == nil {
				t.Fatalf("no ErrorInfo in %v", st.Details())
			}
			wantMD := map[string]string{
				acs.MetadataHTTPStatus:      strconv.Itoa(tc.status),
				acs.MetadataClientRequestID: e.ClientRequestID,
				acs.MetadataChainID:         e.ChainID,
				acs.MetadataInnerErrorCode:  "InnerCode7",
				acs.MetadataTarget:          "participantToAdd",
				acs.MetadataOperation:       "AddParticipant",
			}
			if info.Reason != "8523" || info.Domain != acs.ErrorDomain {
				t.Errorf("ErrorInfo reason %q domain %q", info.Reason, info.Domain)
			}
			for k, v := range wantMD {
				if info.Metadata[k] != v {
					t.Errorf("metadata[%s] = %q, want %q", k, info.Metadata[k], v)
				}
			}
			var retry *errdetails.RetryInfo
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					retry = ri
				}
			}
			if tc.status == 429 {
				if e.RetryAfter != 7*time.Second || retry == nil || retry.RetryDelay.AsDuration() != 7*time.Second {
					t.Errorf("RetryAfter %s, RetryInfo %v; want 7s in both", e.RetryAfter, retry)
				}
			} else if retry != nil {
				t.Errorf("unexpected RetryInfo %v", retry)
			}
			if tc.status == 401 {
				assertNoSecret(t, st.Message(), sent)
				assertNoSecret(t, err.Error(), sent)
				if strings.Contains(st.Message(), "participant cannot be reached") {
					t.Errorf("401 status repeats the upstream text: %q", st.Message())
				}
			}
		})
	}
}

func assertNoSecret(t *testing.T, text string, sent recorded) {
	t.Helper()
	sig := strings.TrimPrefix(sent.Header.Get("Authorization"), "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=")
	for name, secret := range map[string]string{
		"access key (base64)": wireAccessKey,
		"access key":          string(wireKey(t)),
		"signature":           sig,
		"authorization":       sent.Header.Get("Authorization"),
	} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("%s appears in %q", name, text)
		}
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("x-ms-error-code", "GatewayTrouble")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	})
	c := newClient(t, srv.URL, acs.Config{Retry: acs.RetryPolicy{MaxAttempts: 1}})
	_, err := c.GetCall(testContext(t), &acs.GetCallRequest{CallConnectionID: "conn-1"})
	e, ok := acs.AsError(err)
	if !ok || e.StatusCode != 502 || e.Code != "GatewayTrouble" || e.Message != "Bad Gateway" {
		t.Fatalf("err = %#v", err)
	}
}

func TestContextDeadlineMapsToDeadlineExceeded(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		<-r.Context().Done() // never answers; the client gives up
	})
	c := newClient(t, srv.URL, acs.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.GetCall(ctx, &acs.GetCallRequest{CallConnectionID: "conn-1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if n := srv.count(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry once the caller's deadline passed)", n)
	}
	if got := acs.GRPCStatus(err).Code(); got != codes.DeadlineExceeded {
		t.Errorf("gRPC code %s, want DeadlineExceeded", got)
	}
}

func TestGRPCStatusOfOtherErrors(t *testing.T) {
	if st := acs.GRPCStatus(nil); st.Code() != codes.OK {
		t.Errorf("nil -> %s", st.Code())
	}
	if st := acs.GRPCStatus(context.Canceled); st.Code() != codes.Canceled {
		t.Errorf("Canceled -> %s", st.Code())
	}
	if st := acs.GRPCStatus(errors.New("boom")); st.Code() != codes.Internal {
		t.Errorf("plain error -> %s", st.Code())
	}
	st := acs.GRPCStatus(&acs.CredentialError{Err: errors.New("token endpoint said: secret-token-xyz")})
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "secret-token-xyz") {
		t.Errorf("CredentialError -> %s %q", st.Code(), st.Message())
	}
}

func TestUnreachableEndpointMapsToUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, "http://"+addr, acs.Config{Retry: acs.RetryPolicy{MaxAttempts: 2}})
	var ws waits
	acs.SetSleep(c, ws.sleep)
	err = c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"})
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	if w := ws.get(); len(w) != 1 {
		t.Errorf("waits %v, want one retry", w)
	}
	if got := acs.GRPCStatus(err).Code(); got != codes.Unavailable {
		t.Errorf("gRPC code %s (%v), want Unavailable", got, err)
	}
}
