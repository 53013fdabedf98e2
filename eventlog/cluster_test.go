package eventlog

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// clusterTimeout bounds the cluster test: elections after a node loss take
// seconds, more under the race detector.
const clusterTimeout = 3 * time.Minute

// startCluster runs n JetStream servers routed to each other on loopback and
// waits until the meta leader sees all of them.
func startCluster(t *testing.T, n int) []*server.Server {
	t.Helper()
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	name := uniqueName("cluster")
	nodes := make([]*server.Server, n)
	for i := range nodes {
		nodes[i] = startServer(t, func(o *server.Options) {
			o.ServerName = fmt.Sprintf("%s-node%d", name, i)
			o.Cluster = server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: ports[i]}
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		})
	}
	waitForTimeout(t, clusterTimeout, func() bool {
		for _, s := range nodes {
			if s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) == n {
				return true
			}
		}
		return false
	})
	return nodes
}

// TestClusterNodeLossLosesNothing: a three-node cluster with R3 streams; the
// calls stream's leader is shut down while events are being appended. Every
// acknowledged event reaches a watcher on a surviving node, once, in order,
// with the sequence its append returned.
func TestClusterNodeLossLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster failover takes seconds")
	}
	nodes := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	logger := testLogger(t)

	appender := openLogCtx(t, ctx, Config{NATSURL: clientURLs(nodes...), Replicas: 3, Logger: logger.Named("appender")})
	var victim *server.Server
	var survivors []*server.Server
	waitForTimeout(t, clusterTimeout, func() bool {
		for _, s := range nodes {
			if s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, appender.calls.name) {
				victim = s
				return true
			}
		}
		return false
	})
	for _, s := range nodes {
		if s != victim {
			survivors = append(survivors, s)
		}
	}
	t.Logf("calls stream leader %s will be shut down", victim.Name())
	watcherLog := openLogCtx(t, ctx, Config{NATSURL: clientURLs(survivors...), Replicas: 3, Logger: logger.Named("watcher")})
	w, err := watcherLog.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}

	type received struct {
		seq uint64
		id  string
	}
	var got []received
	readErr := make(chan error, 1)
	go func() {
		for {
			e, err := w.Next(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if e.EventID == "end" {
				readErr <- nil
				return
			}
			got = append(got, received{e.Seq, e.EventID})
		}
	}()

	const events, killAt = 300, 100
	acked := make(map[string]uint64, events)
	var order []string
	killNow := make(chan struct{})
	var killed sync.WaitGroup
	killed.Go(func() {
		<-killNow
		victim.Shutdown()
		victim.WaitForShutdown()
	})
	// appendUntilAcked redelivers like ACS does after a 5xx: same event ID,
	// until acknowledged.
	redeliveries := 0
	appendUntilAcked := func(id string) uint64 {
		for {
			seq, _, err := appender.AppendCall(ctx, "call", id, []byte(id))
			if err == nil {
				return seq
			}
			if ctx.Err() != nil {
				t.Fatalf("append %s: %v", id, err)
			}
			redeliveries++
			t.Logf("append %s failed, redelivering: %v", id, err)
		}
	}
	for i := range events {
		if i == killAt {
			close(killNow)
		}
		id := fmt.Sprintf("ev-%d", i)
		acked[id] = appendUntilAcked(id)
		order = append(order, id)
	}
	killed.Wait()
	appendUntilAcked("end")
	if err := <-readErr; err != nil {
		t.Fatalf("watcher on a survivor: %v", err)
	}

	seen := map[string]bool{}
	var last uint64
	for _, r := range got {
		if r.seq <= last {
			t.Fatalf("sequence %d after %d", r.seq, last)
		}
		last = r.seq
		if seen[r.id] {
			t.Fatalf("%s delivered twice", r.id)
		}
		seen[r.id] = true
		if want, ok := acked[r.id]; !ok || want != r.seq {
			t.Fatalf("%s delivered with sequence %d, its append returned %d", r.id, r.seq, want)
		}
	}
	for _, id := range order {
		if !seen[id] {
			t.Fatalf("acknowledged %s (sequence %d) never delivered", id, acked[id])
		}
	}
	// A watcher started after the loss replays everything from the new
	// leader.
	late, err := watcherLog.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range got {
		e, err := late.Next(ctx)
		if err != nil {
			t.Fatalf("late watcher after %d entries: %v", i, err)
		}
		if e.Seq != want.seq || e.EventID != want.id {
			t.Fatalf("late watcher entry %d: %d %s, want %d %s", i, e.Seq, e.EventID, want.seq, want.id)
		}
	}
	t.Logf("%d events acknowledged and delivered in order across the loss of %s (%d redeliveries)", len(got), victim.Name(), redeliveries)
}

func openLogCtx(t *testing.T, ctx context.Context, cfg Config) *Log {
	t.Helper()
	l, err := Open(ctx, cfg)
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
