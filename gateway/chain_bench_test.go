package gateway

import (
	"context"
	"io"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/telemetry"
)

// BenchmarkUnaryChain is what the interceptor chain costs one GetCall (propagation, metrics, a
// production JSON log line to a discarded sink, the authorization with authentication off),
// around a handler that answers at once: callgate's per-RPC cost beside the handler's and the
// transport's. "without-metrics" is the same chain less the metrics, for what they cost.
//
//	go test -run '^$' -bench BenchmarkUnaryChain -benchmem ./gateway/
func BenchmarkUnaryChain(b *testing.B) {
	tel := telemetry.Nop()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	authz := &authorizer{log: log}
	chains := map[string]grpc.UnaryServerInterceptor{
		"chain":           unaryChain(log, authz, grpcMetrics(tel), tel),
		"without-metrics": chainUnary(propagation{tel}.unary, unaryLogging(log), authz.unary),
	}
	info := &grpc.UnaryServerInfo{FullMethod: callgatev1.CallService_GetCall_FullMethodName}
	call := &callgatev1.GetCallResponse{Call: &callgatev1.Call{CallConnectionId: "401f3500-62bd-46a9-8c09-9e1b06caca01", CorrelationId: "ed4aa8a6-1c47-4a4f-9f0c-3b6d6f0e2d4e"}}
	handler := func(context.Context, any) (any, error) { return call, nil }
	req := &callgatev1.GetCallRequest{CallConnectionId: "401f3500-62bd-46a9-8c09-9e1b06caca01"}
	ctx := context.Background()
	for _, name := range []string{"chain", "without-metrics"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := chains[name](ctx, req, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
