package eventlog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestReadyFollowsQuorum: on a three-node cluster with R3 streams, Ready
// fails once two nodes are gone, before an append would have given up
// trying, although the survivor, the calls stream's leader, keeps answering
// stream info; and succeeds again once the nodes are back.
func TestReadyFollowsQuorum(t *testing.T) {
	if testing.Short() {
		t.Skip("quorum loss takes seconds")
	}
	nodes := startNodes(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	setup := openLogCtx(t, ctx, Config{NATSURL: nodeURLs(nodes...), Replicas: 3, Logger: testLogger(t)})
	// The survivor leads the calls stream: the case a plain stream info
	// request cannot tell from a healthy one.
	survivor, victims := streamLeader(t, ctx, nodes, setup.calls.name)
	l := openLogCtx(t, ctx, Config{NATSURL: survivor.srv.ClientURL(), Replicas: 3, Logger: testLogger(t)})
	// Fresh R3 groups may still be electing or hearing from their replicas.
	waitReady(t, ctx, l, clusterTimeout)
	if _, _, err := l.AppendCall(ctx, "call", "before", []byte("x")); err != nil {
		t.Fatalf("append with a quorum: %v", err)
	}

	lost := time.Now()
	for _, v := range victims {
		v.stop()
	}
	// An append retries for AppendTimeout before its callback gets 503; a
	// probe should have said so by then.
	pollCtx, pollCancel := context.WithTimeout(ctx, defaultAppendTimeout)
	defer pollCancel()
	var notReady error
	for notReady == nil {
		notReady = l.Ready(pollCtx)
		if notReady == nil && pollCtx.Err() != nil {
			t.Fatal("Ready still ok after two of three nodes are gone")
		}
		if notReady == nil {
			if err := sleepCtx(pollCtx, 100*time.Millisecond); err != nil {
				t.Fatal("Ready still ok after two of three nodes are gone")
			}
		}
	}
	t.Logf("not ready %s after the loss: %v", time.Since(lost).Round(time.Millisecond), notReady)
	actx, acancel := context.WithTimeout(ctx, 2*time.Second)
	defer acancel()
	if seq, _, err := l.AppendCall(actx, "call", "during", []byte("x")); err == nil {
		t.Fatalf("append without a quorum stored sequence %d", seq)
	}

	for _, v := range victims {
		v.start()
	}
	waitReady(t, ctx, l, clusterTimeout)
	if _, _, err := l.AppendCall(ctx, "call", "after", []byte("x")); err != nil {
		t.Fatalf("append once ready again: %v", err)
	}
}

// waitReady polls Ready until it succeeds; Ready announces nothing.
func waitReady(t *testing.T, ctx context.Context, l *Log, timeout time.Duration) {
	t.Helper()
	var err error
	waitForTimeout(t, timeout, func() bool {
		err = l.Ready(ctx)
		return err == nil || ctx.Err() != nil
	})
	if err != nil {
		t.Fatalf("not ready: %v", err)
	}
}

// TestCheckQuorum covers what the cluster test cannot stage: in-process
// servers announce their shutdown, so their replicas show offline at once,
// while a crashed or partitioned node only falls silent.
func TestCheckQuorum(t *testing.T) {
	peer := func(active time.Duration, mod func(*jetstream.PeerInfo)) *jetstream.PeerInfo {
		p := &jetstream.PeerInfo{Name: "n", Active: active, Current: true}
		if mod != nil {
			mod(p)
		}
		return p
	}
	offline := func(p *jetstream.PeerInfo) { p.Offline = true }
	pending := func(p *jetstream.PeerInfo) { p.Pending = true }
	cases := []struct {
		name     string
		replicas int
		cluster  *jetstream.ClusterInfo
		fail     string // part of the error, or "" for ready
	}{
		{"single server", 1, &jetstream.ClusterInfo{Leader: "a"}, ""},
		{"no cluster section", 3, nil, ""},
		{"healthy", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, nil), peer(300*time.Millisecond, nil)}}, ""},
		{"one replica silent", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, nil), peer(time.Minute, nil)}}, ""},
		{"both replicas silent", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(readyPeerSilence+time.Millisecond, nil), peer(time.Minute, nil)}}, "1 of 3"},
		{"replica never heard from", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(0, nil), peer(time.Minute, nil)}}, "1 of 3"},
		{"replica offline", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, offline), peer(time.Minute, nil)}}, "1 of 3"},
		{"replica not joined yet", 3, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, pending), peer(time.Minute, nil)}}, "1 of 3"},
		{"leaderless member answering", 3, &jetstream.ClusterInfo{Replicas: []*jetstream.PeerInfo{peer(time.Second, nil), peer(time.Second, nil)}}, "no leader"},
		{"R5 with two silent", 5, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, nil), peer(time.Second, nil), peer(time.Minute, nil), peer(time.Minute, nil)}}, ""},
		{"R5 with three silent", 5, &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(time.Second, nil), peer(time.Minute, nil), peer(time.Minute, nil), peer(time.Minute, nil)}}, "2 of 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkQuorum(&jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: c.replicas}, Cluster: c.cluster})
			switch {
			case c.fail == "" && err != nil:
				t.Fatalf("not ready: %v", err)
			case c.fail != "" && err == nil:
				t.Fatalf("ready, want an error with %q", c.fail)
			case c.fail != "" && !strings.Contains(err.Error(), c.fail):
				t.Fatalf("error %q, want one with %q", err, c.fail)
			}
		})
	}
}
