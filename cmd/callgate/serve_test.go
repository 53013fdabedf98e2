package main

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/callgate/callgate/auth"
	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// TestServeAgainstACS runs `callgate serve` as production does, against the emulator standing in
// for ACS: the connection string, the callback URL on the public URL with its secret, the JWT
// checked against the issuer's keys. A CreateCall that waits for CallConnected proves the whole
// loop: gateway -> ACS -> signed callback -> event log -> the waiting RPC.
func TestServeAgainstACS(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	acs, err := emulator.Start(emulator.Config{AccessKey: key}, "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acs.Close() })

	grpcAddr, httpAddr, callbacksAddr, adminAddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	const apiKey = "serve-test-api-key-0123456789"
	line, err := auth.KeyLine(apiKey, "serve-test", []string{auth.PermCallsCreate})
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{
		"CALLGATE_ACS_CONNECTION_STRING": acs.ConnectionString(),
		"CALLGATE_CALLBACK_SECRET":       "a-callback-secret-of-some-length",
		"CALLGATE_AUTH_API_KEYS_FILE":    keys,
	}
	args := []string{"serve", "--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--callbacks-addr", callbacksAddr, "--admin-addr", adminAddr,
		"--public-url", "http://" + callbacksAddr,
		"--callback-audience", acs.Audience(), "--callback-issuer", acs.Issuer(), "--callback-jwks-url", acs.JWKSURL(),
		"--data-dir", t.TempDir(), "--log-level", "error"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, io.Discard, envOf(settings)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitReady(t, "http://"+adminAddr+"/readyz", done)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	rctx = metadata.AppendToOutgoingContext(rctx, "authorization", "Bearer "+apiKey)
	res, err := callgatev1.NewCallServiceClient(conn).CreateCall(rctx, &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{{RawId: "8:acs:" + acs.ResourceID() + "_callee"}},
		Wait:    durationpb.New(20 * time.Second),
	})
	if err != nil {
		t.Fatalf("CreateCall through serve: %v", err)
	}
	if res.GetResultEvent().GetCallConnected() == nil {
		t.Fatalf("result event %v, want CallConnected", res.GetResultEvent())
	}
}

// freeAddr is a loopback address whose port was free a moment ago: serve takes addresses, not
// listeners.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls url until it answers 200 (the server runs in this process but says nothing when
// it is up; readiness is what a load balancer would poll too).
func waitReady(t *testing.T, url string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}
