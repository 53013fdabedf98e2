package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/service"
)

// stack is what runs behind the gateway's servers in every mode: the event log, the callbacks
// handler that fills it and the two services that read it.
type stack struct {
	events       *eventlog.Log
	callbacks    *callbacks.Handler
	calls        *service.CallServer
	participants *service.ParticipantServer
}

// openStack opens the event log and builds the handlers. publicURL is where ACS reaches the
// callbacks handler.
func openStack(ctx context.Context, cfg config, log *zap.Logger, client *acs.Client, publicURL string, cb callbacks.Config) (*stack, error) {
	events, err := eventlog.Open(ctx, eventlog.Config{
		NATSURL:    cfg.NATSURL,
		DataDir:    cfg.DataDir,
		MaxAge:     cfg.EventRetention,
		MaxBytes:   cfg.EventMaxBytes,
		SyncAlways: cfg.EventFsync,
		Replicas:   cfg.NATSReplicas,
		Logger:     log.Named("eventlog"),
	})
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	cb.Logger = log.Named("callbacks")
	handler, err := callbacks.New(cb, events)
	if err != nil {
		_ = events.Close()
		return nil, err
	}
	deps := service.Deps{
		ACS:         client,
		Events:      events,
		CallbackURL: handler.CallbackURL(publicURL),
		Heartbeat:   cfg.Heartbeat,
		Logger:      log,
	}
	return &stack{
		events:       events,
		callbacks:    handler,
		calls:        service.NewCallServer(deps),
		participants: service.NewParticipantServer(deps),
	}, nil
}

func (s *stack) components() components {
	return components{
		calls:        s.calls,
		participants: s.participants,
		callbacks:    s.callbacks,
		ready:        s.events.Ready,
		stopStreams: func() {
			s.calls.StopStreams()
			s.participants.StopWaits()
		},
	}
}

// close runs after the servers stopped: nothing appends or watches any more.
func (s *stack) close() error {
	s.callbacks.Close()
	return s.events.Close()
}
