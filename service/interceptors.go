package service

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// slowRPC is where a unary RPC's log line turns from Info to Warn.
const slowRPC = 2 * time.Second

type callConnectionIDGetter interface{ GetCallConnectionId() string }

// UnaryInterceptor logs one line per RPC (method, code, duration, call connection and correlation
// IDs) and turns a panic into Internal instead of a dead process.
func UnaryInterceptor(log *zap.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in RPC handler", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
			logRPC(log, info.FullMethod, start, err, req, resp)
		}()
		return handler(ctx, req)
	}
}

// StreamInterceptor logs one line per stream when it ends.
func StreamInterceptor(log *zap.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in stream handler", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
			logRPC(log, info.FullMethod, start, err, nil, nil)
		}()
		return handler(srv, ss)
	}
}

func logRPC(log *zap.Logger, method string, start time.Time, err error, req, resp any) {
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
	case code == codes.Unavailable || d > slowRPC:
		lvl = zapcore.WarnLevel
	}
	ce := log.Check(lvl, "rpc")
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 6)
	fields = append(fields, zap.String("method", method), zap.String("code", code.String()), zap.Duration("duration", d))
	if g, ok := req.(callConnectionIDGetter); ok && g.GetCallConnectionId() != "" {
		fields = append(fields, zap.String("call_connection_id", g.GetCallConnectionId()))
	}
	if err != nil {
		fields = append(fields, zap.String("error", status.Convert(err).Message()))
	}
	ce.Write(fields...)
}

func isPlumbing(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.") || strings.HasPrefix(method, "/grpc.reflection.")
}
