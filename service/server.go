// Package service implements callgate.v1's services: each RPC is validated, translated into an
// ACS Call Automation request through package acs, and answered with the result or a precise
// status (see rpc.go for the one shape they all take). The streaming RPCs and the optional wait
// for an operation's outcome read the event log that package callbacks fills.
package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// DefaultHeartbeat is how often an idle stream carries a heartbeat.
const DefaultHeartbeat = 15 * time.Second

// Deps are what the services need.
type Deps struct {
	// ACS is the upstream Call Automation client. Required.
	ACS *acs.Client
	// Events is the event log the callbacks handler appends to. Required.
	Events *eventlog.Log
	// CallbackURL is the callback URI given to ACS for every call this gateway creates, answers or
	// connects: the gateway's own callbacks endpoint, with its credential. Callers never choose
	// it. Required.
	CallbackURL string
	// Heartbeat is how often an idle WatchCall or WatchIncomingCalls stream carries a heartbeat;
	// 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	// SilenceCheck is how long a watched call may go without an event before the gateway asks
	// ACS whether it still exists; 0 means DefaultSilenceCheck. Negative: the gateway never asks
	// ACS about a watched call, neither when a watch starts nor when the call goes silent.
	SilenceCheck time.Duration
	// Policy guards against toll fraud; nil allows whatever ACS allows.
	Policy *Policy
	// Metrics, when set, gets the services' Prometheus collectors.
	Metrics prometheus.Registerer
	Logger  *zap.Logger
}

// core is what every handler of every service shares.
type core struct {
	acs         *acs.Client
	events      *eventlog.Log
	callbackURL string
	heartbeat   time.Duration
	log         *zap.Logger
	rules       protovalidate.Validator
	policy      *Policy
	calls       callChecker
	metrics     *metrics
	// open holds the watchers of every open stream and wait, so that Stop can end them.
	open streamRegistry
}

// Services are callgate.v1's services over one set of dependencies.
type Services struct {
	core         *core
	calls        *CallServer
	participants *ParticipantServer
	media        *MediaServer
	recordings   *RecordingServer
}

// New builds the services.
func New(deps Deps) (*Services, error) {
	switch {
	case deps.ACS == nil:
		return nil, errors.New("service: no ACS client")
	case deps.Events == nil:
		return nil, errors.New("service: no event log")
	case deps.CallbackURL == "":
		return nil, errors.New("service: no callback URL: the gateway could not receive call events")
	}
	rules, err := protovalidate.New()
	if err != nil {
		return nil, err
	}
	c := &core{
		acs:         deps.ACS,
		events:      deps.Events,
		callbackURL: deps.CallbackURL,
		heartbeat:   deps.Heartbeat,
		log:         deps.Logger,
		rules:       rules,
		policy:      deps.Policy,
		metrics:     newMetrics(deps.Metrics),
	}
	if c.heartbeat <= 0 {
		c.heartbeat = DefaultHeartbeat
	}
	switch {
	case deps.SilenceCheck == 0:
		c.calls.silence = DefaultSilenceCheck
	case deps.SilenceCheck > 0:
		c.calls.silence = deps.SilenceCheck
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	return &Services{core: c, calls: &CallServer{core: c}, participants: &ParticipantServer{core: c}, media: &MediaServer{core: c},
		recordings: &RecordingServer{core: c}}, nil
}

// Register registers every service on s.
func (s *Services) Register(r grpc.ServiceRegistrar) {
	callgatev1.RegisterCallServiceServer(r, s.calls)
	callgatev1.RegisterParticipantServiceServer(r, s.participants)
	callgatev1.RegisterMediaServiceServer(r, s.media)
	callgatev1.RegisterRecordingServiceServer(r, s.recordings)
}

// RegisterREST registers every service's REST routes on mux, served through conn.
func (s *Services) RegisterREST(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
	return errors.Join(
		callgatev1.RegisterCallServiceHandlerClient(ctx, mux, callgatev1.NewCallServiceClient(conn)),
		callgatev1.RegisterParticipantServiceHandlerClient(ctx, mux, callgatev1.NewParticipantServiceClient(conn)),
		callgatev1.RegisterMediaServiceHandlerClient(ctx, mux, callgatev1.NewMediaServiceClient(conn)),
		callgatev1.RegisterRecordingServiceHandlerClient(ctx, mux, callgatev1.NewRecordingServiceClient(conn)),
		// After the generated routes, so that it takes DownloadRecording's (recording_rest.go).
		registerDownloadREST(mux, callgatev1.NewRecordingServiceClient(conn)),
	)
}

// Names are the full names of the services, for health checks.
func (s *Services) Names() []string {
	return []string{callgatev1.CallService_ServiceDesc.ServiceName, callgatev1.ParticipantService_ServiceDesc.ServiceName,
		callgatev1.MediaService_ServiceDesc.ServiceName, callgatev1.RecordingService_ServiceDesc.ServiceName}
}

// Stop ends every open WatchCall and WatchIncomingCalls stream with UNAVAILABLE and its resume
// point, and every RPC waiting for its outcome with what it started, and refuses new ones, so that
// a graceful stop does not wait for calls to end.
func (s *Services) Stop() { s.core.open.stop() }

// CallServer serves callgate.v1.CallService.
type CallServer struct {
	callgatev1.UnsafeCallServiceServer
	*core
}

// ParticipantServer serves callgate.v1.ParticipantService.
type ParticipantServer struct {
	callgatev1.UnsafeParticipantServiceServer
	*core
}

var (
	_ callgatev1.CallServiceServer        = (*CallServer)(nil)
	_ callgatev1.ParticipantServiceServer = (*ParticipantServer)(nil)
)

// upstreamError is the status of a failed acs call: the acs mapping (the ACS code and message,
// ErrorInfo with the request and chain IDs; context errors as Canceled and DeadlineExceeded). The
// acs client refuses only requests it cannot build, which the service's validation never lets
// through: such a refusal is the gateway's bug, INTERNAL and logged.
func (c *core) upstreamError(err error) error {
	var ve *acs.ValidationError
	if errors.As(err, &ve) {
		c.log.Error("the acs client refused a request the gateway built", zap.Error(err))
		return status.Error(codes.Internal, "the gateway built an invalid upstream request")
	}
	return acs.GRPCStatus(err).Err()
}

// streamRegistry holds the watchers of open streams and waits, so Stop can end them. A map entry
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
