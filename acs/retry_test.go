package acs_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/callgate/callgate/acs"
)

// waits records the waits a client asks for instead of spending them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

const unavailableBody = `{"error":{"code":"ServiceUnavailable","message":"try later"}}`

func createCallReq() *acs.CreateCallRequest {
	return &acs.CreateCallRequest{Targets: []acs.Identifier{acs.CommunicationUser("8:acs:x")}, CallbackURI: callbackURI}
}

func TestRetry503WithRetryAfterThen201(t *testing.T) {
	created := exampleBody(t, "CreateCall.json", 201)
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			reply(w, 503, []byte(unavailableBody))
			return
		}
		reply(w, 201, created)
	})
	c := newClient(t, srv.URL, acs.Config{})
	var ws waits
	acs.SetSleep(c, ws.sleep)

	got, err := c.CreateCall(testContext(t), createCallReq())
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	if got.CallConnectionID != exampleConn {
		t.Errorf("CallConnectionID = %q", got.CallConnectionID)
	}
	first, second := srv.next(t), srv.next(t)
	if n := srv.count(); n != 0 {
		t.Fatalf("%d extra requests", n)
	}
	if w := ws.get(); len(w) != 1 || w[0] != time.Second {
		t.Errorf("waits = %v, want exactly [1s] from Retry-After", w)
	}
	for _, h := range []string{"Repeatability-Request-ID", "Repeatability-First-Sent", "X-Ms-Client-Request-Id"} {
		a, b := first.Header.Get(h), second.Header.Get(h)
		if a == "" || a != b {
			t.Errorf("%s: first attempt %q, retry %q; want the same non-empty value", h, a, b)
		}
	}
	for i, r := range []recorded{first, second} {
		if r.AuthErr != nil {
			t.Errorf("attempt %d HMAC: %v", i+1, r.AuthErr)
		}
		if string(r.Body) != string(first.Body) {
			t.Errorf("attempt %d sent another body", i+1)
		}
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 412} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Retry-After", "1") // must not tempt the client
				reply(w, status, []byte(`{"error":{"code":"Nope","message":"no"}}`))
			})
			c := newClient(t, srv.URL, acs.Config{})
			var ws waits
			acs.SetSleep(c, ws.sleep)
			_, err := c.CreateCall(testContext(t), createCallReq())
			if acs.StatusCode(err) != status {
				t.Fatalf("err = %v, want an *acs.Error with status %d", err, status)
			}
			if n := srv.count(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if w := ws.get(); len(w) != 0 {
				t.Errorf("waited %v", w)
			}
		})
	}
}

func TestRetryableStatusesAreRetried(t *testing.T) {
	for _, status := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					reply(w, status, nil)
					return
				}
				reply(w, 204, nil)
			})
			c := newClient(t, srv.URL, acs.Config{Retry: acs.RetryPolicy{BaseDelay: 100 * time.Millisecond}})
			var ws waits
			acs.SetSleep(c, ws.sleep)
			if err := c.TerminateCall(testContext(t), &acs.TerminateCallRequest{CallConnectionID: "conn-1"}); err != nil {
				t.Fatalf("TerminateCall: %v", err)
			}
			a, b := srv.next(t), srv.next(t)
			if a.Header.Get("Repeatability-Request-ID") != b.Header.Get("Repeatability-Request-ID") {
				t.Error("retry changed Repeatability-Request-ID")
			}
			// Jittered backoff: between half and all of the base delay.
			if w := ws.get(); len(w) != 1 || w[0] < 50*time.Millisecond || w[0] > 100*time.Millisecond {
				t.Errorf("waits = %v, want one backoff in [50ms, 100ms]", w)
			}
		})
	}
}

func TestHangUpRetryCarriesNoRepeatability(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			reply(w, 503, nil)
			return
		}
		reply(w, 204, nil)
	})
	c := newClient(t, srv.URL, acs.Config{})
	acs.SetSleep(c, new(waits).sleep)
	if err := c.HangUp(testContext(t), &acs.HangUpRequest{CallConnectionID: "conn-1"}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r := srv.next(t)
		if r.Method != http.MethodDelete || r.Header.Get("Repeatability-Request-ID") != "" || r.Header.Get("Repeatability-First-Sent") != "" {
			t.Errorf("attempt %d: %s with repeatability %q/%q", i+1, r.Method, r.Header.Get("Repeatability-Request-ID"), r.Header.Get("Repeatability-First-Sent"))
		}
	}
}

func TestRetriesStopAtMaxAttempts(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 503, []byte(unavailableBody))
	})
	c := newClient(t, srv.URL, acs.Config{Retry: acs.RetryPolicy{MaxAttempts: 3}})
	var ws waits
	acs.SetSleep(c, ws.sleep)
	_, err := c.CreateCall(testContext(t), createCallReq())
	if e, ok := acs.AsError(err); !ok || e.StatusCode != 503 || e.Code != "ServiceUnavailable" {
		t.Fatalf("err = %v, want the last 503", err)
	}
	if n := srv.count(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if w := ws.get(); len(w) != 2 {
		t.Errorf("waits = %v, want 2", w)
	}
	if got := acs.GRPCStatus(err).Code(); got != codes.Unavailable {
		t.Errorf("gRPC code %s, want Unavailable", got)
	}
}

// When the next wait would pass the caller's deadline the client stops at
// once and returns the last error, marked as a deadline.
func TestDeadlineStopsRetries(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter string
		policy     acs.RetryPolicy
	}{
		{name: "Retry-After beyond deadline", retryAfter: "30"},
		{name: "backoff beyond deadline", policy: acs.RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				reply(w, 503, []byte(unavailableBody))
			})
			c := newClient(t, srv.URL, acs.Config{Retry: tc.policy})
			var ws waits
			acs.SetSleep(c, ws.sleep)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.CreateCall(ctx, createCallReq())
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			if acs.StatusCode(err) != 503 {
				t.Errorf("err = %v, want it to carry the last 503", err)
			}
			if n := srv.count(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if w := ws.get(); len(w) != 0 {
				t.Errorf("waited %v past the deadline", w)
			}
			st := acs.GRPCStatus(err)
			if st.Code() != codes.DeadlineExceeded {
				t.Errorf("gRPC code %s, want DeadlineExceeded", st.Code())
			}
			if info := findErrorInfo(st.Details()); info == nil || info.Reason != "ServiceUnavailable" {
				t.Errorf("details %v, want the ACS ErrorInfo", st.Details())
			}
		})
	}
}

// A context cancelled once the real wait between attempts has begun ends the
// call: the cancel comes from a log hook on the "retrying" line, written just
// before the client starts waiting.
func TestCancelDuringBackoffStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 503, nil)
	})
	logger := zaptest.NewLogger(t, zaptest.WrapOptions(zap.Hooks(func(e zapcore.Entry) error {
		if e.Message == "acs request failed, retrying" {
			cancel()
		}
		return nil
	})))
	// Real sleeper, an hour of backoff and no deadline: only the cancel ends it.
	c := newClient(t, srv.URL, acs.Config{Logger: logger, Timeout: -1, Retry: acs.RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}})
	err := c.TerminateCall(ctx, &acs.TerminateCallRequest{CallConnectionID: "conn-1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if acs.StatusCode(err) != 503 {
		t.Errorf("err = %v, want it to carry the 503 that started the wait", err)
	}
	if n := srv.count(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if got := acs.GRPCStatus(err).Code(); got != codes.Canceled {
		t.Errorf("gRPC code %s, want Canceled", got)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: the first attempt is refused

	key := wireKey(t)
	reqs := make(chan recorded, 4)
	var ws waits
	c := newClient(t, "http://"+addr, acs.Config{})
	acs.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		if len(ws.get()) == 0 {
			startServerOn(t, addr, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				reqs <- recorded{Header: r.Header.Clone(), AuthErr: checkHMAC(r, body, key)}
				reply(w, 204, nil)
			})
		}
		return ws.sleep(ctx, d)
	})
	if err := c.RejectCall(testContext(t), &acs.RejectCallRequest{IncomingCallContext: incomingCtx}); err != nil {
		t.Fatalf("RejectCall: %v", err)
	}
	if w := ws.get(); len(w) != 1 {
		t.Errorf("waits = %v, want one retry", w)
	}
	if r := <-reqs; r.AuthErr != nil {
		t.Errorf("HMAC: %v", r.AuthErr)
	}
}

// startServerOn serves h on addr until the test ends.
func startServerOn(t *testing.T, addr string, h http.HandlerFunc) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("re-listening on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

func TestConnectionResetIsRetried(t *testing.T) {
	accepted := exampleBody(t, "CallConnection_AddParticipant.json", 202)
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
			conn.Close()
			return
		}
		reply(w, 202, accepted)
	})
	c := newClient(t, srv.URL, acs.Config{})
	var ws waits
	acs.SetSleep(c, ws.sleep)
	_, err := c.AddParticipant(testContext(t), &acs.AddParticipantRequest{
		CallConnectionID: "conn-1", ParticipantToAdd: acs.CommunicationUser("8:acs:added"),
	})
	if err != nil {
		t.Fatalf("AddParticipant: %v", err)
	}
	a, b := srv.next(t), srv.next(t)
	if a.Header.Get("Repeatability-Request-ID") == "" || a.Header.Get("Repeatability-Request-ID") != b.Header.Get("Repeatability-Request-ID") {
		t.Error("the retry after a reset did not reuse Repeatability-Request-ID")
	}
	if w := ws.get(); len(w) != 1 {
		t.Errorf("waits = %v, want one retry", w)
	}
}

func findErrorInfo(details []any) *errdetails.ErrorInfo {
	for _, d := range details {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// A call made without a deadline is bounded by the client's Timeout: it does not retry for
// minutes.
func TestCallWithoutDeadlineIsBounded(t *testing.T) {
	srv := newFakeACS(t, wireKey(t), func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 503, nil)
	})
	c := newClient(t, srv.URL, acs.Config{Timeout: 50 * time.Millisecond, Retry: acs.RetryPolicy{MaxAttempts: 100, BaseDelay: 10 * time.Millisecond, MaxDelay: 10 * time.Millisecond}})
	err := c.TerminateCall(context.Background(), &acs.TerminateCallRequest{CallConnectionID: "conn-1"})
	// The deadline ends the retries: before a wait that would pass it, or during an attempt.
	if !errors.Is(err, context.DeadlineExceeded) && acs.StatusCode(err) != 503 {
		t.Fatalf("err = %v, want the last 503 or the client's own deadline", err)
	}
	if n := srv.count(); n >= 100 {
		t.Errorf("%d attempts: the timeout did not bound the retries", n)
	}
}
