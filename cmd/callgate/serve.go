package main

import (
	"context"
	"io"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// runServe runs the gateway for production.
func runServe(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := defaultConfig()
	fs := newFlagSet("serve", stderr)
	cfg.register(fs)
	if err := parseSettings(fs, args, lookupEnv); err != nil {
		return err
	}
	if err := cfg.validateServe(); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	g, err := newGateway(cfg, log, components{
		calls:        callgatev1.UnimplementedCallServiceServer{},
		participants: callgatev1.UnimplementedParticipantServiceServer{},
	})
	if err != nil {
		return err
	}
	return g.serve(ctx)
}
