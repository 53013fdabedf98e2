package main

import (
	"context"
	"fmt"
	"io"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// runDev runs the gateway on embedded defaults, with console logs.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := defaultConfig()
	cfg.LogFormat = "console"
	fs := newFlagSet("dev", stderr)
	cfg.register(fs)
	if err := parseSettings(fs, args, lookupEnv); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
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
	fmt.Fprintf(stdout, "callgate dev: gRPC on %s, HTTP on %s\n  try: grpcurl -plaintext %s list\n",
		g.grpcLn.Addr(), g.httpLn.Addr(), dialTarget(g.grpcLn.Addr()))
	return g.serve(ctx)
}
