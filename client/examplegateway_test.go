package client_test

import (
	"context"
	"sync"
	"time"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// exampleGateway is what `callgate dev` runs, in process, for the examples: a gateway on a
// loopback port and the ACS emulator behind it.
type exampleGateway struct {
	// Target is the gateway's gRPC address.
	Target string
	c      *cluster
}

// startExampleGateway starts one; an example cannot go on without it.
func startExampleGateway() *exampleGateway {
	c, err := startCluster()
	if err != nil {
		panic(err)
	}
	return &exampleGateway{Target: c.Target(), c: c}
}

func (g *exampleGateway) Close() { g.c.Close() }

// Restart stops the gateway as SIGTERM does and starts it again on the same address.
func (g *exampleGateway) Restart() {
	if err := g.c.Replica(0).Restart(); err != nil {
		panic(err)
	}
}

// User makes up an ACS user of the emulated resource, who answers when called.
func (g *exampleGateway) User() string { return g.c.User() }

// RingOnceFollowing has the emulator ring the resource's number, once the stream follows (at its
// first heartbeat).
func (g *exampleGateway) RingOnceFollowing(from string) client.StreamOption {
	var once sync.Once
	return client.OnHeartbeat(func(*callgatev1.Heartbeat) {
		once.Do(func() {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := g.c.Ring(ctx, from); err != nil {
					panic(err)
				}
			}()
		})
	})
}
