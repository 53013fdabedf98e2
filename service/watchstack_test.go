package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
)

// replica is one gateway on loopback, built by gateway.New: a callbacks handler (secret only, so
// tests can post any event) and the services over real gRPC and REST, on an event log that several
// replicas may share. Its calls are made up by the tests, so it never asks ACS whether a watched
// call exists.
type replica struct {
	Events       *eventlog.Log
	Services     *service.Services
	Calls        callgatev1.CallServiceClient
	CallbacksURL string // POST CloudEvents here
	EventGridURL string
	RESTURL      string
	addr         string
	stop         func()
}

const replicaSecret = "replica-callback-secret"

func newReplica(t testing.TB, events *eventlog.Log, heartbeat time.Duration) *replica {
	t.Helper()
	cb, err := callbacks.New(callbacks.Config{Secret: replicaSecret, Logger: zap.NewNop()}, events)
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Config{AccessKey: randomBytes(32)})
	if err != nil {
		t.Fatal(err)
	}
	emuServer := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(emuServer.URL)
	client, err := acs.NewClientFromConnectionString(emu.ConnectionString(emuServer.URL), acs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lns := loopbackListeners(t)
	base := "http://" + lns.Callbacks.Addr().String()
	services, err := service.New(service.Deps{ACS: client, Events: events, CallbackURL: cb.CallbackURL(base),
		Heartbeat: heartbeat, SilenceCheck: -1, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{Logger: zap.NewNop()}, lns, gateway.Parts{Services: services, Callbacks: cb})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx) }()
	r := &replica{
		Events: events, Services: services, Calls: callgatev1.NewCallServiceClient(dial(t, lns.GRPC.Addr().String())),
		CallbacksURL: cb.CallbackURL(base), EventGridURL: cb.EventGridURL(base), RESTURL: "http://" + lns.HTTP.Addr().String(),
		addr: lns.GRPC.Addr().String(),
	}
	var stopped bool
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-served
		cb.Close()
		_ = emu.Close()
		emuServer.Close()
	}
	t.Cleanup(r.stop)
	return r
}

// openLog opens an event log for a test: embedded on dir, or on an external NATS at url.
func openLog(t testing.TB, cfg eventlog.Config) *eventlog.Log {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.NATSURL == "" && cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	l, err := eventlog.Open(testContext(t), cfg)
	if err != nil {
		t.Fatalf("open event log: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// natsServer runs a NATS server with JetStream on a loopback port, as a shared cluster would be.
func natsServer(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// post delivers CloudEvents to a replica's callbacks endpoint as ACS would.
func (r *replica) post(t testing.TB, events ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, r.CallbacksURL, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback POST = %d", resp.StatusCode)
	}
}

// cloudEvent is one Call Automation event as ACS posts it.
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

// numbered makes n ParticipantsUpdated events of a call, IDs prefix-0 .. prefix-(n-1).
func numbered(callID, prefix string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = cloudEvent(fmt.Sprintf("%s-%d", prefix, i), callID, "ParticipantsUpdated", map[string]any{"sequenceNumber": i})
	}
	return out
}

func (r *replica) grpcAddr() string { return r.addr }

// postIncoming delivers an Event Grid IncomingCall to the replica, as Event Grid would.
func postIncoming(t testing.TB, r *replica, id, to string) {
	t.Helper()
	body, err := json.Marshal([]map[string]any{{
		"id": id, "eventType": "Microsoft.Communication.IncomingCall", "eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"subject": "/caller/x/recipient/" + to, "dataVersion": "1.0", "metadataVersion": "1",
		"data": map[string]any{
			"to":                  map[string]any{"kind": "communicationUser", "rawId": to, "communicationUser": map[string]any{"id": to}},
			"from":                map[string]any{"kind": "phoneNumber", "rawId": "4:+16041234567", "phoneNumber": map[string]any{"value": "+16041234567"}},
			"incomingCallContext": "context-of-" + id, "serverCallId": "server-" + id, "correlationId": "corr-" + id,
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, r.EventGridURL, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Event Grid POST = %d", resp.StatusCode)
	}
}
