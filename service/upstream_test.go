package service_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

// assertUpstreamError checks that err is code with the ACS error code and HTTP status in a
// google.rpc.ErrorInfo, and returns that ErrorInfo.
func assertUpstreamError(t *testing.T, err error, code codes.Code, acsCode string, httpStatus int) *errdetails.ErrorInfo {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("status %v: %s, want %v", st.Code(), st.Message(), code)
	}
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || info.GetDomain() != acs.ErrorDomain {
			continue
		}
		if info.GetReason() != acsCode {
			t.Errorf("ErrorInfo reason %q, want the ACS code %q", info.GetReason(), acsCode)
		}
		if got := info.GetMetadata()[acs.MetadataHTTPStatus]; got != strconv.Itoa(httpStatus) {
			t.Errorf("ErrorInfo http_status %q, want %d", got, httpStatus)
		}
		if info.GetMetadata()[acs.MetadataClientRequestID] == "" {
			t.Errorf("ErrorInfo lacks the client request ID for support: %v", info.GetMetadata())
		}
		return info
	}
	t.Fatalf("status %v: %s carries no ACS ErrorInfo (details %v)", st.Code(), st.Message(), st.Details())
	return nil
}

func TestUpstreamErrors(t *testing.T) {
	const notOwned = "+18005550199"
	const chainID = "3f8e1e55-c7d2-4f6b-9b53-6d1a0c3e2b71"
	// The emulator does not check caller ID ownership; in front of it, this answers as ACS does
	// for a number the resource does not own.
	forbidCallerID := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/calling/callConnections" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte(notOwned)) {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("X-Microsoft-Skype-Chain-Id", chainID)
					w.WriteHeader(http.StatusForbidden)
					_, _ = io.WriteString(w, `{"error":{"code":"Forbidden","message":"The source caller ID is not a number of this resource."}}`)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	s := newStack(t, withUpstreamWrapper(forbidCallerID), withPhoneMasking())

	t.Run("404 unknown call", func(t *testing.T) {
		_, err := s.Calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: "no-such-call"})
		assertUpstreamError(t, err, codes.NotFound, "8522", 404)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "Call not found") {
			t.Errorf("message %q lacks ACS's message", msg)
		}
		_, err = s.Participants.ListParticipants(testContext(t), &callgatev1.ListParticipantsRequest{CallConnectionId: "no-such-call"})
		assertUpstreamError(t, err, codes.NotFound, "8522", 404)
	})

	t.Run("400 unknown incoming call context", func(t *testing.T) {
		_, err := s.Calls.AnswerCall(testContext(t), &callgatev1.AnswerCallRequest{IncomingCallContext: "not-a-context"})
		assertUpstreamError(t, err, codes.InvalidArgument, "8523", 400)
	})

	t.Run("400 call not established yet", func(t *testing.T) {
		callee := s.acsUser()
		s.script(t, callee, map[string]any{"answerDelay": "10m"})
		created, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Participants.AddParticipant(testContext(t), &callgatev1.AddParticipantRequest{
			CallConnectionId: created.GetCall().GetCallConnectionId(), Participant: userID(s.acsUser()),
		})
		assertUpstreamError(t, err, codes.InvalidArgument, "8501", 400)
	})

	t.Run("403 caller ID not owned", func(t *testing.T) {
		_, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
			Targets:              []*callgatev1.CommunicationIdentifier{phoneID("+16471234567")},
			SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: notOwned},
		})
		info := assertUpstreamError(t, err, codes.PermissionDenied, "Forbidden", 403)
		if info.GetMetadata()[acs.MetadataChainID] != chainID {
			t.Errorf("ErrorInfo chain_id %q, want %q", info.GetMetadata()[acs.MetadataChainID], chainID)
		}
		line := s.Logs.rpcLine(t, "/callgate.v1.CallService/CreateCall", func(f map[string]any) bool { return f["code"] == "PermissionDenied" })
		if line["correlation_id"] != chainID || line["acs_code"] != "Forbidden" {
			t.Errorf("log line %v, want correlation_id %s (the chain ID) and acs_code Forbidden", line, chainID)
		}
	})

	t.Run("409 repeated invitation", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		slow := s.acsUser()
		s.script(t, slow, map[string]any{"answerDelay": "10m"})
		req := &callgatev1.AddParticipantRequest{CallConnectionId: call.GetCallConnectionId(), Participant: userID(slow)}
		if _, err := s.Participants.AddParticipant(testContext(t), req); err != nil {
			t.Fatal(err)
		}
		_, err := s.Participants.AddParticipant(testContext(t), req)
		assertUpstreamError(t, err, codes.FailedPrecondition, "8519", 409)
	})

	t.Run("no secrets", func(t *testing.T) {
		_, err := s.Calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: "no-such-call"})
		s.assertNoSecrets(t, status.Convert(err).Message())
	})
}

func TestThrottledAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  emulator.FaultConfig
		code    codes.Code
		acsCode string
		status  int
	}{
		{"429", emulator.FaultConfig{ThrottleRate: 1}, codes.ResourceExhausted, "TooManyRequests", 429},
		{"503", emulator.FaultConfig{UnavailableRate: 1}, codes.Unavailable, "ServiceUnavailable", 503},
	} {
		t.Run(tc.name+" after the retries", func(t *testing.T) {
			s := newStack(t, withEmulator(func(c *emulator.Config) { c.Faults = tc.faults; c.Faults.RetryAfter = time.Second }))
			_, err := s.Calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: "any"})
			assertUpstreamError(t, err, tc.code, tc.acsCode, tc.status)
			if n := s.Upstream.count(); n != 2 {
				t.Errorf("%d upstream attempts, want 2 (the acs client retries once in this stack)", n)
			}
			if tc.status == 429 {
				var retry *errdetails.RetryInfo
				for _, d := range status.Convert(err).Details() {
					if r, ok := d.(*errdetails.RetryInfo); ok {
						retry = r
					}
				}
				if retry.GetRetryDelay().AsDuration() != time.Second {
					t.Errorf("RetryInfo %v, want the 1s Retry-After", retry)
				}
			}
		})
	}

	t.Run("429 with a deadline shorter than Retry-After", func(t *testing.T) {
		s := newStack(t, withEmulator(func(c *emulator.Config) {
			c.Faults = emulator.FaultConfig{ThrottleRate: 1, RetryAfter: time.Minute}
		}), withRetry(acs.RetryPolicy{MaxAttempts: 4}))
		ctx, cancel := context.WithTimeout(testContext(t), 5*time.Second)
		defer cancel()
		_, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "any"})
		// The client does not sleep past the deadline: it gives up at once with ACS's answer.
		assertUpstreamError(t, err, codes.DeadlineExceeded, "TooManyRequests", 429)
		if n := s.Upstream.count(); n != 1 {
			t.Errorf("%d upstream attempts, want 1", n)
		}
	})
}

func TestDeadlineAndCancellationReachUpstream(t *testing.T) {
	// Every ACS answer takes a minute: only an aborted request ends sooner.
	s := newStack(t, withEmulator(func(c *emulator.Config) { c.Faults.Latency = time.Minute }))

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
		defer cancel()
		_, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "deadline-call"})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("GetCall: %v, want DeadlineExceeded", err)
		}
		waitAborted(t, s, "/calling/callConnections/deadline-call")
		// The handler itself returned: its log line is written when it does.
		s.Logs.rpcLine(t, "/callgate.v1.CallService/GetCall", func(f map[string]any) bool {
			return f["call_connection_id"] == "deadline-call"
		})
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testContext(t))
		errc := make(chan error, 1)
		go func() {
			_, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "cancelled-call"})
			errc <- err
		}()
		waitArrived(t, s, "/calling/callConnections/cancelled-call")
		cancel()
		if err := <-errc; status.Code(err) != codes.Canceled {
			t.Fatalf("GetCall: %v, want Canceled", err)
		}
		waitAborted(t, s, "/calling/callConnections/cancelled-call")
		line := s.Logs.rpcLine(t, "/callgate.v1.CallService/GetCall", func(f map[string]any) bool {
			return f["call_connection_id"] == "cancelled-call"
		})
		if line["code"] != "Canceled" {
			t.Errorf("log line %v, want code Canceled", line)
		}
	})
}

func waitArrived(t *testing.T, s *stack, path string) {
	t.Helper()
	waitPath(t, s.Upstream.arrived, path, "reach the emulator")
}

func waitAborted(t *testing.T, s *stack, path string) {
	t.Helper()
	waitPath(t, s.Upstream.aborted, path, "be aborted")
}

func waitPath(t *testing.T, c <-chan string, path, what string) {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case p := <-c:
			if p == path {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the upstream request %s did not %s", path, what)
		}
	}
}

func TestCreateCallIdempotentRetry(t *testing.T) {
	s := newStack(t)
	const requestID = "e2c5a7f0-3b1d-4c8e-9f6a-1d2e3f4a5b6c"
	before := len(s.emulatorCalls(t))
	req := &callgatev1.CreateCallRequest{
		Targets:   []*callgatev1.CommunicationIdentifier{userID(s.acsUser())},
		RequestId: requestID,
	}
	first, err := s.Calls.CreateCall(testContext(t), req)
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	// The client timed out before seeing the answer and tries again with the same request ID.
	second, err := s.Calls.CreateCall(testContext(t), req)
	if err != nil {
		t.Fatalf("CreateCall retry: %v", err)
	}
	if first.GetCall().GetCallConnectionId() != second.GetCall().GetCallConnectionId() {
		t.Errorf("the retry placed another call: %s, then %s", first.GetCall().GetCallConnectionId(), second.GetCall().GetCallConnectionId())
	}
	if got := len(s.emulatorCalls(t)) - before; got != 1 {
		t.Errorf("the emulator has %d new calls, want 1", got)
	}
	if n := len(s.Upstream.since(0)); n < 2 {
		t.Errorf("%d upstream requests, want both attempts to reach ACS", n)
	}

	// The same ID for another request is a client bug, reported as such.
	req.Targets = []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}
	_, err = s.Calls.CreateCall(testContext(t), req)
	assertUpstreamError(t, err, codes.FailedPrecondition, "RepeatabilityRequestIdConflict", 409)
}

// The gateway's own configuration is not the caller's fault: no callback URL is
// FAILED_PRECONDITION, and one the acs client refuses (its validation is a backstop behind the
// gateway's) is INTERNAL, logged, and nothing is sent.
// Services without a callback URL cannot receive any call's events: they are refused at start,
// not on the first CreateCall.
func TestServicesNeedACallbackURL(t *testing.T) {
	s := newStack(t)
	deps := s.Deps
	deps.CallbackURL = ""
	if _, err := service.New(deps); err == nil || !strings.Contains(err.Error(), "callback URL") {
		t.Fatalf("New without a callback URL: %v", err)
	}
}
