package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// startGateway serves comp on loopback ports and stops it when the test ends.
func startGateway(t *testing.T, comp components) *gateway {
	t.Helper()
	cfg := defaultConfig()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ShutdownGrace = 5 * time.Second
	lns, err := listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGateway(cfg, zaptest.NewLogger(t), lns, comp)
	if err != nil {
		lns.close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return g
}

func unimplementedComponents() components {
	return components{
		calls:        callgatev1.UnimplementedCallServiceServer{},
		participants: callgatev1.UnimplementedParticipantServiceServer{},
	}
}

func dial(t *testing.T, g *gateway) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(g.grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestReflectionListsBothServices(t *testing.T) {
	g := startGateway(t, unimplementedComponents())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(dial(t, g)).ServerReflectionInfo(ctx)
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
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"callgate.v1.CallService", "callgate.v1.ParticipantService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}

	// describe: the file descriptor of a service resolves, with its methods.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "callgate.v1.ParticipantService"},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err = stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("no descriptor for ParticipantService: %v", resp)
	}
}

func TestHealthServing(t *testing.T) {
	g := startGateway(t, unimplementedComponents())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := healthpb.NewHealthClient(dial(t, g))
	for _, svc := range append([]string{""}, servedServices...) {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil {
			t.Fatalf("check %q: %v", svc, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("check %q: %v, want SERVING", svc, resp.GetStatus())
		}
	}
}

// getCallServer answers GetCall with the ID it was asked for, to show a REST route reaches it.
type getCallServer struct {
	callgatev1.UnimplementedCallServiceServer
}

func (getCallServer) GetCall(_ context.Context, req *callgatev1.GetCallRequest) (*callgatev1.GetCallResponse, error) {
	return &callgatev1.GetCallResponse{Call: &callgatev1.Call{
		CallConnectionId: req.GetCallConnectionId(),
		State:            callgatev1.CallState_CALL_STATE_CONNECTED,
	}}, nil
}

type getParticipantServer struct {
	callgatev1.UnimplementedParticipantServiceServer
}

func (getParticipantServer) GetParticipant(_ context.Context, req *callgatev1.GetParticipantRequest) (*callgatev1.GetParticipantResponse, error) {
	return &callgatev1.GetParticipantResponse{Participant: &callgatev1.CallParticipant{
		Identifier: &callgatev1.CommunicationIdentifier{RawId: req.GetRawId()},
	}}, nil
}

func TestRESTReachesRPC(t *testing.T) {
	g := startGateway(t, components{calls: getCallServer{}, participants: getParticipantServer{}})
	base := "http://" + g.httpLn.Addr().String()

	var got struct {
		Call struct {
			CallConnectionID string `json:"callConnectionId"`
			State            string `json:"state"`
		} `json:"call"`
	}
	getJSON(t, base+"/v1/calls/conn-42", &got)
	if got.Call.CallConnectionID != "conn-42" || got.Call.State != "CALL_STATE_CONNECTED" {
		t.Errorf("GET /v1/calls/conn-42 = %+v", got)
	}

	// A raw ID with colons, escaped in the path, reaches the RPC unescaped.
	var p struct {
		Participant struct {
			Identifier struct {
				RawID string `json:"rawId"`
			} `json:"identifier"`
		} `json:"participant"`
	}
	getJSON(t, base+"/v1/calls/conn-42/participants/8%3Aacs%3Auser-1", &p)
	if p.Participant.Identifier.RawID != "8:acs:user-1" {
		t.Errorf("raw ID = %q, want 8:acs:user-1", p.Participant.Identifier.RawID)
	}

	resp, err := http.Post(base+"/v1/calls", "application/json", strings.NewReader(`{"targets":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("POST /v1/calls on an unimplemented server: %d, want 501", resp.StatusCode)
	}
}

func TestProbesAndOpenAPI(t *testing.T) {
	g := startGateway(t, unimplementedComponents())
	base := "http://" + g.httpLn.Addr().String()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	getJSON(t, base+"/openapi.json", &doc)
	if doc.Swagger != "2.0" {
		t.Errorf("swagger = %q", doc.Swagger)
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

func TestReadyzTurnsUnavailableWhenStopping(t *testing.T) {
	g := startGateway(t, unimplementedComponents())
	g.stopping.Store(true)
	resp, err := http.Get("http://" + g.httpLn.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz while stopping = %d, want 503", resp.StatusCode)
	}
	g.stopping.Store(false)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}
