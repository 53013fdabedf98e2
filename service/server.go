// Package service implements callgate.v1's CallService and ParticipantService: each RPC is
// validated, translated into an ACS Call Automation request through package acs, and answered with
// the result or a precise status. The streaming RPCs and the optional wait for an operation's
// outcome read the event log that package callbacks fills.
package service

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// DefaultHeartbeat is how often an idle stream carries a heartbeat.
const DefaultHeartbeat = 15 * time.Second

// Deps are what both services need.
type Deps struct {
	// ACS is the upstream Call Automation client.
	ACS *acs.Client
	// Events is the event log the callbacks handler appends to.
	Events *eventlog.Log
	// CallbackURL is the callback URI given to ACS for every call this gateway creates, answers or
	// connects: the gateway's own callbacks endpoint, with its credential. Callers never choose it.
	CallbackURL string
	// Heartbeat is how often an idle WatchCall or WatchIncomingCalls stream carries a heartbeat;
	// 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	Logger    *zap.Logger
}

func (d Deps) withDefaults() Deps {
	if d.Heartbeat <= 0 {
		d.Heartbeat = DefaultHeartbeat
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	return d
}

// CallServer serves callgate.v1.CallService.
type CallServer struct {
	callgatev1.UnsafeCallServiceServer
	deps    Deps
	log     *zap.Logger
	streams streamRegistry
}

// NewCallServer returns the CallService implementation.
func NewCallServer(deps Deps) *CallServer {
	deps = deps.withDefaults()
	return &CallServer{deps: deps, log: deps.Logger}
}

// StopStreams ends every open WatchCall and WatchIncomingCalls stream with UNAVAILABLE and its
// resume point, and every RPC waiting for its outcome, and refuses new ones, so that a graceful
// stop does not wait for calls to end.
func (s *CallServer) StopStreams() { s.streams.stop() }

// streamRegistry holds the watchers of open streams and waits, so StopStreams can end them. A map entry
// per stream costs far less than a context per stream would, and thousands of streams are idle.
type streamRegistry struct {
	mu      sync.Mutex
	stopped bool
	open    map[*eventlog.Watcher]struct{}
}

// add registers w; false once the registry is stopped.
func (r *streamRegistry) add(w *eventlog.Watcher) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	if r.open == nil {
		r.open = make(map[*eventlog.Watcher]struct{})
	}
	r.open[w] = struct{}{}
	return true
}

func (r *streamRegistry) remove(w *eventlog.Watcher) {
	r.mu.Lock()
	delete(r.open, w)
	r.mu.Unlock()
}

func (r *streamRegistry) isStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

func (r *streamRegistry) stop() {
	r.mu.Lock()
	r.stopped = true
	open := r.open
	r.open = nil
	r.mu.Unlock()
	for w := range open {
		_ = w.Close()
	}
}

// ParticipantServer serves callgate.v1.ParticipantService.
type ParticipantServer struct {
	callgatev1.UnsafeParticipantServiceServer
	deps  Deps
	log   *zap.Logger
	waits streamRegistry
}

// StopWaits ends every RPC waiting for its outcome with UNAVAILABLE and the operation's identity,
// and refuses new waits, so that a graceful stop does not wait for invitations to ring out.
func (s *ParticipantServer) StopWaits() { s.waits.stop() }

// NewParticipantServer returns the ParticipantService implementation.
func NewParticipantServer(deps Deps) *ParticipantServer {
	deps = deps.withDefaults()
	return &ParticipantServer{deps: deps, log: deps.Logger}
}

var (
	_ callgatev1.CallServiceServer        = (*CallServer)(nil)
	_ callgatev1.ParticipantServiceServer = (*ParticipantServer)(nil)
)
