package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/encoding/protojson"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/gen/openapi"
	"github.com/callgate/callgate/service"
)

// components are what the gateway serves; cmd builds them for `serve` or `dev`.
type components struct {
	calls        callgatev1.CallServiceServer
	participants callgatev1.ParticipantServiceServer
	// callbacks receives ACS and Event Grid deliveries under /callbacks/; nil serves 404.
	callbacks http.Handler
	// ready reports whether dependencies (the event log) can take traffic.
	ready func(context.Context) error
	// stopStreams ends open WatchCall/WatchIncomingCalls streams so a graceful stop can finish.
	stopStreams func()
}

// gateway is the gRPC server and the HTTP server beside it (REST through grpc-gateway, callbacks,
// probes, the OpenAPI document), bound to their listeners.
type gateway struct {
	log    *zap.Logger
	grace  time.Duration
	comp   components
	grpcLn net.Listener
	httpLn net.Listener
	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	rest   *grpc.ClientConn
	// stopping turns /readyz to 503 first, so load balancers drain before connections close.
	stopping atomic.Bool
}

var servedServices = []string{
	callgatev1.CallService_ServiceDesc.ServiceName,
	callgatev1.ParticipantService_ServiceDesc.ServiceName,
}

// listeners are bound before anything else starts, so that a busy port fails fast and the public
// URL of `dev` can name the real port.
type listeners struct {
	grpc, http net.Listener
}

func listen(cfg config) (*listeners, error) {
	g, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("invalid setting %s: %w", settingName("grpc-addr"), err)
	}
	h, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = g.Close()
		return nil, fmt.Errorf("invalid setting %s: %w", settingName("http-addr"), err)
	}
	return &listeners{grpc: g, http: h}, nil
}

func (l *listeners) close() {
	_ = l.grpc.Close()
	_ = l.http.Close()
}

// newGateway builds the servers on lns; serve runs them.
func newGateway(cfg config, log *zap.Logger, lns *listeners, comp components) (g *gateway, err error) {
	g = &gateway{log: log, grace: cfg.ShutdownGrace, comp: comp, grpcLn: lns.grpc, httpLn: lns.http}

	g.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(service.UnaryInterceptor(log)),
		grpc.ChainStreamInterceptor(service.StreamInterceptor(log)),
	)
	callgatev1.RegisterCallServiceServer(g.grpc, comp.calls)
	callgatev1.RegisterParticipantServiceServer(g.grpc, comp.participants)
	g.health = health.NewServer()
	healthpb.RegisterHealthServer(g.grpc, g.health)
	reflection.Register(g.grpc)
	for _, name := range append([]string{""}, servedServices...) {
		g.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}

	// The REST side dials the gRPC server rather than calling the handlers in process: in-process
	// registration cannot serve streaming RPCs and would skip the interceptors.
	g.rest, err = grpc.NewClient(dialTarget(g.grpcLn.Addr()), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial own gRPC server: %w", err)
	}
	mux, err := newRESTMux(context.Background(), g.rest)
	if err != nil {
		return nil, err
	}
	g.http = &http.Server{
		Handler:           g.routes(mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: WatchCall streams over REST for as long as the call lasts.
		ErrorLog: zap.NewStdLog(log.Named("http")),
	}
	return g, nil
}

// dialTarget turns a listener's address into one this process can dial: a wildcard host becomes
// loopback.
func dialTarget(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort("127.0.0.1", port)
	}
	return tcp.String()
}

func newRESTMux(ctx context.Context, conn *grpc.ClientConn) (*runtime.ServeMux, error) {
	mux := runtime.NewServeMux(
		// Participant raw IDs such as 8:acs:... arrive URL-escaped in paths and must reach the RPC
		// as written.
		runtime.WithUnescapingMode(runtime.UnescapingModeAllCharacters),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{
			// Answers carry what is set, as ACS's own JSON does; a misspelt request field is an
			// error rather than silently ignored.
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
	)
	if err := callgatev1.RegisterCallServiceHandler(ctx, mux, conn); err != nil {
		return nil, err
	}
	if err := callgatev1.RegisterParticipantServiceHandler(ctx, mux, conn); err != nil {
		return nil, err
	}
	return mux, nil
}

func (g *gateway) routes(rest http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", g.readyz)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	if g.comp.callbacks != nil {
		mux.Handle("/callbacks/", g.comp.callbacks)
	}
	mux.Handle("/v1/", rest)
	return mux
}

func (g *gateway) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if g.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
		return
	}
	if g.comp.ready != nil {
		if err := g.comp.ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}

// serve runs both servers until ctx is done or one fails, then stops gracefully: new requests are
// refused, requests in flight get up to the grace period, open streams are ended.
func (g *gateway) serve(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- g.grpc.Serve(g.grpcLn) }()
	go func() { errc <- g.http.Serve(g.httpLn) }()
	g.log.Info("serving",
		zap.String("grpc_addr", g.grpcLn.Addr().String()),
		zap.String("http_addr", g.httpLn.Addr().String()))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		g.log.Error("server failed", zap.Error(serveErr))
	}
	g.shutdown()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && !errors.Is(serveErr, grpc.ErrServerStopped) {
		return serveErr
	}
	return nil
}

func (g *gateway) shutdown() {
	g.log.Info("shutting down", zap.Duration("grace", g.grace))
	g.stopping.Store(true)
	g.health.Shutdown()
	if g.comp.stopStreams != nil {
		g.comp.stopStreams()
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.grace)
	defer cancel()

	// REST requests ride on gRPC, so HTTP drains first.
	if err := g.http.Shutdown(ctx); err != nil {
		g.log.Warn("HTTP requests still running at the end of the grace period; closing them", zap.Error(err))
		_ = g.http.Close()
	}
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
	g.log.Info("stopped")
}
