package gateway

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// localConn is the REST side's connection to the services. A unary call runs in process: the
// gRPC server's own interceptor chain (propagation, metrics, logging, authorization) and then
// the method's handler, as the gRPC server would run them for a request from the internal
// connection, without encoding the messages and crossing that connection a second time. A
// stream (WatchCall) still goes over the internal connection: serving it in process would need a
// ServerStream of our own, and a stream's cost is its events, not its start.
type localConn struct {
	methods map[string]localMethod
	chain   grpc.UnaryServerInterceptor
	streams *grpc.ClientConn
}

type localMethod struct {
	handler grpc.MethodHandler
	impl    any
}

func newLocalConn(chain grpc.UnaryServerInterceptor, streams *grpc.ClientConn) *localConn {
	return &localConn{methods: map[string]localMethod{}, chain: chain, streams: streams}
}

// RegisterService makes desc's unary methods callable in process.
func (c *localConn) RegisterService(desc *grpc.ServiceDesc, impl any) {
	for _, m := range desc.Methods {
		c.methods["/"+desc.ServiceName+"/"+m.MethodName] = localMethod{handler: m.Handler, impl: impl}
	}
}

// internalPeer is the peer of every call from the REST side: the authorization believes the
// client certificate the HTTP server passes on only from it.
var internalPeer = &peer.Peer{Addr: internalAddr{}, LocalAddr: internalAddr{}, AuthInfo: internalAuthInfo{}}

// Invoke runs method as the gRPC server would: with the caller's metadata as incoming metadata,
// the internal peer, a transport stream that keeps the headers and trailers the handler sets,
// and the error turned into a status the way grpc-go turns it.
func (c *localConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	ctx = metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), md)
	ctx = peer.NewContext(ctx, internalPeer)
	ts := &localStream{method: method}
	ctx = grpc.NewContextWithServerTransportStream(ctx, ts)
	resp, err := m.handler(m.impl, ctx, func(in any) error {
		shareFields(in.(proto.Message), args.(proto.Message))
		return nil
	}, c.chain)
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = ts.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = ts.trailer
		}
	}
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			err = status.FromContextError(err).Err()
		}
		return err
	}
	shareFields(reply.(proto.Message), resp.(proto.Message))
	return nil
}

// shareFields sets dst's fields to src's, sharing what they hold rather than copying it as
// proto.Merge would (a deep copy of every request and answer).
// Both sides are done with the message they hand over: grpc-gateway decodes the request from
// the body and drops it after the call, and reads the answer only to encode it.
func shareFields(dst, src proto.Message) {
	d := dst.ProtoReflect()
	src.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		d.Set(fd, v)
		return true
	})
}

// NewStream opens a stream over the internal connection.
func (c *localConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.streams.NewStream(ctx, desc, method, opts...)
}

// localStream keeps what a unary handler sets with grpc.SetHeader and grpc.SetTrailer.
type localStream struct {
	method          string
	header, trailer metadata.MD
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *localStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *localStream) SetTrailer(md metadata.MD) error {
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}
