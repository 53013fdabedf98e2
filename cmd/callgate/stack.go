package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/eventlog"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/service"
	"github.com/callgate/callgate/telemetry"
)

// stack is what runs behind the gateway's servers in every mode: the event log, the callbacks
// handler that fills it and the services that read it.
type stack struct {
	events    *eventlog.Log
	callbacks *callbacks.Handler
	services  *service.Services
}

// openStack opens the event log and builds the handlers. publicURL is where ACS reaches the
// callbacks handler.
func openStack(ctx context.Context, cfg config, log *zap.Logger, tel *telemetry.Telemetry, client *acs.Client, publicURL string, cb callbacks.Config) (*stack, error) {
	events, err := eventlog.Open(ctx, eventlog.Config{
		NATSURL:        cfg.NATSURL,
		DataDir:        cfg.DataDir,
		MaxAge:         cfg.EventRetention,
		MaxBytes:       cfg.EventMaxBytes,
		SyncAlways:     cfg.EventFsync,
		Replicas:       cfg.NATSReplicas,
		Logger:         log.Named("eventlog"),
		Metrics:        tel.Registry,
		TracerProvider: tel.Tracer,
	})
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	cb.Logger = log.Named("callbacks")
	cb.Metrics = tel.Registry
	handler, err := callbacks.New(cb, events)
	if err != nil {
		_ = events.Close()
		return nil, err
	}
	services, err := service.New(service.Deps{
		ACS:         client,
		Events:      events,
		CallbackURL: handler.CallbackURL(publicURL),
		Heartbeat:   cfg.Heartbeat,
		Policy:      cfg.Security.policy(),
		Metrics:     tel.Registry,
		Logger:      log,
	})
	if err != nil {
		handler.Close()
		_ = events.Close()
		return nil, err
	}
	return &stack{events: events, callbacks: handler, services: services}, nil
}

func (s *stack) parts() gateway.Parts {
	return gateway.Parts{
		Services:  s.services,
		Callbacks: s.callbacks,
		Ready:     []func(context.Context) error{s.events.Ready, s.callbacks.Ready},
	}
}

// close runs after the servers stopped: nothing appends or watches any more.
func (s *stack) close() error {
	s.callbacks.Close()
	return s.events.Close()
}
