package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// TestMain lets a test run this binary's main as a child process, to send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("CALLGATE_TEST_RUN_MAIN") == "1" {
		os.Args = append([]string{"callgate"}, strings.Fields(os.Getenv("CALLGATE_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func noEnv(string) (string, bool) { return "", false }

// serveArgs are the settings serve needs besides authentication.
func serveArgs() []string {
	return []string{"serve", "--acs-connection-string", "endpoint=https://x.communication.azure.com/;accesskey=c2VjcmV0LWtleQ==",
		"--public-url", "https://gw.example", "--callback-secret", "a-callback-secret-of-some-length",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--callbacks-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestBadSettingFailsStartWithItsName(t *testing.T) {
	const secret = "endpoint=https://x.communication.azure.com/;accesskey=c2VjcmV0LWtleQ=="
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"missing connection string", []string{"serve", "--public-url", "https://gw.example"}, nil, "--acs-connection-string (CALLGATE_ACS_CONNECTION_STRING)"},
		{"malformed connection string", []string{"serve", "--public-url", "https://gw.example"}, map[string]string{"CALLGATE_ACS_CONNECTION_STRING": "endpoint=https://x/;accesskey=c2VjcmV0LWtleQ===="}, "--acs-connection-string (CALLGATE_ACS_CONNECTION_STRING)"},
		{"missing public url", []string{"serve", "--acs-connection-string", secret}, nil, "--public-url (CALLGATE_PUBLIC_URL)"},
		{"bad public url", []string{"serve", "--acs-connection-string", secret, "--public-url", "gw.example"}, nil, "--public-url (CALLGATE_PUBLIC_URL)"},
		{"no callback secret", []string{"serve", "--acs-connection-string", secret, "--public-url", "https://gw.example"}, nil, "--callback-secret (CALLGATE_CALLBACK_SECRET)"},
		{"JWT but no callback secret", []string{"serve", "--acs-connection-string", secret, "--public-url", "https://gw.example", "--callback-audience", "r"}, nil, "--callback-secret (CALLGATE_CALLBACK_SECRET)"},
		{"short callback secret", []string{"serve", "--acs-connection-string", secret, "--public-url", "https://gw.example"}, map[string]string{"CALLGATE_CALLBACK_SECRET": "c2VjcmV0LWtleQ"}, "--callback-secret (CALLGATE_CALLBACK_SECRET)"},
		{"both ACS credentials", []string{"serve", "--acs-connection-string", secret, "--acs-endpoint", "https://x.communication.azure.com"}, nil, "--acs-endpoint (CALLGATE_ACS_ENDPOINT)"},
		{"bad nats url", []string{"serve"}, map[string]string{"CALLGATE_NATS_URL": "::c2VjcmV0LWtleQ"}, "--nats-url (CALLGATE_NATS_URL)"},
		{"bad emulator addr", []string{"dev", "--emulator-addr", "8090"}, nil, "--emulator-addr (CALLGATE_EMULATOR_ADDR)"},
		{"bad grpc addr from env", []string{"dev"}, map[string]string{"CALLGATE_GRPC_ADDR": "9090"}, "--grpc-addr (CALLGATE_GRPC_ADDR)"},
		{"bad duration from env", []string{"dev"}, map[string]string{"CALLGATE_SHUTDOWN_GRACE": "soon"}, "--shutdown-grace (CALLGATE_SHUTDOWN_GRACE)"},
		{"bad log level", []string{"dev", "--log-level", "loud"}, nil, "--log-level (CALLGATE_LOG_LEVEL)"},
		{"bad log format from env", []string{"dev"}, map[string]string{"CALLGATE_LOG_FORMAT": "xml"}, "--log-format (CALLGATE_LOG_FORMAT)"},
		{"no authentication", serveArgs(), nil, "--auth-disabled (CALLGATE_AUTH_DISABLED)"},
		{"token settings incomplete", append(serveArgs(), "--auth-issuer", "https://login.example"), nil, "--auth-jwks-url (CALLGATE_AUTH_JWKS_URL)"},
		{"key without certificate", append(serveArgs(), "--auth-disabled", "--tls-key-file", "k.pem"), nil, "--tls-cert-file (CALLGATE_TLS_CERT_FILE)"},
		{"client CA without TLS", append(serveArgs(), "--tls-client-ca-file", "ca.pem"), nil, "--tls-client-ca-file (CALLGATE_TLS_CLIENT_CA_FILE)"},
		{"bad rate limit", append(serveArgs(), "--auth-disabled", "--rate-limit-calls", "60 a minute"), nil, "--rate-limit-calls (CALLGATE_RATE_LIMIT_CALLS)"},
		{"bad caller ID", append(serveArgs(), "--auth-disabled"), map[string]string{"CALLGATE_ALLOWED_CALLER_IDS": "+18005550100,18005550101"}, "--allowed-caller-ids (CALLGATE_ALLOWED_CALLER_IDS)"},
		{"bad destination prefix", append(serveArgs(), "--auth-disabled", "--denied-destinations", "+1900", "--denied-destinations", "1976"), nil, "--denied-destinations (CALLGATE_DENIED_DESTINATIONS)"},
		{"missing key file", append(serveArgs(), "--auth-api-keys-file", "/nonexistent/keys"), nil, "API key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stderr, &stderr, envOf(tc.env))
			if err == nil {
				t.Fatal("run succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
			if strings.Contains(err.Error()+stderr.String(), "c2VjcmV0LWtleQ") {
				t.Errorf("the access key leaked: %q", err)
			}
		})
	}
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	cfg := defaultConfig()
	fs := newFlagSet("serve", &bytes.Buffer{})
	cfg.register(fs, false)
	env := envOf(map[string]string{"CALLGATE_GRPC_ADDR": "127.0.0.1:1", "CALLGATE_HTTP_ADDR": "127.0.0.1:2"})
	if err := parseSettings(fs, []string{"--grpc-addr", "127.0.0.1:3"}, env); err != nil {
		t.Fatal(err)
	}
	if cfg.GRPCAddr != "127.0.0.1:3" || cfg.HTTPAddr != "127.0.0.1:2" {
		t.Errorf("grpc %q http %q: want the flag for gRPC and the environment for HTTP", cfg.GRPCAddr, cfg.HTTPAddr)
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"launch"}, &stderr, &stderr, noEnv); !errors.Is(err, errUsage) {
		t.Fatalf("err = %v, want usage", err)
	}
	if !strings.Contains(stderr.String(), `unknown command "launch"`) {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestSIGTERMStopsCleanly runs `callgate dev` as a child process with an open WatchCall stream
// and a CreateCall waiting for an answer that never comes, sends SIGTERM and expects both to be
// ended with their resume point or the call they placed, and a clean exit.
func TestSIGTERMStopsCleanly(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"CALLGATE_TEST_RUN_MAIN=1",
		"CALLGATE_TEST_ARGS=dev --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --callbacks-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --emulator-addr 127.0.0.1:0 --answer-delay 10m --heartbeat 100ms --shutdown-grace 60s",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	addrs := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var grpcAddr, httpAddr string
		for sc.Scan() {
			_, _ = fmt.Sscanf(sc.Text(), "callgate dev: gRPC on %s HTTP on %s", &grpcAddr, &httpAddr)
			if rest, ok := strings.CutPrefix(sc.Text(), "ACS emulator on "); ok {
				emulatorURL, _, _ := strings.Cut(rest, " ")
				addrs <- [2]string{strings.TrimSuffix(grpcAddr, ","), emulatorURL}
			}
		}
	}()
	var a [2]string
	select {
	case a = <-addrs:
	case <-time.After(60 * time.Second):
		t.Fatalf("dev did not report its addresses; stderr:\n%s", stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(a[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	calls := callgatev1.NewCallServiceClient(conn)

	created, err := calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{{RawId: "8:acs:dev_watched"}}})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := calls.WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: created.GetCall().GetCallConnectionId()})
	if err != nil {
		t.Fatal(err)
	}
	// A heartbeat says the stream is being served.
	if m, err := stream.Recv(); err != nil || m.GetHeartbeat() == nil {
		t.Fatalf("first message %v, %v: want a heartbeat", m, err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{{RawId: "8:acs:dev_never-answers"}}, Wait: durationpb.New(5 * time.Minute)})
		waiting <- err
	}()
	waitForCalls(t, ctx, a[1], 2)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = stream.Recv() // heartbeats until the end
	}
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "resume") {
		t.Errorf("WatchCall through SIGTERM: %v, want UNAVAILABLE with a resume point", err)
	}
	err = <-waiting
	// The call was placed: not UNAVAILABLE, which a client would retry, placing another.
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(status.Convert(err).Message(), "shutting down") {
		t.Errorf("a waiting CreateCall through SIGTERM: %v, want DEADLINE_EXCEEDED naming the call it placed", err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("still running after SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no 'stopped' log line; stderr:\n%s", stderr.String())
	}
}

// waitForCalls waits until the emulator at emulatorURL has n calls (through its control API:
// there is no event to wait on in another process, so it asks again every few milliseconds).
func waitForCalls(t *testing.T, ctx context.Context, emulatorURL string, n int) {
	t.Helper()
	for ctx.Err() == nil {
		resp, err := http.Get(emulatorURL + "/emulator/v1/calls")
		if err != nil {
			t.Fatal(err)
		}
		var calls []json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&calls)
		_ = resp.Body.Close()
		if err == nil && len(calls) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the calls did not reach the emulator")
}
