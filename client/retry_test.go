package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// acsFront sits in front of the emulator and decides, per ACS request, how the gateway sees ACS:
// it records the requests whose "METHOD path" pass match, and lets fault act on them.
type acsFront struct {
	match func(r *http.Request) bool
	// fault handles the n-th matching request (from 1) instead of passing it on; false passes it.
	fault func(n int, w http.ResponseWriter, r *http.Request, next http.Handler) bool

	mu   sync.Mutex
	seen []http.Header
}

func (f *acsFront) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.match(r) {
			next.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, r.Header.Clone())
		n := len(f.seen)
		f.mu.Unlock()
		if f.fault == nil || !f.fault(n, w, r, next) {
			next.ServeHTTP(w, r)
		}
	})
}

// requestIDs are the Repeatability-Request-IDs of the matching requests, in order.
func (f *acsFront) requestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, h := range f.seen {
		ids = append(ids, h.Get("Repeatability-Request-ID"))
	}
	return ids
}

// answerLost lets ACS do the work, then holds its answer until the gateway gave up on it: the
// client's attempt passed its deadline, which the gateway's request to ACS inherits.
func answerLost(w http.ResponseWriter, r *http.Request, next http.Handler) {
	next.ServeHTTP(httptest.NewRecorder(), r)
	<-r.Context().Done()
}

// unavailable answers as ACS does when it is overloaded: 503, the work not done.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"error":{"code":"ServiceUnavailable","message":"try again"}}`))
}

func isCreateCall(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/calling/callConnections"
}

// A CreateCall whose attempt passes its deadline after ACS placed the call, or that ACS answers
// 503, is retried with the same request_id: the emulator counts one call, and the caller gets it.
func TestCreateCallRetriedPlacesOneCall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request, next http.Handler)
		wait  time.Duration
	}{
		{"after the attempt's deadline", answerLost, 0},
		{"after the attempt's deadline, waiting", answerLost, time.Second},
		{"after UNAVAILABLE", func(w http.ResponseWriter, _ *http.Request, _ http.Handler) { unavailable(w) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			front := &acsFront{match: isCreateCall, fault: func(n int, w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if n == 1 {
					tc.fault(w, r, next)
					return true
				}
				return false
			}}
			cl := newCluster(t, withUpstream(front.wrap))
			c := dial(t, cl.Target())
			ctx := testContext(t)
			req := &callgatev1.CreateCallRequest{
				Targets:              []*callgatev1.CommunicationIdentifier{client.Phone(phoneNumber())},
				SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: callerID},
			}
			res, err := c.CreateCall(ctx, req, client.AttemptTimeout(300*time.Millisecond), client.Wait(tc.wait))
			if err != nil {
				t.Fatal(err)
			}
			ids := front.requestIDs()
			if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
				t.Fatalf("ACS saw request IDs %q: want two attempts with one ID", ids)
			}
			if req.GetRequestId() != "" || req.GetWait() != nil {
				t.Fatal("the caller's request was modified")
			}
			calls, err := cl.Calls(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || calls[0].CallConnectionID != res.GetCall().GetCallConnectionId() {
				t.Fatalf("the emulator has %d calls (%v), want the one answered (%s)", len(calls), calls, res.GetCall().GetCallConnectionId())
			}
			if tc.wait > 0 && res.GetResultEvent().GetCallConnected() == nil {
				t.Fatalf("waited, but the result event is %v", res.GetResultEvent())
			}
		})
	}
}

// What a retry cannot mend is not retried: a refused request reaches ACS once.
func TestRefusedCallIsNotRetried(t *testing.T) {
	front := &acsFront{match: isCreateCall}
	cl := newCluster(t, withUpstream(front.wrap))
	c := dial(t, cl.Target())
	// A caller ID the resource does not own: ACS answers 403 (PERMISSION_DENIED).
	_, err := c.CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		Targets:              []*callgatev1.CommunicationIdentifier{client.Phone(phoneNumber())},
		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+14255550111"},
	})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("CreateCall: %v, want PERMISSION_DENIED", err)
	}
	if n := len(front.requestIDs()); n != 1 {
		t.Fatalf("ACS saw %d requests, want 1", n)
	}
	res, ok := client.ACS(err)
	if !ok || res.Code != http.StatusForbidden || res.SubCode != 7504 {
		t.Fatalf("ACS(err) = %+v, %v; want 403/7504", res, ok)
	}
}

// The reads are retried by gRPC itself (DefaultServiceConfig) after UNAVAILABLE.
func TestReadsAreRetriedAfterUnavailable(t *testing.T) {
	front := &acsFront{
		match: func(r *http.Request) bool {
			return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/calling/callConnections/")
		},
		fault: func(n int, w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
			if n == 1 {
				unavailable(w)
			}
			return n == 1
		},
	}
	cl := newCluster(t, withUpstream(front.wrap))
	c := dial(t, cl.Target())
	ctx := testContext(t)
	created, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{client.User(cl.User())}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: created.GetCall().GetCallConnectionId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCall().GetCallConnectionId() != created.GetCall().GetCallConnectionId() || len(front.requestIDs()) != 2 {
		t.Fatalf("GetCall = %v after %d requests to ACS, want the call after 2", got, len(front.requestIDs()))
	}
}

// An AddParticipant that waits, whose answer is lost after its outcome arrived, is retried: the
// retry finds the outcome that came before it (the gateway's wait would read only later events),
// and the participant is invited once.
func TestRetriedWaitFindsAnOutcomeThatCameFirst(t *testing.T) {
	cl := newCluster(t)
	ctx := testContext(t)
	// The network loses the first answer: the gateway did everything, the client sees its
	// attempt's deadline pass.
	var mu sync.Mutex
	var sent []*callgatev1.AddParticipantRequest
	lose := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !strings.HasSuffix(method, "/AddParticipant") {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		mu.Lock()
		sent = append(sent, proto.Clone(req.(proto.Message)).(*callgatev1.AddParticipantRequest))
		first := len(sent) == 1
		mu.Unlock()
		err := invoker(ctx, method, req, reply, cc, opts...)
		if first && err == nil {
			<-ctx.Done()
			return status.FromContextError(ctx.Err()).Err()
		}
		return err
	}
	c := dial(t, cl.Target(), dialOptions(grpc.WithChainUnaryInterceptor(lose)))
	call, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{client.User(cl.User())}}, client.Wait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	callID, agent := call.GetCall().GetCallConnectionId(), cl.User()
	res, err := c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: callID, Participant: client.User(agent)},
		client.Wait(2*time.Second), client.AttemptTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if ev := res.GetResultEvent(); ev.GetAddParticipantSucceeded() == nil || ev.GetOperationContext() != res.GetOperationContext() {
		t.Fatalf("result event %v, want AddParticipantSucceeded of operation %s", ev, res.GetOperationContext())
	}
	if len(sent) != 2 || sent[0].GetRequestId() != sent[1].GetRequestId() || sent[1].GetWait() != nil {
		t.Fatalf("sent %v: want a retry with the same request_id, without the gateway's wait", sent)
	}
	calls, err := cl.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range calls {
		if v.CallConnectionID == callID && len(v.Invitations) != 1 {
			t.Fatalf("the emulator has %d invitations: %v", len(v.Invitations), v.Invitations)
		}
	}
}
