package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
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
		{"no callback authentication", []string{"serve", "--acs-connection-string", secret, "--public-url", "https://gw.example"}, nil, "--callback-secret (CALLGATE_CALLBACK_SECRET)"},
		{"short callback secret", []string{"serve", "--acs-connection-string", secret, "--public-url", "https://gw.example"}, map[string]string{"CALLGATE_CALLBACK_SECRET": "c2VjcmV0LWtleQ"}, "--callback-secret (CALLGATE_CALLBACK_SECRET)"},
		{"both ACS credentials", []string{"serve", "--acs-connection-string", secret, "--acs-endpoint", "https://x.communication.azure.com"}, nil, "--acs-endpoint (CALLGATE_ACS_ENDPOINT)"},
		{"bad nats url", []string{"serve"}, map[string]string{"CALLGATE_NATS_URL": "::c2VjcmV0LWtleQ"}, "--nats-url (CALLGATE_NATS_URL)"},
		{"bad emulator addr", []string{"dev", "--emulator-addr", "8090"}, nil, "--emulator-addr (CALLGATE_EMULATOR_ADDR)"},
		{"bad grpc addr from env", []string{"dev"}, map[string]string{"CALLGATE_GRPC_ADDR": "9090"}, "--grpc-addr (CALLGATE_GRPC_ADDR)"},
		{"bad duration from env", []string{"dev"}, map[string]string{"CALLGATE_SHUTDOWN_GRACE": "soon"}, "--shutdown-grace (CALLGATE_SHUTDOWN_GRACE)"},
		{"bad log level", []string{"dev", "--log-level", "loud"}, nil, "--log-level (CALLGATE_LOG_LEVEL)"},
		{"bad log format from env", []string{"dev"}, map[string]string{"CALLGATE_LOG_FORMAT": "xml"}, "--log-format (CALLGATE_LOG_FORMAT)"},
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

// TestSIGTERMStopsCleanly runs `callgate dev` as a child process, waits until it serves, sends
// SIGTERM and expects a clean exit.
func TestSIGTERMStopsCleanly(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"CALLGATE_TEST_RUN_MAIN=1",
		"CALLGATE_TEST_ARGS=dev --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --emulator-addr 127.0.0.1:0 --shutdown-grace 5s",
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

	httpAddr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var grpcAddr, addr string
			if n, _ := fmt.Sscanf(sc.Text(), "callgate dev: gRPC on %s HTTP on %s", &grpcAddr, &addr); n == 2 {
				httpAddr <- addr
			}
		}
	}()
	var addr string
	select {
	case addr = <-httpAddr:
	case <-time.After(60 * time.Second):
		t.Fatalf("dev did not report its addresses; stderr:\n%s", stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no 'stopped' log line; stderr:\n%s", stderr.String())
	}
}
