package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// ListenerBaseURL is the base URL that reaches a listener: a wildcard
// address (0.0.0.0, ::) becomes 127.0.0.1.
func ListenerBaseURL(ln net.Listener, useTLS bool) string {
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return scheme + "://" + ln.Addr().String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func (e *Emulator) newHTTPServer() *http.Server {
	return &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// Serve answers on ln until ctx is done, then shuts the HTTP server down
// gracefully (the emulator itself stays open: Close it). The base URL is
// taken from ln unless already set.
func (e *Emulator) Serve(ctx context.Context, ln net.Listener) error {
	e.SetBaseURL(ListenerBaseURL(ln, false))
	return e.serve(ctx, ln, e.newHTTPServer(), false)
}

// ServeTLS is Serve over TLS with cert (see SelfSignedCertificate).
func (e *Emulator) ServeTLS(ctx context.Context, ln net.Listener, cert tls.Certificate) error {
	e.SetBaseURL(ListenerBaseURL(ln, true))
	srv := e.newHTTPServer()
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return e.serve(ctx, ln, srv, true)
}

func (e *Emulator) serve(ctx context.Context, ln net.Listener, srv *http.Server, useTLS bool) error {
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serving emulator: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving emulator: %w", err)
	}
	return nil
}

// Server is an emulator listening on a socket, for tests and `callgate dev`.
type Server struct {
	*Emulator
	// URL is the base URL ("http://127.0.0.1:41234").
	URL string
	// CertificatePEM is the self-signed certificate with TLS, to trust.
	CertificatePEM []byte

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Start binds addr ("127.0.0.1:0" picks a free port), serves the emulator
// on it in the background (over TLS with a self-signed certificate when
// useTLS) and returns once the base URL is known.
func Start(cfg Config, addr string, useTLS bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = ListenerBaseURL(ln, useTLS)
	}
	e, err := New(cfg)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s := &Server{Emulator: e, URL: e.BaseURL(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if useTLS {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		cert, pemBytes, err := SelfSignedCertificate(host, "localhost", "127.0.0.1", "::1")
		if err != nil {
			cancel()
			_ = ln.Close()
			_ = e.Close()
			return nil, err
		}
		s.CertificatePEM = pemBytes
		go func() { s.done <- e.ServeTLS(ctx, ln, cert) }()
	} else {
		go func() { s.done <- e.Serve(ctx, ln) }()
	}
	return s, nil
}

// ConnectionString reaches this server.
func (s *Server) ConnectionString() string { return s.Emulator.ConnectionString(s.URL) }

// Close stops serving, then closes the emulator (timers, deliveries).
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.err = <-s.done
		if err := s.Emulator.Close(); err != nil && s.err == nil {
			s.err = err
		}
	})
	return s.err
}
