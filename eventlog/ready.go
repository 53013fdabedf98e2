package eventlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// readyTimeout bounds Ready when its caller sets no deadline: a stream
	// whose group has no member able to answer stays silent, and a probe
	// must get an answer.
	readyTimeout = 2 * time.Second
	// readyPeerSilence is how long a stream leader may not have heard from a
	// replica before Ready stops counting it towards a quorum. Raft
	// heartbeats reach idle followers every 1-2 s (a healthy follower never
	// showed more than 1.4 s under the race detector); four seconds is two
	// missed beats, far sooner than the 10-20 s the leader itself takes to
	// notice it lost its quorum and step down.
	readyPeerSilence = 4 * time.Second
)

// Ready reports whether the log can take appends now: connected to NATS, and
// the leader of each stream (calls and incoming calls) in contact with a
// quorum of its replicas. Meant for readiness probes, so that a replica cut
// off from the log stops receiving callbacks it could not store. It costs
// one small request per stream, answered from the leader's memory, and
// never writes.
//
// Answering a stream info request is not enough: a leader that lost its
// quorum keeps answering from its own store for 10-20 s until it steps
// down, and after that every member of a leaderless group answers with its
// local copy, so the request succeeded throughout an outage in which every
// append failed. The answer's cluster section tells the difference: it
// names the leader (empty when it comes from a leaderless member) and, for
// each replica, how long ago the leader last heard from it.
//
// Rejected alternatives: judging by the outcome of recent appends says
// nothing while no callback comes, and a replica taken out of service
// receives none, so it would never turn ready again; a probe publish is a
// replicated write per probe and replica that takes sequences and space in
// the streams the watchers read.
func (l *Log) Ready(ctx context.Context) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if s := l.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("eventlog: NATS connection is %s", s)
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for _, s := range []*logStream{l.calls, l.incoming, l.recordings} {
		info, err := s.stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("eventlog: stream %s: %w", s.name, err)
		}
		if err := checkQuorum(info); err != nil {
			return fmt.Errorf("eventlog: stream %s: %w", s.name, err)
		}
	}
	return nil
}

// checkQuorum fails unless the answer came from a leader that recently heard
// from enough replicas to commit a write.
func checkQuorum(info *jetstream.StreamInfo) error {
	ci := info.Cluster
	if ci == nil || info.Config.Replicas <= 1 {
		return nil // a single copy: whoever answered holds it
	}
	if ci.Leader == "" {
		return fmt.Errorf("no leader (%d replicas)", info.Config.Replicas)
	}
	need := info.Config.Replicas/2 + 1
	have := 1 // the leader, which answered
	for _, p := range ci.Replicas {
		// Active is 0 for a replica never heard from since the leader was
		// elected, not only for one heard from just now.
		if !p.Offline && !p.Pending && p.Active > 0 && p.Active <= readyPeerSilence {
			have++
		}
	}
	if have < need {
		return fmt.Errorf("leader %s in contact with %d of %d replicas (itself included) within %s, a quorum is %d",
			ci.Leader, have, info.Config.Replicas, readyPeerSilence, need)
	}
	return nil
}
