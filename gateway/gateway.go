package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/callgate/callgate/auth"
	"github.com/callgate/callgate/service"
	"github.com/callgate/callgate/telemetry"
)

// Defaults of Config.
const (
	DefaultShutdownGrace = 20 * time.Second
)

// Config says how the servers behave.
type Config struct {
	// ShutdownGrace is how long a stop waits for requests in flight before closing them;
	// 0 means DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// DrainDelay is how long a stop stays not-ready while still serving, before it stops
	// accepting: the time a load balancer needs to see /readyz fail and send no more.
	DrainDelay time.Duration
	// TLS serves gRPC and REST over TLS (nil: plaintext, for loopback and meshes that encrypt).
	TLS *TLSFiles
	// CallbacksTLS serves the callbacks listener over TLS (nil: plaintext, behind a
	// TLS-terminating ingress).
	CallbacksTLS *TLSFiles
	// Auth authenticates callers of callgate.v1's RPCs; nil lets anyone call them.
	Auth *auth.Authenticator
	// RateLimit bounds the calls each principal places; zero means none.
	RateLimit RateLimit
	// DisableReflection turns off gRPC server reflection.
	DisableReflection bool
	// Telemetry gets the servers' metrics and makes their spans; nil records into nothing.
	Telemetry *telemetry.Telemetry
	Logger    *zap.Logger
}

// Parts are what the servers serve.
type Parts struct {
	// Services are the gRPC services, also served as REST.
	Services *service.Services
	// Callbacks receives ACS and Event Grid deliveries under /callbacks/; nil serves 404.
	Callbacks http.Handler
	// Ready are the readiness checks of the dependencies (the event log, the callback keys):
	// /readyz is 503 while one fails.
	Ready []func(context.Context) error
}

// Listeners are bound before anything starts, so that a busy port fails fast and a public URL
// can name the real port. Only Callbacks is meant to face the internet.
type Listeners struct {
	// GRPC serves the API over gRPC; HTTP serves it over REST, with /openapi.json.
	GRPC, HTTP net.Listener
	// Callbacks serves /callbacks/ and nothing else: what ACS and Event Grid reach.
	Callbacks net.Listener
	// Admin serves /healthz and /readyz, for probes.
	Admin net.Listener
}

func (l Listeners) all() []net.Listener { return []net.Listener{l.GRPC, l.HTTP, l.Callbacks, l.Admin} }

// Close closes every listener.
func (l Listeners) Close() {
	for _, ln := range l.all() {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// Gateway is the gRPC server and the HTTP servers beside it, bound to their listeners.
type Gateway struct {
	cfg      Config
	log      *zap.Logger
	parts    Parts
	lns      Listeners
	internal *pipeListener // the REST side's connection to the gRPC server
	grpc     *grpc.Server
	health   *health.Server
	api      *http.Server // REST and /openapi.json
	hooks    *http.Server // callbacks
	admin    *http.Server // probes
	rest     *grpc.ClientConn
	// stopping turns /readyz and gRPC health to not-serving first, so load balancers drain
	// before connections close.
	stopping atomic.Bool
}

// New builds the servers on lns; Serve runs them. On error the listeners are closed.
func New(cfg Config, lns Listeners, parts Parts) (g *Gateway, err error) {
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Telemetry == nil {
		cfg.Telemetry = telemetry.Nop()
	}
	defer func() {
		if err != nil {
			lns.Close()
		}
	}()
	if parts.Services == nil {
		return nil, errors.New("gateway: no services")
	}
	for _, ln := range lns.all() {
		if ln == nil {
			return nil, errors.New("gateway: every listener is needed: gRPC, HTTP, callbacks and admin")
		}
	}
	g = &Gateway{cfg: cfg, log: cfg.Logger, parts: parts, lns: lns, internal: newPipeListener()}
	authz := &authorizer{auth: cfg.Auth, limit: cfg.RateLimit, log: g.log.Named("auth")}
	metrics := grpcMetrics(cfg.Telemetry)
	unary := unaryChain(g.log, authz, metrics, cfg.Telemetry)
	g.grpc = newGRPCServer(g.log, cfg.TLS, unary, authz, metrics, cfg.Telemetry)
	registrar := malformedAsInvalid{g.grpc}
	parts.Services.Register(registrar)
	g.health = health.NewServer()
	healthpb.RegisterHealthServer(registrar, g.health)
	if !cfg.DisableReflection {
		reflection.Register(registrar)
	}
	for _, name := range append([]string{""}, parts.Services.Names()...) {
		g.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	metrics.InitializeMetrics(g.grpc)

	// The REST side runs unary calls in process, through the same interceptor chain (localConn),
	// and dials the gRPC server for streams: grpc-gateway's in-process registration cannot serve
	// them and would skip the interceptors. It dials it in memory: no port, no TLS, and a peer the
	// authorization can tell from outside ones.
	g.rest, err = grpc.NewClient("passthrough:///callgate-internal", append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(g.internal.dial),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxResponseBytes), grpc.MaxCallSendMsgSize(MaxRequestBytes)),
	}, clientTracing(cfg.Telemetry)...)...)
	if err != nil {
		return nil, fmt.Errorf("gateway: dial own gRPC server: %w", err)
	}
	local := newLocalConn(unary, g.rest)
	parts.Services.Register(local)
	rest, err := newREST(context.Background(), parts.Services, local, newRESTMetrics(cfg.Telemetry))
	if err != nil {
		_ = g.rest.Close()
		return nil, err
	}
	g.api = newHTTPServer(httpTracing(cfg.Telemetry, "rest", g.apiRoutes(rest)), g.log, cfg.TLS)
	g.hooks = newHTTPServer(httpTracing(cfg.Telemetry, "callback", g.callbackRoutes()), g.log, cfg.CallbacksTLS)
	g.admin = newHTTPServer(g.adminRoutes(), g.log, nil)
	return g, nil
}

// GRPCAddr, HTTPAddr, CallbacksAddr and AdminAddr are the servers' addresses.
func (g *Gateway) GRPCAddr() net.Addr      { return g.lns.GRPC.Addr() }
func (g *Gateway) HTTPAddr() net.Addr      { return g.lns.HTTP.Addr() }
func (g *Gateway) CallbacksAddr() net.Addr { return g.lns.Callbacks.Addr() }
func (g *Gateway) AdminAddr() net.Addr     { return g.lns.Admin.Addr() }

// DialTarget turns a listener's address into one this process can dial: a wildcard host becomes
// loopback.
func DialTarget(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort("127.0.0.1", port)
	}
	return tcp.String()
}

// Serve runs the servers until ctx is done or one fails, then stops gracefully (see stop).
func (g *Gateway) Serve(ctx context.Context) error {
	errc := make(chan error, 5)
	go func() { errc <- g.grpc.Serve(g.lns.GRPC) }()
	go func() { errc <- g.grpc.Serve(g.internal) }()
	go func() { errc <- serveHTTP(g.api, g.lns.HTTP) }()
	go func() { errc <- serveHTTP(g.hooks, g.lns.Callbacks) }()
	go func() { errc <- serveHTTP(g.admin, g.lns.Admin) }()
	g.log.Info("serving",
		zap.String("grpc_addr", g.lns.GRPC.Addr().String()),
		zap.String("http_addr", g.lns.HTTP.Addr().String()),
		zap.String("callbacks_addr", g.lns.Callbacks.Addr().String()),
		zap.String("admin_addr", g.lns.Admin.Addr().String()),
		zap.Bool("tls", g.cfg.TLS != nil),
		zap.Bool("auth", g.cfg.Auth != nil))

	var serveErr error
	select {
	case <-ctx.Done():
		g.drain(errc)
	case serveErr = <-errc:
		g.log.Error("server failed", zap.Error(serveErr))
	}
	g.stop()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && !errors.Is(serveErr, grpc.ErrServerStopped) {
		return serveErr
	}
	return nil
}

// serveHTTP serves s on ln, over TLS when s has a TLS config.
func serveHTTP(s *http.Server, ln net.Listener) error {
	if s.TLSConfig != nil {
		return s.ServeTLS(ln, "", "")
	}
	return s.Serve(ln)
}

// drain turns not-ready and keeps serving for the drain delay, so that load balancers stop
// sending before the listeners close.
func (g *Gateway) drain(errc <-chan error) {
	g.stopping.Store(true)
	g.health.Shutdown()
	if g.cfg.DrainDelay <= 0 {
		return
	}
	g.log.Info("draining: not ready, still serving", zap.Duration("drain_delay", g.cfg.DrainDelay))
	t := time.NewTimer(g.cfg.DrainDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case err := <-errc:
		g.log.Error("server failed while draining", zap.Error(err))
	}
}

// stop refuses new requests, ends open streams and waits with their resume points, and gives
// requests in flight up to the grace period.
func (g *Gateway) stop() {
	g.log.Info("shutting down", zap.Duration("grace", g.cfg.ShutdownGrace))
	g.stopping.Store(true)
	g.health.Shutdown()
	g.parts.Services.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownGrace)
	defer cancel()

	// REST requests ride on gRPC, so HTTP drains first; callbacks only append, so they may
	// finish beside it.
	var hw sync.WaitGroup
	for _, s := range []*http.Server{g.api, g.hooks, g.admin} {
		hw.Go(func() {
			if err := s.Shutdown(ctx); err != nil {
				g.log.Warn("HTTP requests still running at the end of the grace period; closing them", zap.Error(err))
				_ = s.Close()
			}
		})
	}
	hw.Wait()
	_ = g.rest.Close()

	var wg sync.WaitGroup
	wg.Go(g.grpc.GracefulStop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		g.log.Warn("gRPC calls still running at the end of the grace period; closing them")
		g.grpc.Stop()
		<-done
	}
	_ = g.internal.Close()
	g.log.Info("stopped")
}
