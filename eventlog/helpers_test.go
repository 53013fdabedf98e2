package eventlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// testTimeout bounds every wait of a test on something that should happen.
const testTimeout = 60 * time.Second

var serverSerial atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, serverSerial.Add(1))
}

func testLogger(t testing.TB) *zap.Logger {
	return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// openEmbedded opens a Log on its own embedded server and store directory.
func openEmbedded(t testing.TB, mod func(*Config)) *Log {
	t.Helper()
	cfg := Config{DataDir: t.TempDir(), ServerName: uniqueName("embedded"), Logger: testLogger(t)}
	if mod != nil {
		mod(&cfg)
	}
	return openLog(t, cfg)
}

func openLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	l, err := Open(testContext(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// startServer runs a NATS server with JetStream on a random loopback port.
func startServer(t testing.TB, mod func(*server.Options)) *server.Server {
	t.Helper()
	opts := &server.Options{
		ServerName: uniqueName("nats"),
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
	}
	if mod != nil {
		mod(opts)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(testTimeout) {
		t.Fatalf("server %s not ready", opts.ServerName)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// freePorts reserves n loopback ports for cluster routes, which must be
// known to every node before any starts.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	ls := make([]net.Listener, n)
	for i := range ls {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		ls[i] = l
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func clientURLs(servers ...*server.Server) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

func appendCall(t testing.TB, l *Log, callID, eventID, payload string) uint64 {
	t.Helper()
	seq, _, err := l.AppendCall(testContext(t), callID, eventID, []byte(payload))
	if err != nil {
		t.Fatalf("AppendCall(%s, %s): %v", callID, eventID, err)
	}
	return seq
}

// nextN reads n entries, failing the test on any error.
func nextN(t testing.TB, w *Watcher, n int) []Entry {
	t.Helper()
	ctx := testContext(t)
	out := make([]Entry, 0, n)
	for len(out) < n {
		e, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d of %d entries: %v", len(out), n, err)
		}
		out = append(out, e)
	}
	return out
}

// expectIdle checks that Next has nothing more right now. The short wait can
// only let a wrong extra entry through undetected, never fail a correct run.
func expectIdle(t testing.TB, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e, err := w.Next(ctx)
	if err == nil {
		t.Fatalf("unexpected entry seq %d (%q)", e.Seq, e.Payload)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next on an idle watcher: %v", err)
	}
}

func seqs(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func payloads(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e.Payload)
	}
	return out
}

// waitFor polls cond until it holds, for states that announce no event.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	waitForTimeout(t, testTimeout, cond)
}

func waitForTimeout(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(time.Millisecond)
	}
}
