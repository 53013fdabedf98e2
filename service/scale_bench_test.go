package service_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/callgate/callgate/service"
)

// BenchmarkCallbacksScale is BenchmarkCallbacksToWatchers as the work grows, at 2,000 events/s
// unless the row names a rate (1,000 watchers at 500 to 3,000 events/s: where the tail bends);
// watchers per call (1,000 and 10,000 streams over 100 calls), calls in progress (100, 1,000 and
// 10,000 calls with one stream each: as many streams as calls, one delivery per event), and three
// replicas on one external three-node NATS cluster (R3 streams) against one embedded, with the
// POSTs and the 1,000 streams spread over the replicas. Streams heartbeat every 500 ms when idle
// (so that they are ready soon); with 10,000 calls, each idle most of the time, that is 20,000
// heartbeats a second, ten times the events: the last row runs them at the default 15 s.
//
//	go test -run '^$' -bench BenchmarkCallbacksScale -benchtime=20000x ./service/
func BenchmarkCallbacksScale(b *testing.B) {
	const hb = 500 * time.Millisecond
	for _, c := range []struct {
		name                 string
		calls, perCall, rate int
		heartbeat            time.Duration
	}{
		{"watchers=1000", 100, 10, 2000, hb},
		{"watchers=10000", 100, 100, 2000, hb},
		{"calls=100", 100, 1, 2000, hb},
		{"calls=1000", 1000, 1, 2000, hb},
		{"calls=10000", 10000, 1, 2000, hb},
		{"calls=10000/heartbeat=15s", 10000, 1, 2000, service.DefaultHeartbeat},
		{"watchers=1000/rate=500", 100, 10, 500, hb},
		{"watchers=1000/rate=1000", 100, 10, 1000, hb},
		{"watchers=1000/rate=1500", 100, 10, 1500, hb},
		{"watchers=1000/rate=3000", 100, 10, 3000, hb},
	} {
		b.Run(c.name, func(b *testing.B) {
			callbacksToWatchers(b, []*benchReplica{startBenchReplica(b, c.heartbeat)}, c.calls, c.perCall, c.rate)
		})
	}
	b.Run("replicas=3-cluster", func(b *testing.B) {
		callbacksToWatchers(b, clusterReplicas(b), 100, 10, 2000)
	})
}

// BenchmarkCallbacksIngestCluster is BenchmarkCallbacksIngest on three replicas sharing one
// external three-node NATS cluster (R3 streams), the POSTs and streams spread over them.
func BenchmarkCallbacksIngestCluster(b *testing.B) {
	callbacksIngest(b, clusterReplicas(b))
}

// clusterReplicas starts a three-node NATS cluster in this process (the benchmark shares the two
// cores with it, as with the replicas) and three replicas on it.
func clusterReplicas(b *testing.B) []*benchReplica {
	url := startBenchCluster(b, 3)
	rs := make([]*benchReplica, 3)
	for i := range rs {
		rs[i] = startBenchReplicaOn(b, 500*time.Millisecond, url)
	}
	return rs
}

func startBenchCluster(b *testing.B, n int) string {
	b.Helper()
	routePorts := make([]int, n)
	for i := range routePorts {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		routePorts[i] = l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
	}
	routes := make([]string, n)
	for i, p := range routePorts {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	servers := make([]*server.Server, n)
	urls := make([]string, n)
	for i := range servers {
		ns, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("%s-%d", name, i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   b.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: routePorts[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			b.Fatal(err)
		}
		ns.Start()
		b.Cleanup(func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		})
		if !ns.ReadyForConnections(30 * time.Second) {
			b.Fatal("NATS server not ready")
		}
		servers[i], urls[i] = ns, ns.ClientURL()
	}
	deadline := time.Now().Add(time.Minute)
	for {
		for _, s := range servers {
			if s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) == n {
				return strings.Join(urls, ",")
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the NATS cluster elected no JetStream leader")
		}
		time.Sleep(50 * time.Millisecond) // polling the cluster's state: it announces no event
	}
}
