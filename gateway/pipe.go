package gateway

import (
	"context"
	"errors"
	"net"
	"sync"
)

// pipeListener is an in-memory listener: the REST side's connection to the gRPC server, which
// needs neither TLS nor a port, and which the authorization can tell from every outside peer.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// internalAddr is the address of both ends of an internal connection.
type internalAddr struct{}

func (internalAddr) Network() string { return "callgate-internal" }
func (internalAddr) String() string  { return "callgate-internal" }

func isInternal(a net.Addr) bool { _, ok := a.(internalAddr); return ok }

type pipeConn struct{ net.Conn }

func (pipeConn) LocalAddr() net.Addr  { return internalAddr{} }
func (pipeConn) RemoteAddr() net.Addr { return internalAddr{} }

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return internalAddr{} }

// dial connects to the listener's server.
func (l *pipeListener) dial(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- pipeConn{server}:
		return pipeConn{client}, nil
	case <-l.done:
		return nil, errors.New("gateway: the gRPC server has stopped")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
