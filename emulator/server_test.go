package emulator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartTLS(t *testing.T) {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	srv, err := Start(Config{AccessKey: key}, "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") || srv.Issuer() != srv.URL {
		t.Fatalf("URL %s issuer %s", srv.URL, srv.Issuer())
	}
	if cs := srv.ConnectionString(); !strings.HasPrefix(cs, "endpoint="+srv.URL+"/;accesskey=") {
		t.Errorf("connection string %s", cs)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertificatePEM) {
		t.Fatal("certificate PEM does not parse")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL + "/calling/keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("keys over TLS: %d", resp.StatusCode)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	e, err := New(Config{AccessKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	// What Serve will take as base URL: a wildcard listener is reached on
	// loopback.
	if u := ListenerBaseURL(ln, false); !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("base URL %q", u)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Serve did not return after its context ended")
	}
	if !strings.HasPrefix(e.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("base URL after Serve %q", e.BaseURL())
	}
}
