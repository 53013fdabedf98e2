package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/auth"
	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// pki is a test CA and what it signs.
type pki struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	dir   string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{ca: ca, caKey: key, dir: t.TempDir()}
	p.write(t, "ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(t *testing.T, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue makes a certificate for ip or uri, signed by the CA (or by itself when selfSigned).
func (p *pki) issue(t *testing.T, serial int64, uri string, selfSigned bool) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if uri != "" {
		u, _ := url.Parse(uri)
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	parent, signer := p.ca, any(p.caKey)
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: mustParse(t, der)}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serverFiles writes a server pair and returns the files' paths.
func (p *pki) serverFiles(t *testing.T, serial int64) (certFile, keyFile string) {
	t.Helper()
	c := p.issue(t, serial, "", false)
	kder, _ := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	keyFile = p.write(t, "server.key", "EC PRIVATE KEY", kder)
	certFile = p.write(t, "server.pem", "CERTIFICATE", c.Certificate[0])
	return certFile, keyFile
}

func (p *pki) clientTLS(cert *tls.Certificate) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg
}

const agent = "spiffe://test.example/ns/ivr/sa/agent"

// With mTLS, a client certificate signed by the CA proves its SPIFFE ID, over gRPC and REST; an
// untrusted one, or none, does not get through the handshake.
func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	certFile, keyFile := p.serverFiles(t, 100)
	files, err := gateway.LoadTLS(certFile, keyFile, filepath.Join(p.dir, "ca.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{ClientCertificates: true, APIKeysFile: writeFile(t, "principal:"+agent+" calls.read")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.TLS, c.Auth = files, a }))

	dialTLS := func(cfg *tls.Config) callgatev1.CallServiceClient {
		conn, err := grpc.NewClient(s.GRPCAddr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return callgatev1.NewCallServiceClient(conn)
	}
	trusted := p.issue(t, 200, agent, false)
	calls := dialTLS(p.clientTLS(&trusted))
	if _, err := calls.GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: "x"}); status.Code(err) == codes.Unauthenticated || status.Code(err) == codes.PermissionDenied {
		t.Errorf("GetCall with the agent's certificate: %v, want it admitted", err)
	}
	if _, err := calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("CreateCall with a certificate granted calls.read only: %v, want PERMISSION_DENIED", err)
	}
	untrusted := p.issue(t, 300, agent, true)
	for name, cfg := range map[string]*tls.Config{"an untrusted certificate": p.clientTLS(&untrusted), "no certificate": p.clientTLS(nil)} {
		if _, err := dialTLS(cfg).GetCall(testContext(t), &callgatev1.GetCallRequest{CallConnectionId: "x"}); status.Code(err) != codes.Unavailable {
			t.Errorf("gRPC with %s: %v, want the connection refused (UNAVAILABLE)", name, err)
		}
	}

	rest := func(cfg *tls.Config) (int, error) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		defer client.CloseIdleConnections()
		resp, err := client.Get("https://" + s.HTTPAddr().String() + "/v1/calls/x")
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := rest(p.clientTLS(&trusted)); err != nil || code == http.StatusUnauthorized || code == http.StatusForbidden {
		t.Errorf("REST with the agent's certificate: %d %v, want it admitted", code, err)
	}
	if _, err := rest(p.clientTLS(&untrusted)); err == nil {
		t.Error("REST with an untrusted certificate got through the handshake")
	}
}

// A REST caller cannot pass itself off as a certificate's holder with the header that carries
// one from the HTTP server to the gRPC server.
func TestForgedCertificateHeaderIsIgnored(t *testing.T) {
	p := newPKI(t)
	cert := p.issue(t, 200, agent, false)
	a, err := auth.New(auth.Config{ClientCertificates: true, APIKeysFile: writeFile(t, "principal:"+agent+" calls.read")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.Auth = a }))
	der := base64.StdEncoding.EncodeToString(cert.Certificate[0])
	for _, header := range []string{"Grpc-Metadata-X-Callgate-Client-Certificate", "X-Callgate-Client-Certificate"} {
		req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.base+"/v1/calls/x", nil)
		req.Header.Set(header, der)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("REST with a forged %s header: %d, want 401", header, resp.StatusCode)
		}
	}
}

// The certificate pair is read again when its files change, as cert-manager rotates them.
func TestTLSFilesAreReloaded(t *testing.T) {
	p := newPKI(t)
	certFile, keyFile := p.serverFiles(t, 100)
	files, err := gateway.LoadTLS(certFile, keyFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := start(t, withConfig(func(c *gateway.Config) { c.TLS = files }))
	serial := func() int64 {
		conn, err := tls.Dial("tcp", s.HTTPAddr().String(), p.clientTLS(nil))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 100 {
		t.Fatalf("serial %d, want 100", got)
	}
	p.serverFiles(t, 101)
	future := time.Now().Add(time.Second)
	_ = os.Chtimes(certFile, future, future)
	waitForCondition(t, func() bool { return serial() == 101 })
}

// waitForCondition polls cond within the test's bound: a file's reload announces nothing.
func waitForCondition(t *testing.T, cond func() bool) {
	t.Helper()
	ctx := testContext(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("the condition never held")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
