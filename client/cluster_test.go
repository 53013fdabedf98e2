package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/client"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/service"
)

// cluster is callgate as production runs it, on loopback sockets: ACS (the emulator), one event
// log shared by every replica (a NATS JetStream server), replicas of the gateway built as
// cmd/callgate builds them (callbacks handler, service.New, gateway.New), and in front of them
// the public URL ACS calls back, which hands each delivery to a live replica as a load balancer
// would.
type cluster struct {
	Emulator *emulator.Emulator
	// EmulatorURL serves ACS's REST API and the emulator's control API (/emulator/v1).
	EmulatorURL string
	// PublicURL receives callbacks and Event Grid deliveries for every replica.
	PublicURL string

	cfg      clusterConfig
	secret   string
	acs      *acs.Client
	nats     *server.Server
	emu      *httptest.Server
	front    *httptest.Server
	mu       sync.Mutex
	replicas []*replica
	next     int // round robin of the front
}

type clusterConfig struct {
	replicas  int
	heartbeat time.Duration
	// watcherBuffer is the event log's per-watcher queue (eventlog.Config.WatcherBuffer).
	watcherBuffer int
	// upstream wraps the emulator: what ACS answers, as the gateway sees it.
	upstream func(http.Handler) http.Handler
	// synthetic: callbacks are authenticated by the URL's secret only (no ACS JWT), so that a
	// test can post made-up events; the gateway then never asks ACS about a watched call.
	synthetic bool
	acsRetry  acs.RetryPolicy
	// maxMsgs bounds each event stream (eventlog.Config.MaxMsgs): older events are dropped.
	maxMsgs int64
}

type clusterOption func(*clusterConfig)

func withReplicas(n int) clusterOption { return func(c *clusterConfig) { c.replicas = n } }
func withWatcherBuffer(n int) clusterOption {
	return func(c *clusterConfig) { c.watcherBuffer = n }
}
func withUpstream(w func(http.Handler) http.Handler) clusterOption {
	return func(c *clusterConfig) { c.upstream = w }
}
func withSyntheticEvents() clusterOption  { return func(c *clusterConfig) { c.synthetic = true } }
func withMaxEvents(n int64) clusterOption { return func(c *clusterConfig) { c.maxMsgs = n } }

// callerID is the number the emulated resource owns: the only caller ID it accepts.
const callerID = "+18005550100"

// startCluster starts a cluster; Close stops it.
func startCluster(opts ...clusterOption) (_ *cluster, err error) {
	cfg := clusterConfig{replicas: 1, heartbeat: 50 * time.Millisecond,
		acsRetry: acs.RetryPolicy{MaxAttempts: 1}}
	for _, o := range opts {
		o(&cfg)
	}
	c := &cluster{cfg: cfg, secret: "cluster-callback-secret-" + randomHex(8)}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	store, err := os.MkdirTemp("", "callgate-client-test-")
	if err != nil {
		return nil, err
	}
	c.nats, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: store, NoSigs: true})
	if err != nil {
		return nil, err
	}
	go c.nats.Start()
	if !c.nats.ReadyForConnections(10 * time.Second) {
		return nil, errors.New("NATS server not ready")
	}

	c.front = httptest.NewServer(http.HandlerFunc(c.serveCallback))
	c.PublicURL = c.front.URL
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c.Emulator, err = emulator.New(emulator.Config{
		AccessKey:           key,
		PhoneNumbers:        []string{callerID},
		IncomingCallWebhook: callbacks.URL(c.PublicURL, callbacks.EventGridPath, c.secret),
	})
	if err != nil {
		return nil, err
	}
	upstream := c.Emulator.Handler()
	if cfg.upstream != nil {
		upstream = cfg.upstream(upstream)
	}
	c.emu = httptest.NewServer(upstream)
	c.Emulator.SetBaseURL(c.emu.URL)
	c.EmulatorURL = c.emu.URL
	c.acs, err = acs.NewClientFromConnectionString(c.Emulator.ConnectionString(c.emu.URL), acs.Config{Retry: cfg.acsRetry})
	if err != nil {
		return nil, err
	}
	for range cfg.replicas {
		r := &replica{c: c}
		if err := r.start("127.0.0.1:0"); err != nil {
			return nil, err
		}
		c.replicas = append(c.replicas, r)
	}
	return c, nil
}

// newCluster starts a cluster for the test.
func newCluster(t testing.TB, opts ...clusterOption) *cluster {
	t.Helper()
	c, err := startCluster(opts...)
	if err != nil {
		t.Fatalf("cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Close stops the emulator (no more deliveries), every replica, and the event log.
func (c *cluster) Close() {
	if c.Emulator != nil {
		_ = c.Emulator.Close()
	}
	if c.emu != nil {
		c.emu.Close()
	}
	c.mu.Lock()
	replicas := c.replicas
	c.mu.Unlock()
	for _, r := range replicas {
		r.Stop()
	}
	if c.front != nil {
		c.front.Close()
	}
	if c.nats != nil {
		dir := c.nats.StoreDir()
		c.nats.Shutdown()
		c.nats.WaitForShutdown()
		_ = os.RemoveAll(dir)
	}
}

// Replica is the i-th replica.
func (c *cluster) Replica(i int) *replica {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replicas[i]
}

// Target is the gRPC target of the first replica.
func (c *cluster) Target() string { return c.Replica(0).Addr }

// Resolver puts every replica behind one target, as DNS with one record per replica does: a
// manual resolver (its addresses can be changed with UpdateState) and the target naming it.
func (c *cluster) Resolver(replicas ...int) (*manual.Resolver, string) {
	r := manual.NewBuilderWithScheme("callgate-test-" + randomHex(4))
	var addrs []resolver.Address
	for _, i := range replicas {
		addrs = append(addrs, resolver.Address{Addr: c.Replica(i).Addr})
	}
	r.InitialState(resolver.State{Addresses: addrs})
	return r, r.Scheme() + ":///callgate"
}

// serveCallback is the public URL: each delivery goes to the next live replica's callbacks
// handler; with none live, 503, which ACS (and the emulator) deliver again later.
func (c *cluster) serveCallback(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	var live []*replica
	for _, rep := range c.replicas {
		if rep.callbacks != nil {
			live = append(live, rep)
		}
	}
	var h http.Handler
	if len(live) > 0 {
		h = live[c.next%len(live)].callbacks
		c.next++
	}
	c.mu.Unlock()
	if h == nil {
		http.Error(w, "no replica", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// replica is one gateway: its own connection to the event log, callbacks handler and servers.
type replica struct {
	c *cluster
	// Addr is its gRPC address, the same after Restart.
	Addr string

	callbacks http.Handler // nil while stopped (guarded by c.mu)
	stop      func()
	// logs are the gateway's log lines, one "rpc" line per call it served.
	logs *observer.ObservedLogs
}

// Served is how many calls of the gRPC method (its full name) the replica served since it
// last started.
func (r *replica) Served(method string) int {
	n := 0
	for _, e := range r.logs.FilterMessage("rpc").All() {
		if e.ContextMap()["method"] == method {
			n++
		}
	}
	return n
}

func (r *replica) start(addr string) (err error) {
	cfg := r.c.cfg
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log, err := eventlog.Open(ctx, eventlog.Config{NATSURL: r.c.nats.ClientURL(), WatcherBuffer: cfg.watcherBuffer, MaxMsgs: cfg.maxMsgs, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	cbCfg := callbacks.Config{Secret: r.c.secret, Logger: zap.NewNop()}
	silence := time.Duration(0)
	if cfg.synthetic {
		silence = -1
	} else {
		cbCfg.JWT = &callbacks.JWTConfig{JWKSURL: r.c.Emulator.JWKSURL(), Issuer: r.c.Emulator.Issuer(), Audience: r.c.Emulator.Audience()}
	}
	cb, err := callbacks.New(cbCfg, log)
	if err != nil {
		_ = log.Close()
		return err
	}
	services, err := service.New(service.Deps{ACS: r.c.acs, Events: log, CallbackURL: cb.CallbackURL(r.c.PublicURL),
		Heartbeat: cfg.heartbeat, SilenceCheck: silence, Logger: zap.NewNop()})
	if err != nil {
		cb.Close()
		_ = log.Close()
		return err
	}
	grpcLn, err := net.Listen("tcp", addr)
	if err != nil {
		cb.Close()
		_ = log.Close()
		return err
	}
	lns := gateway.Listeners{GRPC: grpcLn}
	for _, ln := range []*net.Listener{&lns.HTTP, &lns.Callbacks, &lns.Admin} {
		if *ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			lns.Close()
			cb.Close()
			_ = log.Close()
			return err
		}
	}
	core, logs := observer.New(zap.InfoLevel)
	r.logs = logs
	g, err := gateway.New(gateway.Config{ShutdownGrace: 5 * time.Second, Logger: zap.New(core)},
		lns,
		gateway.Parts{Services: services, Callbacks: cb, Ready: []func(context.Context) error{log.Ready, cb.Ready}})
	if err != nil {
		cb.Close()
		_ = log.Close()
		return err
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(sctx) }()
	r.Addr = grpcLn.Addr().String()
	r.c.mu.Lock()
	r.callbacks = cb
	r.c.mu.Unlock()
	r.stop = func() {
		r.c.mu.Lock()
		r.callbacks = nil
		r.c.mu.Unlock()
		stop()
		<-served
		cb.Close()
		_ = log.Close()
	}
	return nil
}

// Stop shuts the replica down as SIGTERM does: streams end with their resume point, then the
// servers stop. Its address refuses connections until Restart.
func (r *replica) Stop() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// Restart stops the replica and starts a new one on the same gRPC address.
func (r *replica) Restart() error {
	r.Stop()
	return r.start(r.Addr)
}

// control calls the emulator's control API; out (may be nil) receives the JSON answer.
func (c *cluster) control(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.EmulatorURL+"/emulator/v1"+path, rd)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Calls are the emulator's call connections: every call ACS placed, answered or connected.
func (c *cluster) Calls(ctx context.Context) ([]emulator.CallView, error) {
	var calls []emulator.CallView
	err := c.control(ctx, http.MethodGet, "/calls", nil, &calls)
	return calls, err
}

// Ring raises an incoming call from a phone to the resource's number, which Event Grid delivers
// to the public URL.
func (c *cluster) Ring(ctx context.Context, from string) (emulator.IncomingCallResult, error) {
	var res emulator.IncomingCallResult
	err := c.control(ctx, http.MethodPost, "/incomingCalls", emulator.IncomingCallRequest{From: "4:" + from, To: "4:" + callerID}, &res)
	if err == nil && !res.Delivered {
		err = fmt.Errorf("incoming call not delivered: %s", res.DeliveryError)
	}
	return res, err
}

// User makes up an ACS user of the emulated resource.
func (c *cluster) User() string { return "8:acs:" + c.Emulator.ResourceID() + "_" + randomHex(6) }

// post delivers made-up Call Automation events to the public URL as ACS would (synthetic
// clusters only: they carry no ACS token), again after a 503 (a replica stopping under it), as
// ACS does.
func (c *cluster) post(ctx context.Context, events ...map[string]any) error {
	body, err := json.Marshal(events)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbacks.URL(c.PublicURL, callbacks.CallsPath, c.secret), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode != http.StatusServiceUnavailable || attempt == 5:
			return fmt.Errorf("callback POST: %d", resp.StatusCode)
		}
		select {
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cloudEvent is one made-up Call Automation event as ACS posts it.
func cloudEvent(id, callID, typ string, data map[string]any) map[string]any {
	d := map[string]any{"callConnectionId": callID, "serverCallId": "c2VydmVyLWNhbGw", "correlationId": "corr-" + callID}
	for k, v := range data {
		d[k] = v
	}
	return map[string]any{
		"id": id, "source": "calling/callConnections/" + callID, "subject": "calling/callConnections/" + callID,
		"type": "Microsoft.Communication." + typ, "specversion": "1.0", "datacontenttype": "application/json",
		"time": time.Now().UTC().Format(time.RFC3339Nano), "data": d,
	}
}

// dial is a client of target for a test, closed at its end.
func dial(t testing.TB, target string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), target, append([]client.Option{client.WithInsecure()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dialOptions passes gRPC dial options, for short.
func dialOptions(opts ...grpc.DialOption) client.Option { return client.WithDialOptions(opts...) }

// testContext bounds every wait of a test.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// phoneNumber makes up a North American number.
func phoneNumber() string { return fmt.Sprintf("+1425%07d", mrand.IntN(10_000_000)) }
