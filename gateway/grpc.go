package gateway

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/callgate/callgate/telemetry"
)

// Server limits, each set on purpose.
const (
	// MaxRequestBytes bounds a request message, gRPC or REST. The largest request the API's
	// declared bounds allow (1,000 VoIP headers of 64 + 256 characters, four bytes each) is about
	// 1.3 MB; anything larger is refused before it is decoded.
	MaxRequestBytes = 2 << 20
	// maxResponseBytes bounds what the REST side takes from the gRPC server: ListParticipants
	// of a large call is the largest answer.
	maxResponseBytes = 16 << 20
	// maxConcurrentStreams per connection: a client multiplexing hundreds of WatchCall streams on
	// one connection works; one opening millions is refused.
	maxConcurrentStreams = 4096
	// keepaliveMinTime is the most often a client may ping; more often is a misbehaving client
	// (GOAWAY). Watch streams idle for minutes between heartbeats, so pings without streams are
	// allowed too.
	keepaliveMinTime = 10 * time.Second
	// keepaliveTime and keepaliveTimeout: the server pings a connection idle this long and drops
	// it when no answer comes, so connections through dead NATs and load balancers are noticed.
	keepaliveTime    = 2 * time.Minute
	keepaliveTimeout = 20 * time.Second
)

// unaryChain is the one interceptor chain every unary RPC runs through, over gRPC or REST (the
// REST side runs it in process, localConn). Metrics and logging first, so that refused callers
// count and are logged too; authorization before anything reads the request.
func unaryChain(log *zap.Logger, authz *authorizer, metrics *grpcprom.ServerMetrics, tel *telemetry.Telemetry) grpc.UnaryServerInterceptor {
	return chainUnary(propagation{tel}.unary, metrics.UnaryServerInterceptor(), unaryLogging(log), authz.unary)
}

// chainUnary runs ics in order around the handler, as grpc.ChainUnaryInterceptor does; it is
// here because that chain is the server's own and cannot also run for the REST side.
func chainUnary(ics ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ics[0](ctx, req, info, chainedHandler(ics[1:], info, handler))
	}
}

func chainedHandler(ics []grpc.UnaryServerInterceptor, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) grpc.UnaryHandler {
	if len(ics) == 0 {
		return handler
	}
	return func(ctx context.Context, req any) (any, error) {
		return ics[0](ctx, req, info, chainedHandler(ics[1:], info, handler))
	}
}

// newGRPCServer is the gRPC server with unary, the unary chain, and the stream chain every stream
// runs through (REST's included: they dial this server). Authentication, metrics and tracing plug
// in here.
func newGRPCServer(log *zap.Logger, tlsFiles *TLSFiles, unary grpc.UnaryServerInterceptor, authz *authorizer, metrics *grpcprom.ServerMetrics, tel *telemetry.Telemetry) *grpc.Server {
	prop := propagation{tel}
	opts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(lenientCodec{encoding.GetCodecV2(grpcproto.Name)}),
		grpc.MaxRecvMsgSize(MaxRequestBytes),
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}),
		// A few long-lived goroutines take the streams instead of one new goroutine each: 16-39 µs
		// less per unary RPC at p50 on two cores (BENCHMARKS.md). The option is marked
		// experimental in grpc-go; when every worker is busy (WatchCall streams hold theirs),
		// grpc-go starts a goroutine as it would without it.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		grpc.UnaryInterceptor(unary),
		// In the unary chain's order.
		grpc.ChainStreamInterceptor(prop.stream, metrics.StreamServerInterceptor(), streamLogging(log), authz.stream, malformedStreamRequests),
	}
	opts = append(opts, grpcTracing(tel)...)
	if tlsFiles != nil {
		opts = append(opts, grpc.Creds(outsideTLS{credentials.NewTLS(tlsFiles.Config())}))
	}
	return grpc.NewServer(opts...)
}

// outsideTLS is TLS for connections from outside, and none for the REST side's in-memory one.
type outsideTLS struct {
	credentials.TransportCredentials
}

func (c outsideTLS) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if isInternal(conn.RemoteAddr()) {
		return conn, internalAuthInfo{}, nil
	}
	return c.TransportCredentials.ServerHandshake(conn)
}

func (c outsideTLS) Clone() credentials.TransportCredentials {
	return outsideTLS{c.TransportCredentials.Clone()}
}

type internalAuthInfo struct{ credentials.CommonAuthInfo }

func (internalAuthInfo) AuthType() string { return "internal" }

// A request whose bytes do not decode as the method's message is the client's fault:
// INVALID_ARGUMENT, where grpc-go would answer INTERNAL (and write that status itself, before any
// handler or interceptor could change it). So the server's codec does not fail on such bytes: it
// hands over an empty message marked with malformedMark, and the checks below, on the unary
// decoder and on streams' RecvMsg, answer INVALID_ARGUMENT for a marked message. A service
// registered without malformedAsInvalid would see the empty message instead, never garbage.
var malformedMark = protowire.AppendBytes(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), []byte("callgate: malformed request"))

// lenientCodec is grpc-go's proto codec, marking what it cannot decode instead of failing, and
// sending a message made of unknown fields alone as those bytes.
type lenientCodec struct{ encoding.CodecV2 }

// Marshal sends a message whose only content is unknown fields as exactly those bytes, which is
// how protobuf encodes it, without copying them. The log's events are streamed so (their stored
// bytes as the response's unknown fields, service/encoded.go), one response shared by every
// watcher of the call: the copy was the one encoding left per watcher. The bytes are only read.
func (c lenientCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(proto.Message); ok {
		r := m.ProtoReflect()
		if u := r.GetUnknown(); len(u) > 0 && !hasFields(r) {
			return mem.BufferSlice{mem.SliceBuffer(u)}, nil
		}
	}
	return c.CodecV2.Marshal(v)
}

func hasFields(m protoreflect.Message) (has bool) {
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		has = true
		return false
	})
	return has
}

func (c lenientCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if m, ok := v.(proto.Message); ok && err != nil {
		proto.Reset(m)
		m.ProtoReflect().SetUnknown(malformedMark)
		return nil
	}
	return err
}

func checkMalformed(v any) error {
	if m, ok := v.(proto.Message); ok && bytes.Equal(m.ProtoReflect().GetUnknown(), malformedMark) {
		return status.Error(codes.InvalidArgument, "the request is not a valid protobuf message of this method")
	}
	return nil
}

// malformedAsInvalid registers services with a decoder that checks for the mark: a unary request
// is decoded by the generated handler before any interceptor runs.
type malformedAsInvalid struct{ *grpc.Server }

func (r malformedAsInvalid) RegisterService(desc *grpc.ServiceDesc, impl any) {
	d := *desc
	d.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		handler := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
			return handler(srv, ctx, func(v any) error {
				if err := dec(v); err != nil {
					return err
				}
				return checkMalformed(v)
			}, in)
		}
		d.Methods[i] = m
	}
	r.Server.RegisterService(&d, impl)
}

// malformedStreamRequests checks the messages a streaming handler reads through its stream.
func malformedStreamRequests(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, malformedStream{ss})
}

type malformedStream struct{ grpc.ServerStream }

func (s malformedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return checkMalformed(m)
}
