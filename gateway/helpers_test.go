package gateway_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/service"
)

// ownNumber is the emulated resource's number, the one caller ID it accepts.
const ownNumber = "+18005550100"

// served is a gateway on loopback over the real parts: an emulator as ACS, an embedded event log,
// the callbacks handler and the services.
type served struct {
	*gateway.Gateway
	Emulator  *emulator.Emulator
	base      string // http://127.0.0.1:port of the REST server
	admin     string // of the probes
	callbacks string // of the callbacks
	// emulatorURL serves ACS and the control API.
	emulatorURL string
	// logs has the gateway's lines at Info and above.
	logs *observer.ObservedLogs
}

type option func(*gateway.Config, *gateway.Parts, *service.Deps)

func withReady(check func(context.Context) error) option {
	return func(_ *gateway.Config, p *gateway.Parts, _ *service.Deps) { p.Ready = append(p.Ready, check) }
}

func withDrainDelay(d time.Duration) option {
	return func(c *gateway.Config, _ *gateway.Parts, _ *service.Deps) { c.DrainDelay = d }
}

// withConfig adjusts the gateway's configuration (authentication, TLS, limits).
func withConfig(f func(*gateway.Config)) option {
	return func(c *gateway.Config, _ *gateway.Parts, _ *service.Deps) { f(c) }
}

// withPolicy sets the services' toll-fraud policy.
func withPolicy(p *service.Policy) option {
	return func(_ *gateway.Config, _ *gateway.Parts, d *service.Deps) { d.Policy = p }
}

// start serves a gateway until the test ends; stop, when the test wants it earlier, ends Serve
// and reports its error.
func start(t *testing.T, opts ...option) (s *served, stop func() error) {
	t.Helper()
	events, err := eventlog.Open(context.Background(), eventlog.Config{DataDir: t.TempDir(), Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = events.Close() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	emu, err := emulator.New(emulator.Config{AccessKey: key, PhoneNumbers: []string{ownNumber}})
	if err != nil {
		t.Fatal(err)
	}
	emuServer := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(emuServer.URL)
	t.Cleanup(func() { _ = emu.Close(); emuServer.Close() })
	client, err := acs.NewClientFromConnectionString(emu.ConnectionString(emuServer.URL), acs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := callbacks.New(callbacks.Config{Secret: "gateway-test-secret", Logger: zap.NewNop()}, events)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cb.Close)
	lns := gateway.Listeners{GRPC: listen(t), HTTP: listen(t), Callbacks: listen(t), Admin: listen(t)}
	base := "http://" + lns.HTTP.Addr().String()
	deps := service.Deps{ACS: client, Events: events, CallbackURL: cb.CallbackURL("http://" + lns.Callbacks.Addr().String()), Logger: zap.NewNop()}
	obs, logs := observer.New(zap.InfoLevel)
	cfg := gateway.Config{ShutdownGrace: 5 * time.Second, Logger: zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewTee(c, obs)
	})))}
	parts := gateway.Parts{Callbacks: cb, Ready: []func(context.Context) error{events.Ready}}
	for _, o := range opts {
		o(&cfg, &parts, &deps)
	}
	services, err := service.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	parts.Services = services
	g, err := gateway.New(cfg, lns, parts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	var result error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &served{Gateway: g, Emulator: emu, logs: logs, base: base, admin: "http://" + lns.Admin.Addr().String(), callbacks: "http://" + lns.Callbacks.Addr().String(), emulatorURL: emuServer.URL}, stop
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dial(t *testing.T, s *served) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func do(t *testing.T, method, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, bytesReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := readAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
