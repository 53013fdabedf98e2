package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// pki is a certificate authority with a server certificate for 127.0.0.1 and a client
// certificate, made up for a test.
type pki struct {
	roots          *x509.CertPool
	server, client tls.Certificate
}

func newPKI(t testing.TB) pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, tmpl *x509.Certificate) tls.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(serial), time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	p := pki{roots: x509.NewCertPool()}
	p.roots.AddCert(caCert)
	p.server = issue(2, &x509.Certificate{Subject: pkix.Name{CommonName: "callgate"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.client = issue(3, &x509.Certificate{Subject: pkix.Name{CommonName: "a-service"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return p
}

// seen is what a server saw of a call: the authorization header and the client certificate.
type seen struct {
	authorization string
	clientCert    string
}

// tlsServer is a gRPC server that requires a client certificate of p (mTLS), and records what
// each call carried. The gateway's authentication is not built yet (issue 10); this server is
// what checks the client's side of it.
func tlsServer(t testing.TB, p pki) (addr string, calls func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	record := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		var s seen
		if md, ok := metadata.FromIncomingContext(ctx); ok && len(md["authorization"]) > 0 {
			s.authorization = md["authorization"][0]
		}
		if pr, ok := peer.FromContext(ctx); ok {
			if ti, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 {
				s.clientCert = ti.State.VerifiedChains[0][0].Subject.CommonName
			}
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		return h(ctx, req)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server}, ClientCAs: p.roots, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})), grpc.UnaryInterceptor(record))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func check(ctx context.Context, c *client.Client) error {
	_, err := healthpb.NewHealthClient(c.Conn()).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

// Over mTLS, a bearer token from a token source and an API key both travel as
// `authorization: Bearer ...`.
func TestCredentialsOverMutualTLS(t *testing.T) {
	p := newPKI(t)
	addr, calls := tlsServer(t, p)
	ctx := testContext(t)
	mtls := client.WithTLS(&tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12})
	for _, tc := range []struct {
		name string
		cred client.Option
		want string
	}{
		{"token source", client.WithBearerToken(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a-token"})), "Bearer a-token"},
		{"API key", client.WithAPIKey(" key-0123456789\n"), "Bearer key-0123456789"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(ctx, addr, mtls, tc.cred)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := check(ctx, c); err != nil {
				t.Fatal(err)
			}
			got := calls()
			if last := got[len(got)-1]; last.authorization != tc.want || last.clientCert != "a-service" {
				t.Fatalf("the server saw %+v, want authorization %q from a-service", last, tc.want)
			}
		})
	}
}

// TLS is the default and verifies the server; mTLS without a client certificate is refused.
func TestTLSIsVerified(t *testing.T) {
	p := newPKI(t)
	addr, calls := tlsServer(t, p)
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		opts []client.Option
		want string
	}{
		{"default: the system's roots do not know the server", nil, "certificate"},
		{"no client certificate", []client.Option{client.WithTLS(&tls.Config{RootCAs: p.roots, MinVersion: tls.VersionTLS12})}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(ctx, addr, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = check(ctx, c)
			if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check: %v, want UNAVAILABLE naming %q", err, tc.want)
			}
		})
	}
	if n := len(calls()); n != 0 {
		t.Fatalf("the server served %d calls", n)
	}
}

// A token source that fails makes the call UNAUTHENTICATED, which is not retried.
func TestTokenSourceFailureIsUnauthenticated(t *testing.T) {
	p := newPKI(t)
	addr, calls := tlsServer(t, p)
	var asked atomic.Int32
	failing := tokenFunc(func() (*oauth2.Token, error) {
		asked.Add(1)
		return nil, errors.New("the identity provider is down")
	})
	c, err := client.New(testContext(t), addr, client.WithTLS(&tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12}),
		client.WithBearerToken(failing))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.HangUp(testContext(t), &callgatev1.HangUpCallRequest{CallConnectionId: "a-call"})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("HangUp: %v, want UNAUTHENTICATED", err)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("the token source was asked %d times, want 1 (no retry)", n)
	}
	if n := len(calls()); n != 0 {
		t.Fatalf("the server served %d calls", n)
	}
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

func TestNewRefusesConflictingOptions(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string][]client.Option{
		"insecure and TLS":     {client.WithInsecure(), client.WithTLS(nil)},
		"two credentials":      {client.WithAPIKey("k"), client.WithBearerToken(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}))},
		"empty API key":        {client.WithAPIKey(" \n")},
		"API key with a space": {client.WithAPIKey("a key")},
		"nil token source":     {client.WithBearerToken(nil)},
	} {
		if c, err := client.New(ctx, "127.0.0.1:9090", opts...); err == nil {
			_ = c.Close()
			t.Errorf("%s: New accepted it", name)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := client.New(cancelled, "127.0.0.1:9090", client.WithInsecure()); !errors.Is(err, context.Canceled) {
		t.Errorf("New with a cancelled context: %v", err)
	}
}

// The default service config balances calls over every replica the target resolves to.
func TestCallsAreBalancedOverReplicas(t *testing.T) {
	cl := newCluster(t, withReplicas(2))
	r, target := cl.Resolver(0, 1)
	c := dial(t, target, dialOptions(grpc.WithResolvers(r)))
	ctx := testContext(t)
	const method = "/callgate.v1.CallService/GetCall"
	for range 20 {
		_, err := c.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "no-such-call"})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("GetCall: %v", err)
		}
	}
	a, b := cl.Replica(0).Served(method), cl.Replica(1).Served(method)
	if a+b != 20 || a == 0 || b == 0 {
		t.Fatalf("replica 0 served %d, replica 1 %d: want both a share of 20", a, b)
	}
}
