package gateway

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// slowRPC is where a unary RPC's log line turns from Info to Warn.
const slowRPC = 2 * time.Second

type callConnectionIDGetter interface{ GetCallConnectionId() string }

// callGetter is every response that describes a call (CreateCall, AnswerCall, ConnectCall, GetCall).
type callGetter interface{ GetCall() *callgatev1.Call }

// unaryLogging logs one line per RPC (method, code, duration, call connection and correlation
// IDs) and turns a panic into Internal instead of a dead process.
func unaryLogging(log *zap.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in RPC handler", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
			logRPC(ctx, log, info.FullMethod, start, err, req, resp, isSlow(req, time.Since(start)))
		}()
		return handler(ctx, req)
	}
}

// streamLogging logs one line per stream when it ends, with the call it watched. Streams last
// as long as calls do, so their duration never makes the line a warning.
func streamLogging(log *zap.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		rs := &requestRecorder{ServerStream: ss}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in stream handler", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
			logRPC(ss.Context(), log, info.FullMethod, start, err, rs.request, nil, false)
		}()
		return handler(srv, rs)
	}
}

// requestRecorder keeps a server stream's request (the first message it receives) for the log.
type requestRecorder struct {
	grpc.ServerStream
	request any
}

func (r *requestRecorder) RecvMsg(m any) error {
	err := r.ServerStream.RecvMsg(m)
	if err == nil && r.request == nil {
		r.request = m
	}
	return err
}

type waitGetter interface{ GetWait() *durationpb.Duration }

// isSlow tells a unary RPC that took too long from one that waited for an outcome as asked.
func isSlow(req any, d time.Duration) bool {
	if w, ok := req.(waitGetter); ok && w.GetWait() != nil {
		return false
	}
	return d > slowRPC
}

func logRPC(ctx context.Context, log *zap.Logger, method string, start time.Time, err error, req, resp any, slow bool) {
	d := time.Since(start)
	code := status.Code(err)
	if errors.Is(err, context.Canceled) {
		code = codes.Canceled
	}
	lvl := zapcore.InfoLevel
	switch {
	case code == codes.OK && isPlumbing(method):
		// Probes and grpcurl's reflection would drown the calls that matter.
		lvl = zapcore.DebugLevel
	case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
		lvl = zapcore.ErrorLevel
	case code == codes.Unavailable || slow:
		lvl = zapcore.WarnLevel
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		annotateSpan(span, req, resp, err)
	}
	ce := log.Check(lvl, "rpc")
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 8)
	fields = append(fields, zap.String("method", method), zap.String("code", code.String()), zap.Duration("duration", d))
	var callID, correlationID string
	if g, ok := req.(callConnectionIDGetter); ok {
		callID = g.GetCallConnectionId()
	}
	if g, ok := resp.(callGetter); ok {
		// A created, answered or connected call's ID is known only from the response.
		if callID == "" {
			callID = g.GetCall().GetCallConnectionId()
		}
		correlationID = g.GetCall().GetCorrelationId()
	}
	if callID != "" {
		fields = append(fields, zap.String("call_connection_id", callID))
	}
	if err != nil {
		st := status.Convert(err)
		if info := upstreamErrorInfo(st); info != nil {
			// ACS's chain ID is the call's correlation ID ("also called ChainId" in the API
			// definition), the one Microsoft support asks for.
			if correlationID == "" {
				correlationID = info.GetMetadata()[acs.MetadataChainID]
			}
			fields = append(fields, zap.String("acs_code", info.GetReason()))
		}
		fields = append(fields, zap.String("error", st.Message()))
	}
	if correlationID != "" {
		fields = append(fields, zap.String("correlation_id", correlationID))
	}
	ce.Write(fields...)
}

// upstreamErrorInfo is the ErrorInfo of an ACS error in st, if it has one.
func upstreamErrorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == acs.ErrorDomain {
			return info
		}
	}
	return nil
}

func isPlumbing(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.") || strings.HasPrefix(method, "/grpc.reflection.")
}

// annotateSpan puts the call connection and correlation IDs on the RPC's span, so that a trace
// and a call can be joined.
func annotateSpan(span trace.Span, req, resp any, err error) {
	if id := callIDOf(req, resp); id != "" {
		span.SetAttributes(attribute.String("callgate.call_connection_id", id))
	}
	correlation := ""
	if g, ok := resp.(callGetter); ok {
		correlation = g.GetCall().GetCorrelationId()
	}
	if info := upstreamErrorInfo(status.Convert(err)); correlation == "" && info != nil {
		correlation = info.GetMetadata()[acs.MetadataChainID]
	}
	if correlation != "" {
		span.SetAttributes(attribute.String("callgate.correlation_id", correlation))
	}
}
