package service_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
	"github.com/callgate/callgate/telemetry"
)

// stack is the whole gateway on loopback sockets: the emulator (ACS), the callbacks handler
// writing to an embedded event log, and the servers gateway.New builds (gRPC with every service
// and the interceptors, REST running the same chain, callbacks and probes), as cmd/callgate wires them, with
// a gRPC client.
type stack struct {
	Calls        callgatev1.CallServiceClient
	Participants callgatev1.ParticipantServiceClient
	Media        callgatev1.MediaServiceClient
	Recordings   callgatev1.RecordingServiceClient
	Health       healthpb.HealthClient
	// CallHandlers are the CallService's handlers themselves, called with no server around them.
	CallHandlers callgatev1.CallServiceServer
	// RESTURL is the REST server's base URL (http://127.0.0.1:port); AdminURL the probes'.
	RESTURL, AdminURL string
	// GRPCAddr is the gRPC server's address.
	GRPCAddr string

	Emulator *emulator.Emulator
	// EmulatorURL is where ACS REST and the control API are served; ControlURL is the control API.
	EmulatorURL, ControlURL string
	// Upstream sees every Call Automation REST request that reaches the emulator.
	Upstream *upstreamRecorder
	ACS      *acs.Client

	Events    *eventlog.Log
	Callbacks *callbacks.Handler
	// CallbacksURL is the callbacks server's base URL (the gateway's public URL in production).
	CallbacksURL string
	// Gateway is the servers, built as cmd/callgate builds them.
	Gateway *gateway.Gateway
	// Telemetry has every component's metrics and spans.
	Telemetry *telemetry.Telemetry
	// Deps are what the servers were built with.
	Deps service.Deps
	// Logs holds every log line of the gateway (interceptor, handlers, acs client).
	Logs *logSink
	// StopStreams ends open streams and waits, as a gateway shutting down does.
	StopStreams func()
	// secrets are what must never appear in a log line or an error: the access key and the
	// callback URL's secret.
	secrets []string
}

type stackConfig struct {
	emulator   emulator.Config
	retry      acs.RetryPolicy
	wrap       func(http.Handler) http.Handler // in front of the emulator
	maskPhones bool
	// logger replaces the log sink (benchmarks log as production does, to nowhere).
	logger *zap.Logger
	deps   func(*service.Deps)
	// callbacks wraps the callbacks handler (to lose deliveries on purpose).
	callbacks func(http.Handler) http.Handler
	// telemetry gets every component's metrics and spans; nil: telemetry.Nop().
	telemetry *telemetry.Telemetry
}

type stackOption func(*stackConfig)

// withEmulator adjusts the emulator's configuration (faults, delays).
func withEmulator(f func(*emulator.Config)) stackOption {
	return func(c *stackConfig) { f(&c.emulator) }
}

// withRetry sets the acs client's retry policy.
func withRetry(p acs.RetryPolicy) stackOption { return func(c *stackConfig) { c.retry = p } }

// withUpstreamWrapper puts h in front of the emulator, to answer what the emulator cannot.
func withUpstreamWrapper(w func(http.Handler) http.Handler) stackOption {
	return func(c *stackConfig) { c.wrap = w }
}

// withDeps adjusts the servers' dependencies before they are built.
func withDeps(f func(*service.Deps)) stackOption { return func(c *stackConfig) { c.deps = f } }

// withTelemetry records the stack's metrics and spans on t.
func withTelemetry(t *telemetry.Telemetry) stackOption {
	return func(c *stackConfig) { c.telemetry = t }
}

// withCallbacksWrapper puts w in front of the callbacks handler.
func withCallbacksWrapper(w func(http.Handler) http.Handler) stackOption {
	return func(c *stackConfig) { c.callbacks = w }
}

// withPhoneMasking masks phone numbers in every log line, as --mask-phone-numbers does.
func withPhoneMasking() stackOption { return func(c *stackConfig) { c.maskPhones = true } }

// withProductionLogging logs as `callgate serve` does (JSON, Info) to io.Discard instead of
// keeping the lines: what a benchmark should pay for.
func withProductionLogging() stackOption {
	return func(c *stackConfig) {
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		c.logger = zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	}
}

func newStack(t testing.TB, opts ...stackOption) *stack {
	t.Helper()
	cfg := stackConfig{
		emulator: emulator.Config{AccessKey: randomBytes(32), AnswerDelay: 0, PhoneNumbers: []string{callerID}},
		retry:    acs.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	s := &stack{Upstream: newUpstreamRecorder(), Logs: newLogSink()}
	log := zap.New(s.Logs.core())
	if cfg.logger != nil {
		log = cfg.logger
	}
	if cfg.maskPhones {
		// As cmd/callgate wires it: every line of the process, whoever logs it.
		log = log.WithOptions(zap.WrapCore(gateway.PhoneMaskingCore))
	}

	tel := cfg.telemetry
	if tel == nil {
		tel = telemetry.Nop()
	}
	s.Telemetry = tel
	events, err := eventlog.Open(ctx, eventlog.Config{DataDir: t.TempDir(), Logger: zap.NewNop(), Metrics: tel.Registry, TracerProvider: tel.Tracer})
	if err != nil {
		t.Fatalf("open event log: %v", err)
	}
	t.Cleanup(func() { _ = events.Close() })
	s.Events = events

	emu, err := emulator.New(cfg.emulator)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	upstream := http.Handler(s.Upstream.wrap(emu.Handler()))
	if cfg.wrap != nil {
		upstream = cfg.wrap(upstream)
	}
	emuServer := httptest.NewServer(upstream)
	emu.SetBaseURL(emuServer.URL)
	s.Emulator, s.EmulatorURL, s.ControlURL = emu, emuServer.URL, emuServer.URL+"/emulator/v1"

	// The gateway's listeners are bound first: the callback URL names the HTTP one.
	lns := loopbackListeners(t)
	s.GRPCAddr = lns.GRPC.Addr().String()
	s.RESTURL = "http://" + lns.HTTP.Addr().String()
	s.CallbacksURL = "http://" + lns.Callbacks.Addr().String()
	s.AdminURL = "http://" + lns.Admin.Addr().String()

	callbackSecret := "callback-secret-" + hex.EncodeToString(randomBytes(8))
	s.secrets = []string{base64.StdEncoding.EncodeToString(cfg.emulator.AccessKey), callbackSecret}
	cb, err := callbacks.New(callbacks.Config{
		Metrics: tel.Registry,
		Secret:  callbackSecret,
		JWT:     &callbacks.JWTConfig{JWKSURL: emu.JWKSURL(), Issuer: emu.Issuer(), Audience: emu.Audience()},
		Logger:  zap.NewNop(),
	}, events)
	if err != nil {
		t.Fatalf("callbacks: %v", err)
	}
	s.Callbacks = cb
	// Event Grid's deliveries (recording files) go to the gateway's webhook.
	if err := emu.SetEventGridWebhook(cb.EventGridURL(s.CallbacksURL)); err != nil {
		t.Fatal(err)
	}
	// The emulator stops delivering before the gateway goes (cleanups run last first).
	t.Cleanup(func() { _ = emu.Close(); emuServer.Close() })

	client, err := acs.NewClientFromConnectionString(emu.ConnectionString(emuServer.URL), acs.Config{Logger: log.Named("acs"), Retry: cfg.retry,
		Observer: tel.ACSObserver(), TracerProvider: tel.Tracer, Propagator: tel.Propagator})
	if err != nil {
		t.Fatalf("acs client: %v", err)
	}
	s.ACS = client

	s.Deps = service.Deps{
		ACS:         client,
		Events:      events,
		CallbackURL: cb.CallbackURL(s.CallbacksURL),
		Metrics:     tel.Registry,
		Logger:      log,
	}
	if cfg.deps != nil {
		cfg.deps(&s.Deps)
	}
	services, err := service.New(s.Deps)
	if err != nil {
		t.Fatalf("services: %v", err)
	}
	s.StopStreams = services.Stop
	handlers := handlerRegistrar{}
	services.Register(handlers)
	s.CallHandlers = handlers[callgatev1.CallService_ServiceDesc.ServiceName].(callgatev1.CallServiceServer)
	callbacksHandler := http.Handler(cb)
	if cfg.callbacks != nil {
		callbacksHandler = cfg.callbacks(cb)
	}
	// As cmd/callgate builds them: the same servers, interceptors and REST options.
	g, err := gateway.New(gateway.Config{ShutdownGrace: 5 * time.Second, Telemetry: tel, Logger: log}, lns, gateway.Parts{
		Services:  services,
		Callbacks: callbacksHandler,
		Ready:     []func(context.Context) error{events.Ready, cb.Ready},
	})
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	s.Gateway = g
	gctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(gctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("gateway: %v", err)
		}
		cb.Close()
	})

	conn := dial(t, s.GRPCAddr)
	s.Calls = callgatev1.NewCallServiceClient(conn)
	s.Participants = callgatev1.NewParticipantServiceClient(conn)
	s.Media = callgatev1.NewMediaServiceClient(conn)
	s.Recordings = callgatev1.NewRecordingServiceClient(conn)
	s.Health = healthpb.NewHealthClient(conn)
	return s
}

// loopbackListeners are the gateway's four listeners on loopback ports.
func loopbackListeners(t testing.TB) gateway.Listeners {
	return gateway.Listeners{GRPC: listenLoopback(t), HTTP: listenLoopback(t), Callbacks: listenLoopback(t), Admin: listenLoopback(t)}
}

func listenLoopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// ctx is a test's bound on any one wait.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// acsUser makes up an ACS user of the emulated resource.
func (s *stack) acsUser() string {
	return "8:acs:" + s.Emulator.ResourceID() + "_" + hex.EncodeToString(randomBytes(8))
}

// callerID is the number the emulated resource owns: the only caller ID ACS accepts from it.
const callerID = "+18005550100"

// phoneNumber makes up a North American number.
func phoneNumber() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(10_000_000))
	return fmt.Sprintf("+1425%07d", n.Int64())
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func userID(raw string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_CommunicationUser{
		CommunicationUser: &callgatev1.CommunicationUser{Id: raw}}}
}

func phoneID(e164 string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_PhoneNumber{
		PhoneNumber: &callgatev1.PhoneNumber{Value: e164}}}
}

func rawOnly(raw string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{RawId: raw}
}

// connectedCall places a call from the gateway to a new ACS user and waits for CallConnected.
func (s *stack) connectedCall(t testing.TB) (call *callgatev1.Call, callee string) {
	t.Helper()
	callee = s.acsUser()
	res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(callee)}})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	s.waitEvent(t, res.GetCall().GetCallConnectionId(), "Microsoft.Communication.CallConnected", "")
	return res.GetCall(), callee
}

// waitEvent reads the call's events from the log until one of the type (and operation context,
// when given) arrives: the callback went emulator -> callbacks handler -> event log.
func (s *stack) waitEvent(t testing.TB, callID, eventType, operationContext string) *callgatev1.CallEvent {
	t.Helper()
	ctx := testContext(t)
	w, err := s.Events.WatchCall(ctx, callID, 0)
	if err != nil {
		t.Fatalf("watch call %s: %v", callID, err)
	}
	defer func() { _ = w.Close() }()
	for {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s on call %s: %v", eventType, callID, err)
		}
		ev := &callgatev1.CallEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			t.Fatalf("event %d: %v", e.Seq, err)
		}
		if ev.GetType() == eventType && (operationContext == "" || ev.GetOperationContext() == operationContext) {
			return ev
		}
	}
}

// incomingCall raises a call from `from` to `to` through the emulator's control API, delivered
// by Event Grid to the callbacks handler, and returns it as the event log stored it, with the
// emulator's ID for it (control API /incomingCalls/{id}).
func (s *stack) incomingCall(t testing.TB, from, to string) (*callgatev1.IncomingCall, string) {
	t.Helper()
	ctx := testContext(t)
	w, err := s.Events.WatchIncoming(ctx, eventlog.IncomingOptions{Called: to, NewOnly: true})
	if err != nil {
		t.Fatalf("watch incoming: %v", err)
	}
	defer func() { _ = w.Close() }()
	var raised emulator.IncomingCallResult
	s.control(t, http.MethodPost, "/incomingCalls", emulator.IncomingCallRequest{
		From: from, To: to, CallerDisplayName: "Test caller",
		Webhook: s.Callbacks.EventGridURL(s.CallbacksURL),
	}, http.StatusCreated, &raised)
	if !raised.Delivered {
		t.Fatalf("the emulator did not deliver the IncomingCall: %s", raised.DeliveryError)
	}
	e, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for the incoming call: %v", err)
	}
	in := &callgatev1.IncomingCall{}
	if err := proto.Unmarshal(e.Payload, in); err != nil {
		t.Fatal(err)
	}
	if in.GetIncomingCallContext() != raised.IncomingCallContext {
		t.Fatalf("the logged incoming call context differs from the one the emulator raised")
	}
	return in, raised.ID
}

// incomingState is the emulator's state of an incoming call: ringing, answered, rejected, ...
func (s *stack) incomingState(t testing.TB, id string) string {
	t.Helper()
	var view struct {
		State string `json:"state"`
	}
	s.control(t, http.MethodGet, "/incomingCalls/"+id, nil, http.StatusOK, &view)
	return view.State
}

// control calls the emulator's control API and decodes its answer into out (may be nil).
func (s *stack) control(t testing.TB, method, path string, body any, wantStatus int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, s.ControlURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// emulatorCalls lists the emulator's call connections (control API).
func (s *stack) emulatorCalls(t testing.TB) []emulator.CallView {
	t.Helper()
	var calls []emulator.CallView
	s.control(t, http.MethodGet, "/calls", nil, http.StatusOK, &calls)
	return calls
}

// script sets how a simulated endpoint behaves (control API).
func (s *stack) script(t testing.TB, rawID string, b map[string]any) {
	t.Helper()
	s.control(t, http.MethodPut, "/endpoints/"+rawID, b, http.StatusOK, nil)
}

// rest sends a JSON request to the REST gateway and returns the status and the decoded body.
func (s *stack) rest(t testing.TB, method, path, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, s.RESTURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: status %d, body is not a JSON object: %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, out
}

// upstreamRecorder sits in front of the emulator and sees every Call Automation REST request
// (not the signing keys or the control API).
type upstreamRecorder struct {
	mu           sync.Mutex
	requests     []string
	traceparents []string // the W3C traceparent of each request
	// arrived receives the path of each request as it arrives; aborted, of each request whose
	// client went away before the answer. Large enough for any one test; when full, notices are
	// dropped, never is the server blocked.
	arrived, aborted chan string
}

func newUpstreamRecorder() *upstreamRecorder {
	return &upstreamRecorder{arrived: make(chan string, 256), aborted: make(chan string, 64)}
}

func (u *upstreamRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.HasPrefix(r.URL.Path, "/calling/callConnections") || strings.HasPrefix(r.URL.Path, "/calling/recordings")
		if rest {
			u.mu.Lock()
			u.requests = append(u.requests, r.Method+" "+r.URL.EscapedPath())
			u.traceparents = append(u.traceparents, r.Header.Get("Traceparent"))
			u.mu.Unlock()
			select {
			case u.arrived <- r.URL.EscapedPath():
			default:
			}
		}
		next.ServeHTTP(w, r)
		if rest && errors.Is(r.Context().Err(), context.Canceled) {
			select {
			case u.aborted <- r.URL.EscapedPath():
			default:
			}
		}
	})
}

// count is how many REST requests reached the emulator so far.
func (u *upstreamRecorder) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.requests)
}

// since lists the requests after the first n.
func (u *upstreamRecorder) since(n int) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.requests[n:]...)
}

// handlerRegistrar keeps the services registered on it, by name.
type handlerRegistrar map[string]any

func (r handlerRegistrar) RegisterService(d *grpc.ServiceDesc, impl any) { r[d.ServiceName] = impl }

// logSink keeps every log line and wakes waiters when one is written.
type logSink struct {
	logs *observer.ObservedLogs
	obs  zapcore.Core

	mu      sync.Mutex
	changed chan struct{}
}

func newLogSink() *logSink {
	obs, logs := observer.New(zapcore.DebugLevel)
	return &logSink{logs: logs, obs: obs, changed: make(chan struct{})}
}

func (l *logSink) core() zapcore.Core {
	return notifyingCore{Core: l.obs, sink: l}
}

func (l *logSink) notify() {
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

func (l *logSink) wait() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// rpcLine waits for the interceptor's line about method that satisfies match.
func (l *logSink) rpcLine(t testing.TB, method string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	ctx := testContext(t)
	for {
		changed := l.wait()
		for _, e := range l.logs.FilterMessage("rpc").All() {
			fields := e.ContextMap()
			if fields["method"] == method && (match == nil || match(fields)) {
				return fields
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("no rpc log line for %s", method)
		}
	}
}

type notifyingCore struct {
	zapcore.Core
	sink *logSink
}

func (c notifyingCore) With(fields []zapcore.Field) zapcore.Core {
	return notifyingCore{Core: c.Core.With(fields), sink: c.sink}
}

func (c notifyingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c notifyingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	err := c.Core.Write(e, fields)
	c.sink.notify()
	return err
}

// assertNoSecrets fails if a secret appears in any log line so far or in text.
func (s *stack) assertNoSecrets(t testing.TB, texts ...string) {
	t.Helper()
	for _, e := range s.Logs.logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		texts = append(texts, e.Message+" "+string(line))
	}
	for _, text := range texts {
		for _, secret := range s.secrets {
			if strings.Contains(text, secret) {
				t.Errorf("a secret leaked into %q", text)
			}
		}
		if strings.Contains(text, "Signature=") || strings.Contains(strings.ToLower(text), "accesskey=") {
			t.Errorf("credentials leaked into %q", text)
		}
	}
}
