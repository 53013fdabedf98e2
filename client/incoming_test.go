package client_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// delivery is an incoming call yielded to a member of a group.
type delivery struct {
	member       string
	serverCallID string
	err          error
}

// member is one instance of a service answering the calls to the resource's number in a group.
type member struct {
	started    chan struct{} // closed at the first heartbeat: the member follows the group
	stopped    chan struct{}
	cancel     context.CancelFunc
	reconnects atomic.Int32
}

func join(ctx context.Context, c *client.Client, name, group string, out chan<- delivery) *member {
	ctx, cancel := context.WithCancel(ctx)
	m := &member{started: make(chan struct{}), stopped: make(chan struct{}), cancel: cancel}
	var once sync.Once
	go func() {
		defer close(m.stopped)
		for in, err := range c.WatchIncoming(ctx, client.Group(group), client.To(client.Phone(callerID)),
			client.OnHeartbeat(func(*callgatev1.Heartbeat) { once.Do(func() { close(m.started) }) }),
			client.OnReconnect(func(error) { m.reconnects.Add(1) })) {
			if ctx.Err() != nil {
				return
			}
			out <- delivery{member: name, serverCallID: in.GetServerCallId(), err: err}
		}
	}()
	return m
}

// leave ends the member's watch and waits for it.
func (m *member) leave() {
	m.cancel()
	<-m.stopped
}

// Each incoming call goes to one member of a group across replicas; a member whose replica shuts
// down reconnects to another, and the calls that rang meanwhile wait for it.
func TestWatchIncomingGroupAcrossReplicas(t *testing.T) {
	cl := newCluster(t, withReplicas(2))
	ctx := testContext(t)
	deliveries := make(chan delivery, 64)
	r, target := cl.Resolver(0)
	a := join(ctx, dial(t, target, dialOptions(grpc.WithResolvers(r))), "a", "attendants", deliveries)
	b := join(ctx, dial(t, cl.Replica(1).Addr), "b", "attendants", deliveries)
	defer a.leave()
	defer b.leave()
	<-a.started
	<-b.started

	seen := map[string]string{} // server call ID -> member
	ringAndReceive := func(n int) map[string]int {
		t.Helper()
		for range n {
			if _, err := cl.Ring(ctx, phoneNumber()); err != nil {
				t.Fatal(err)
			}
		}
		by := map[string]int{}
		for range n {
			var d delivery
			select {
			case d = <-deliveries:
			case <-ctx.Done():
				t.Fatalf("not every call was delivered: %v", seen)
			}
			if d.err != nil {
				t.Fatalf("member %s: %v", d.member, d.err)
			}
			if first, dup := seen[d.serverCallID]; dup {
				t.Fatalf("call %s went to %s and to %s", d.serverCallID, first, d.member)
			}
			seen[d.serverCallID] = d.member
			by[d.member]++
		}
		return by
	}

	t.Logf("both members: %v", ringAndReceive(6))

	// B leaves, then A's replica shuts down: the calls ring while A reconnects to replica 1.
	b.leave()
	r.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: cl.Replica(0).Addr}, {Addr: cl.Replica(1).Addr}}})
	cl.Replica(0).Stop()
	if by := ringAndReceive(4); by["a"] != 4 {
		t.Fatalf("after its replica stopped, a got %d calls of 4", by["a"])
	}
	if a.reconnects.Load() == 0 {
		t.Fatal("member a never reconnected")
	}
	select {
	case d := <-deliveries:
		t.Fatalf("a call too many: %+v", d)
	default:
	}
}
