package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/telemetry"
)

// BenchmarkRESTUnary is what the REST side costs a CreateCall and a GetCall in process, from
// the request to the encoded answer, around a CallService whose methods answer at once: no
// sockets, no ACS request, so the figure is CPU and allocations alone. "callgate" is the REST
// handler as served (its route check, metrics, body bound, grpc-gateway, the in-process call,
// the interceptor chain with a production JSON log line to a discarded sink); "grpc-gateway" is
// grpc-gateway alone with the same JSON, registered straight to the service (no chain): what no
// REST from these protos goes under.
//
//	go test -run '^$' -bench BenchmarkRESTUnary -benchmem ./gateway/
func BenchmarkRESTUnary(b *testing.B) {
	ctx := context.Background()
	calls := &answeringCalls{call: benchCall()}

	tel := telemetry.Nop()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	local := newLocalConn(unaryChain(log, &authorizer{log: log}, grpcMetrics(tel), tel), nil)
	callgatev1.RegisterCallServiceServer(local, calls)
	served, err := newREST(ctx, callsOnly{}, local, newRESTMetrics(tel))
	if err != nil {
		b.Fatal(err)
	}
	bare := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &newRESTJSON().JSONPb}))
	if err := callgatev1.RegisterCallServiceHandlerServer(ctx, bare, calls); err != nil {
		b.Fatal(err)
	}

	requests := map[string]func() *http.Request{
		"CreateCall": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/v1/calls", strings.NewReader(`{"targets":[{"communicationUser":{"id":"8:acs:11111111-2222-3333-4444-555555555555_00000017-aaaa-bbbb-cccc-dddddddddddd"}}]}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		"GetCall": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/v1/calls/401f3500-62bd-46a0-a6d4-8d4b7d2f0f8b", nil)
		},
	}
	for _, way := range []struct {
		name string
		h    http.Handler
	}{{"callgate", served}, {"grpc-gateway", bare}} {
		for _, op := range []string{"CreateCall", "GetCall"} {
			b.Run(way.name+"/"+op, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					way.h.ServeHTTP(w, requests[op]())
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", op, w.Code, w.Body)
					}
				}
			})
		}
	}
}

// answeringCalls answers CreateCall and GetCall with one call, at once.
type answeringCalls struct {
	callgatev1.UnimplementedCallServiceServer
	call *callgatev1.Call
}

func (a *answeringCalls) CreateCall(context.Context, *callgatev1.CreateCallRequest) (*callgatev1.CreateCallResponse, error) {
	return &callgatev1.CreateCallResponse{Call: a.call}, nil
}

func (a *answeringCalls) GetCall(context.Context, *callgatev1.GetCallRequest) (*callgatev1.GetCallResponse, error) {
	return &callgatev1.GetCallResponse{Call: a.call}, nil
}

// callsOnly is the CallService's REST routes over conn.
type callsOnly struct{}

func (callsOnly) Names() []string { return []string{callgatev1.CallService_ServiceDesc.ServiceName} }

func (callsOnly) RegisterREST(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
	return callgatev1.RegisterCallServiceHandlerClient(ctx, mux, callgatev1.NewCallServiceClient(conn))
}
