package service_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/service"
	"github.com/callgate/callgate/telemetry"
)

// scrape reads the admin listener's /metrics: the sum of each family's samples (a histogram's
// _count), by family.
func scrape(t *testing.T, s *stack) map[string]float64 {
	t.Helper()
	resp, err := http.Get(s.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		series := name
		if i := strings.IndexByte(name, '{'); i >= 0 {
			series = line[:strings.LastIndexByte(line, '}')+1]
			rest = line[len(series)+1:]
			name = name[:i]
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		sums[name] += v
		if series != name {
			sums[series] = v
		}
	}
	return sums
}

// After calls, watches, waits, callbacks and a retried request, /metrics on the admin listener
// has every family of the gateway, each with non-zero counts.
func TestMetricsFamilies(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Version: "test", Commit: "abc", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, withTelemetry(tel), withEmulator(func(c *emulator.Config) {
		c.Faults.ThrottleRate, c.Faults.RetryAfter, c.Faults.Seed = 0.3, time.Millisecond, 7
	}), withDeps(func(d *service.Deps) { d.Heartbeat = 20 * time.Millisecond }))
	ctx := testContext(t)

	created, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: durationpb.New(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	callID := created.GetCall().GetCallConnectionId()
	stream, err := s.Calls.WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: callID})
	if err != nil {
		t.Fatal(err)
	}
	var heartbeat bool
	for !heartbeat {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		heartbeat = msg.GetHeartbeat() != nil
	}
	open := scrape(t, s)
	if open["callgate_watchers"] != 1 {
		t.Errorf("callgate_watchers = %v with one stream open", open["callgate_watchers"])
	}
	if code, _ := s.rest(t, "GET", "/v1/calls/"+callID, ""); code != http.StatusOK {
		t.Fatalf("REST GetCall: %d", code)
	}
	if _, err := s.Calls.HangUpCall(ctx, &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	got := scrape(t, s)
	for _, family := range []string{
		"grpc_server_started_total", "grpc_server_handled_total", "grpc_server_handling_seconds_count",
		"callgate_rest_started_total", "callgate_rest_handled_total", "callgate_rest_handling_seconds_count",
		"callgate_acs_requests_total", "callgate_acs_request_duration_seconds_count", "callgate_acs_retries_total",
		"callgate_callbacks_total", "callgate_callback_events_total",
		"callgate_eventlog_append_seconds_count", "callgate_eventlog_appended_total", "callgate_eventlog_ready", "callgate_eventlog_reads_total",
		"callgate_stream_events_total", "callgate_stream_heartbeats_total", "callgate_streams_ended_total",
		"callgate_delivery_lag_seconds_count", "callgate_waits_total",
		"go_goroutines", "process_cpu_seconds_total", "go_build_info", "callgate_build_info",
	} {
		if got[family] <= 0 {
			t.Errorf("%s = %v, want a non-zero count", family, got[family])
		}
	}
}

// A REST request runs the unary interceptor chain once, in process: one count in the gRPC
// server's metrics, one in the REST routes', one log line.
func TestRESTRunsTheChainOnce(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Version: "test", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, withTelemetry(tel))
	call, _ := s.connectedCall(t)
	id := call.GetCallConnectionId()
	const (
		grpcSeries = `grpc_server_handled_total{grpc_code="OK",grpc_method="GetCall",grpc_service="callgate.v1.CallService",grpc_type="unary"}`
		restSeries = `callgate_rest_started_total{method="GET",route="/v1/calls/{call_connection_id}"}`
	)
	before := scrape(t, s)
	if code, body := s.rest(t, "GET", "/v1/calls/"+id, ""); code != http.StatusOK {
		t.Fatalf("REST GetCall: %d %s", code, body)
	}
	after := scrape(t, s)
	for _, series := range []string{grpcSeries, restSeries} {
		if n := after[series] - before[series]; n != 1 {
			t.Errorf("%s went up by %v, want 1", series, n)
		}
	}
	var lines int
	for _, e := range s.Logs.logs.FilterMessage("rpc").All() {
		if f := e.ContextMap(); f["method"] == "/callgate.v1.CallService/GetCall" && f["call_connection_id"] == id {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d log lines for the REST GetCall, want 1", lines)
	}
}

// One CreateCall, followed by its trace: the gRPC server span continues the caller's
// traceparent, the ACS request is its child and carries traceparent to ACS (the emulator sees
// it), and the callback's span and its append carry the call connection ID that joins them.
func TestTraceOfACreateCall(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	ended := endSignal(make(chan struct{}, 1))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSpanProcessor(ended))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := newStack(t, withTelemetry(telemetry.Nop().WithTracer(tp)))

	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx := metadata.AppendToOutgoingContext(testContext(t), "traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	created, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}, Wait: durationpb.New(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	callID := created.GetCall().GetCallConnectionId()

	var server, acsSpan sdktrace.ReadOnlySpan
	for _, sp := range spans.GetSpans().Snapshots() {
		switch sp.Name() {
		case "callgate.v1.CallService/CreateCall":
			server = sp
		case "ACS CreateCall":
			acsSpan = sp
		}
	}
	if server == nil || acsSpan == nil {
		t.Fatalf("spans %v: want the RPC's and the ACS request's", names(spans))
	}
	if server.SpanContext().TraceID().String() != callerTrace || server.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the RPC's span does not continue the caller's trace: %v parent %v", server.SpanContext(), server.Parent())
	}
	if acsSpan.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("the ACS request is not the RPC's child")
	}
	if !hasAttr(server, "callgate.call_connection_id", callID) || !hasAttr(server, "callgate.correlation_id", created.GetCall().GetCorrelationId()) {
		t.Errorf("the RPC's span lacks the call connection or correlation ID: %v", server.Attributes())
	}
	s.Upstream.mu.Lock()
	first := s.Upstream.traceparents[0]
	s.Upstream.mu.Unlock()
	if !strings.HasPrefix(first, "00-"+callerTrace+"-"+acsSpan.SpanContext().SpanID().String()) {
		t.Errorf("ACS saw traceparent %q, want the ACS request's span in the caller's trace", first)
	}

	// The callback's span ends once its response is written, which may be after the wait saw
	// the event in the log.
	var callback sdktrace.ReadOnlySpan
	for callback == nil {
		for _, sp := range spans.GetSpans().Snapshots() {
			if strings.HasPrefix(sp.Name(), "callback POST /callbacks/calls") && hasAttr(sp, "callgate.call_connection_id", callID) {
				callback = sp
			}
		}
		if callback != nil {
			break
		}
		select {
		case <-ended:
		case <-ctx.Done():
			t.Fatalf("no callback span names call %s: %v", callID, names(spans))
		}
	}
	appended := false
	for _, sp := range spans.GetSpans().Snapshots() {
		appended = appended || (sp.Name() == "eventlog append" && sp.Parent().SpanID() == callback.SpanContext().SpanID())
	}
	if !appended {
		t.Error("the callback's append has no span under it")
	}
}

// A REST request, served in process, is one span (the HTTP server's) in the caller's trace, with
// the call's IDs on it and the ACS request as its child.
func TestTraceOfARESTRequest(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := newStack(t, withTelemetry(telemetry.Nop().WithTracer(tp)))
	call, _ := s.connectedCall(t)
	id := call.GetCallConnectionId()

	const callerTrace = "5bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.RESTURL+"/v1/calls/"+id, nil)
	req.Header.Set("Traceparent", "00-"+callerTrace+"-10f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("REST GetCall: %d", resp.StatusCode)
	}
	var server, acsSpan sdktrace.ReadOnlySpan
	for _, sp := range spans.GetSpans().Snapshots() {
		if sp.SpanContext().TraceID().String() != callerTrace {
			continue
		}
		switch sp.Name() {
		case "rest GET /v1/calls/{call_connection_id}":
			server = sp
		case "ACS GetCall":
			acsSpan = sp
		}
	}
	if server == nil || acsSpan == nil {
		t.Fatalf("spans %v: want the REST request's and the ACS request's in the caller's trace", names(spans))
	}
	if server.Parent().SpanID().String() != "10f067aa0ba902b7" || acsSpan.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("want caller -> REST request -> ACS request; REST's parent %v, ACS's parent %v", server.Parent().SpanID(), acsSpan.Parent().SpanID())
	}
	if !hasAttr(server, "callgate.call_connection_id", id) {
		t.Errorf("the REST request's span lacks the call connection ID: %v", server.Attributes())
	}
}

// endSignal is a span processor that signals each span's end, for a test to wait on.
type endSignal chan struct{}

func (e endSignal) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e endSignal) OnEnd(sdktrace.ReadOnlySpan) {
	select {
	case e <- struct{}{}:
	default:
	}
}
func (e endSignal) Shutdown(context.Context) error   { return nil }
func (e endSignal) ForceFlush(context.Context) error { return nil }

func names(e *tracetest.InMemoryExporter) []string {
	var out []string
	for _, sp := range e.GetSpans().Snapshots() {
		out = append(out, sp.Name())
	}
	return out
}

func hasAttr(sp sdktrace.ReadOnlySpan, key, value string) bool {
	for _, a := range sp.Attributes() {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}

// With no exporter the gateway makes no span, but a caller's traceparent still reaches ACS,
// over gRPC and REST, so that the caller's trace goes on into ACS's logs.
func TestTraceparentReachesACSWithoutExporter(t *testing.T) {
	s := newStack(t)
	const trace = "0af7651916cd43dd8448eb211c80319c"
	traceparent := "00-" + trace + "-b7ad6b7169203331-01"
	ctx := metadata.AppendToOutgoingContext(testContext(t), "traceparent", traceparent)
	if _, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: "x"}); err == nil {
		t.Fatal("GetCall of no call succeeded")
	}
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, s.RESTURL+"/v1/calls/y", nil)
	req.Header.Set("Traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	s.Upstream.mu.Lock()
	defer s.Upstream.mu.Unlock()
	if len(s.Upstream.traceparents) != 2 {
		t.Fatalf("%d requests reached ACS, want 2", len(s.Upstream.traceparents))
	}
	for i, tp := range s.Upstream.traceparents {
		if !strings.HasPrefix(tp, "00-"+trace+"-") {
			t.Errorf("request %d to ACS carried traceparent %q, want the caller's trace", i, tp)
		}
	}
}
