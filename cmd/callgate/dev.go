package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/emulator"
	"github.com/callgate/callgate/gateway"
)

// devPhoneNumber is a number the embedded emulator's resource owns: a caller ID that works, and a
// redirect target that rings the gateway again.
const devPhoneNumber = "+18005550100"

// runDev runs the gateway on the embedded ACS emulator: no Azure account, nothing to configure.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := devConfig()
	fs := newFlagSet("dev", stderr)
	cfg.register(fs, true)
	if err := parseSettings(fs, args, lookupEnv); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, cfg.MaskPhoneNumbers)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "callgate-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	lns, err := listen(cfg)
	if err != nil {
		return err
	}
	publicURL := "http://" + gateway.DialTarget(lns.Callbacks.Addr())
	secret := randomHex(16)

	em, emURL, stopEmulator, err := startEmulator(cfg, log, callbacks.URL(publicURL, callbacks.EventGridPath, secret))
	if err != nil {
		lns.Close()
		return err
	}
	defer stopEmulator()

	tel, err := newTelemetry(ctx, log, lookupEnv)
	if err != nil {
		lns.Close()
		return err
	}
	defer shutdownTelemetry(tel, log)
	client, err := acs.NewClientFromConnectionString(em.ConnectionString(emURL), acsConfig(log, tel))
	if err != nil {
		lns.Close()
		return err
	}
	cb := callbacks.Config{
		Secret: secret,
		JWT:    &callbacks.JWTConfig{JWKSURL: em.JWKSURL(), Issuer: em.Issuer(), Audience: em.Audience()},
	}
	return runGateway(ctx, cfg, log, tel, lns, client, publicURL, cb, func(g *gateway.Gateway) {
		grpcAddr := gateway.DialTarget(g.GRPCAddr())
		fmt.Fprintf(stdout, "callgate dev: gRPC on %s, HTTP on %s\n", g.GRPCAddr(), g.HTTPAddr())
		fmt.Fprintf(stdout, "callbacks on %s, probes on %s\n", g.CallbacksAddr(), g.AdminAddr())
		fmt.Fprintf(stdout, "ACS emulator on %s (control API %s/emulator/v1/, resource number %s)\n", emURL, emURL, devPhoneNumber)
		fmt.Fprintf(stdout, "try:\n  grpcurl -plaintext %s list\n", grpcAddr)
		fmt.Fprintf(stdout, "  grpcurl -plaintext -d '{\"targets\":[{\"raw_id\":\"4:+16471234567\"}],\"source_caller_id_number\":{\"value\":\"%s\"}}' %s callgate.v1.CallService/CreateCall\n", devPhoneNumber, grpcAddr)
	})
}

// startEmulator serves the emulator on cfg.EmulatorAddr with a fresh access key, posting incoming
// calls to webhook. stop ends it and waits.
func startEmulator(cfg config, log *zap.Logger, webhook string) (*emulator.Emulator, string, func(), error) {
	ln, err := net.Listen("tcp", cfg.EmulatorAddr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("invalid setting %s: %w", settingName("emulator-addr"), err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	baseURL := emulator.ListenerBaseURL(ln, false)
	em, err := emulator.New(emulator.Config{
		AccessKey:        key,
		BaseURL:          baseURL,
		AnswerDelay:      cfg.AnswerDelay,
		EventGridWebhook: webhook,
		PhoneNumbers:     []string{devPhoneNumber},
		Logger:           log.Named("emulator"),
	})
	if err != nil {
		_ = ln.Close()
		return nil, "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := em.Serve(ctx, ln); err != nil {
			log.Error("emulator stopped", zap.Error(err))
		}
	})
	return em, baseURL, func() {
		cancel()
		wg.Wait()
		_ = em.Close()
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
