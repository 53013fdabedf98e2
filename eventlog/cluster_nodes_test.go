package eventlog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// clusterNode is one server of a test cluster that can be stopped and
// started again on the same name, ports and store, as an operator restarting
// a node would.
type clusterNode struct {
	t          *testing.T
	name       string
	clientPort int
	routePort  int
	routes     string
	clusterID  string
	storeDir   string
	srv        *server.Server
}

// startNodes is startCluster with nodes that can be stopped and started
// again: n JetStream servers routed to each other on loopback, once the meta
// leader sees all of them. Client ports are fixed too, so a client's server
// list stays true across restarts.
func startNodes(t *testing.T, n int) []*clusterNode {
	t.Helper()
	ports := freePorts(t, 2*n)
	routes := make([]string, n)
	for i := range n {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[n+i])
	}
	cluster := uniqueName("cluster")
	nodes := make([]*clusterNode, n)
	for i := range nodes {
		nodes[i] = &clusterNode{
			t:          t,
			name:       fmt.Sprintf("%s-node%d", cluster, i),
			clientPort: ports[i],
			routePort:  ports[n+i],
			routes:     strings.Join(routes, ","),
			clusterID:  cluster,
			storeDir:   t.TempDir(),
		}
		nodes[i].start()
	}
	waitForTimeout(t, clusterTimeout, func() bool {
		for _, c := range nodes {
			if c.srv.JetStreamIsLeader() && len(c.srv.JetStreamClusterPeers()) == n {
				return true
			}
		}
		return false
	})
	return nodes
}

func (c *clusterNode) start() {
	c.t.Helper()
	c.srv = startServer(c.t, func(o *server.Options) {
		o.ServerName = c.name
		o.Port = c.clientPort
		o.StoreDir = c.storeDir
		o.Cluster = server.ClusterOpts{Name: c.clusterID, Host: "127.0.0.1", Port: c.routePort}
		o.Routes = server.RoutesFromStr(c.routes)
	})
}

func (c *clusterNode) stop() {
	c.srv.Shutdown()
	c.srv.WaitForShutdown()
}

func nodeURLs(nodes ...*clusterNode) string {
	urls := make([]string, len(nodes))
	for i, c := range nodes {
		urls[i] = c.srv.ClientURL()
	}
	return strings.Join(urls, ",")
}

// streamLeader waits for the stream's leader and returns it with the others.
func streamLeader(t *testing.T, ctx context.Context, nodes []*clusterNode, stream string) (*clusterNode, []*clusterNode) {
	t.Helper()
	var leader *clusterNode
	waitForTimeout(t, clusterTimeout, func() bool {
		for _, c := range nodes {
			if c.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				leader = c
				return true
			}
		}
		return ctx.Err() != nil
	})
	if leader == nil {
		t.Fatalf("no leader for stream %s: %v", stream, ctx.Err())
	}
	var others []*clusterNode
	for _, c := range nodes {
		if c != leader {
			others = append(others, c)
		}
	}
	return leader, others
}
