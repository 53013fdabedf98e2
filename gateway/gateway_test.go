package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func bytesReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }

func TestReflectionListsTheServices(t *testing.T) {
	s, _ := start(t)
	stream, err := reflectionpb.NewServerReflectionClient(dial(t, s)).ServerReflectionInfo(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	for _, want := range []string{"callgate.v1.CallService", "callgate.v1.ParticipantService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "callgate.v1.ParticipantService"},
	}); err != nil {
		t.Fatal(err)
	}
	if resp, err = stream.Recv(); err != nil || len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("no descriptor for ParticipantService: %v %v", resp, err)
	}
}

func TestHealthServing(t *testing.T) {
	s, _ := start(t)
	client := healthpb.NewHealthClient(dial(t, s))
	for _, svc := range []string{"", "callgate.v1.CallService", "callgate.v1.ParticipantService"} {
		resp, err := client.Check(testContext(t), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("check %q: %v %v, want SERVING", svc, resp.GetStatus(), err)
		}
	}
}

// A REST request reaches the RPC through the gRPC server: a participant's escaped raw ID arrives
// as written, and ACS's 404 comes back as one.
func TestRESTReachesTheRPC(t *testing.T) {
	s, _ := start(t)
	resp, body := do(t, http.MethodGet, s.base+"/v1/calls/no-such-call/participants/8%3Aacs%3Ar_user-1", "", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET participant of an unknown call = %d: %s", resp.StatusCode, body)
	}
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &st); err != nil || st.Code != int(codes.NotFound) {
		t.Errorf("body %s, want a google.rpc.Status NOT_FOUND", body)
	}
}

func TestProbesAndOpenAPI(t *testing.T) {
	s, _ := start(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, body := do(t, http.MethodGet, s.admin+path, "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
		}
	}
	_, body := do(t, http.MethodGet, s.base+"/openapi.json", "", nil)
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Swagger != "2.0" {
		t.Fatalf("openapi.json: %v %q", err, doc.Swagger)
	}
	for path, method := range map[string]string{
		"/v1/calls":                                      "post",
		"/v1/calls/{callConnectionId}:watch":             "get",
		"/v1/calls/{callConnectionId}:hangUp":            "post",
		"/v1/incomingCalls:watch":                        "get",
		"/v1/calls/{callConnectionId}/participants:mute": "post",
	} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("OpenAPI document has no %s %s", method, path)
		}
	}
}

// A failing dependency check turns /readyz to 503, and back once it passes.
func TestReadyzFollowsTheChecks(t *testing.T) {
	var failing error = errors.New("event log has no quorum")
	s, _ := start(t, withReady(func(context.Context) error { return failing }))
	if resp, body := do(t, http.MethodGet, s.admin+"/readyz", "", nil); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "quorum") {
		t.Errorf("readyz with a failing check = %d %s, want 503 naming it", resp.StatusCode, body)
	}
	failing = nil
	if resp, _ := do(t, http.MethodGet, s.admin+"/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz once the check passes = %d", resp.StatusCode)
	}
}

// On stop the gateway turns not-ready and keeps serving for the drain delay before it stops
// accepting: a load balancer sees /readyz fail while requests still succeed.
func TestStopDrainsBeforeClosing(t *testing.T) {
	drain := 2 * time.Second
	s, stop := start(t, withDrainDelay(drain))
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Poll until not ready (no event announces it); every probe in between is answered.
	deadline := time.Now().Add(drain)
	for {
		resp, _ := do(t, http.MethodGet, s.admin+"/readyz", "", nil)
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz never turned 503 during the drain")
		}
	}
	if resp, _ := do(t, http.MethodGet, s.admin+"/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz while draining = %d: the listener closed before the drain delay", resp.StatusCode)
	}
	health, err := healthpb.NewHealthClient(dial(t, s)).Check(testContext(t), &healthpb.HealthCheckRequest{})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health while draining = %v %v, want NOT_SERVING", health.GetStatus(), err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.admin + "/healthz"); err == nil {
		t.Error("the HTTP listener still accepts after the stop")
	}
}

// REST answers what grpc-gateway would get wrong: 413 over the body limit (not 429), 405 with
// Allow for a wrong method (not 501), and a form POST to a GET route does not act as that GET.
func TestRESTRefusals(t *testing.T) {
	s, _ := start(t)
	big := bytes.Repeat([]byte(" "), 10<<20)
	resp, body := do(t, http.MethodPost, s.base+"/v1/calls", "application/json", big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MB body = %d %s, want 413", resp.StatusCode, body)
	}
	// Chunked, so that no Content-Length gives the size away.
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodPost, s.base+"/v1/calls", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = r2.Body.Close()
	if r2.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MB chunked body = %d, want 413", r2.StatusCode)
	}

	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPut, "/v1/calls", "POST"},
		{http.MethodDelete, "/v1/calls/abc", "GET"},
		{http.MethodGet, "/v1/calls/abc:hangUp", "POST"},
		{http.MethodPut, "/v1/calls/abc/participants", "GET, POST"},
	} {
		resp, body := do(t, c.method, s.base+c.path, "", nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s = %d Allow %q (%s), want 405 Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), body, c.allow)
		}
	}

	resp, body = do(t, http.MethodPost, s.base+"/v1/calls/abc", "application/x-www-form-urlencoded", []byte("x=1"))
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("form POST /v1/calls/abc = %d %s, want 405 (not a GetCall)", resp.StatusCode, body)
	}
}

// A REST body is one JSON message, decoded once: an empty body is the empty request (which the
// validation then refuses by field), anything else that is not exactly one request message is
// INVALID_ARGUMENT before the RPC runs.
func TestRESTBodies(t *testing.T) {
	s, _ := start(t)
	resp, body := do(t, http.MethodPost, s.base+"/v1/calls", "application/json", []byte(`{"targets":[{"phoneNumber":{"value":"+14255550123"}}],"sourceCallerIdNumber":{"value":"`+ownNumber+`"}}`))
	var created struct {
		Call struct {
			CallConnectionID string `json:"callConnectionId"`
			Targets          []struct {
				PhoneNumber struct{ Value string } `json:"phoneNumber"`
			} `json:"targets"`
		} `json:"call"`
	}
	if err := json.Unmarshal(body, &created); err != nil || resp.StatusCode != http.StatusOK || created.Call.CallConnectionID == "" {
		t.Fatalf("CreateCall = %d %s, want a call", resp.StatusCode, body)
	}
	if ts := created.Call.Targets; len(ts) != 1 || ts[0].PhoneNumber.Value != "+14255550123" {
		t.Errorf("CreateCall answered targets %+v, want the one sent", ts)
	}
	for _, c := range []struct{ body, says string }{
		{"", "targets"},
		{" \n", "targets"},
		{`{"targets":[]} {}`, "syntax"},
		{`{"targetz":[]}`, "targetz"},
		{`{"targets":[`, "unexpected EOF"},
	} {
		resp, body := do(t, http.MethodPost, s.base+"/v1/calls", "application/json", []byte(c.body))
		var st struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != http.StatusBadRequest || st.Code != int(codes.InvalidArgument) || !strings.Contains(st.Message, c.says) {
			t.Errorf("POST /v1/calls %q = %d %s, want 400 INVALID_ARGUMENT saying %q", c.body, resp.StatusCode, body, c.says)
		}
	}
}

// Bytes that are not the method's request message are INVALID_ARGUMENT, not INTERNAL, for a
// unary RPC and a stream alike.
func TestMalformedProtobufIsInvalidArgument(t *testing.T) {
	s, _ := start(t)
	conn, err := grpc.NewClient(s.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	garbage := rawMessage{0xff, 0xff, 0xff, 0xff}
	var out rawMessage
	err = conn.Invoke(testContext(t), "/callgate.v1.CallService/GetCall", &garbage, &out)
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("unary: %v, want InvalidArgument", err)
	}
	stream, err := conn.NewStream(testContext(t), &grpc.StreamDesc{ServerStreams: true}, "/callgate.v1.CallService/WatchCall")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(&garbage); err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	if err := stream.RecvMsg(&out); status.Code(err) != codes.InvalidArgument {
		t.Errorf("stream: %v, want InvalidArgument", err)
	}
	// A well-formed request still works on the same server.
	if _, err := callgatev1.NewCallServiceClient(dial(t, s)).GetCall(testContext(t), &callgatev1.GetCallRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetCall without an ID: %v, want InvalidArgument", err)
	}
}

// A request over MaxRequestBytes is refused before it is decoded.
func TestOversizedGRPCRequest(t *testing.T) {
	s, _ := start(t)
	_, err := callgatev1.NewCallServiceClient(dial(t, s)).CreateCall(testContext(t), &callgatev1.CreateCallRequest{
		OperationContext: strings.Repeat("x", gateway.MaxRequestBytes),
	})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized request: %v, want ResourceExhausted", err)
	}
}
