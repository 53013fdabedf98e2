package main

import (
	"context"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/gateway"
)

// runServe runs the gateway for production.
func runServe(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	cfg := defaultConfig()
	fs := newFlagSet("serve", stderr)
	cfg.register(fs, false)
	if err := parseSettings(fs, args, lookupEnv); err != nil {
		return err
	}
	if err := cfg.validateServe(); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, cfg.MaskPhoneNumbers)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	client, err := newACSClient(cfg, log)
	if err != nil {
		return err
	}
	cb := callbacks.Config{Secret: cfg.CallbackSecret}
	if cfg.CallbackAudience != "" {
		cb.JWT = &callbacks.JWTConfig{JWKSURL: cfg.CallbackJWKSURL, Issuer: cfg.CallbackIssuer, Audience: cfg.CallbackAudience}
	}
	lns, err := listen(cfg)
	if err != nil {
		return err
	}
	return runGateway(ctx, cfg, log, lns, client, cfg.PublicURL, cb, nil)
}

// newACSClient authenticates with the connection string's key, or with Microsoft Entra ID
// (DefaultAzureCredential: managed identity, workload identity, environment) for an endpoint.
func newACSClient(cfg config, log *zap.Logger) (*acs.Client, error) {
	acsCfg := acs.Config{APIVersion: cfg.ACSAPIVersion, Logger: log.Named("acs")}
	if cfg.ACSConnectionString != "" {
		return acs.NewClientFromConnectionString(cfg.ACSConnectionString, acsCfg)
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("credential (Microsoft Entra ID) for %s: %w", settingName("acs-endpoint"), err)
	}
	tc, err := acs.NewTokenCredential(cred)
	if err != nil {
		return nil, err
	}
	acsCfg.Endpoint, acsCfg.Credential = cfg.ACSEndpoint, tc
	return acs.NewClient(acsCfg)
}

// runGateway opens the stack behind the servers on lns and serves until ctx ends. announce, when
// set, is told the servers are about to serve.
func runGateway(ctx context.Context, cfg config, log *zap.Logger, lns gateway.Listeners, client *acs.Client, publicURL string, cb callbacks.Config, announce func(*gateway.Gateway)) error {
	gcfg := gateway.Config{ShutdownGrace: cfg.ShutdownGrace, DrainDelay: cfg.DrainDelay, Logger: log}
	closeAuth, err := cfg.Security.apply(&gcfg, log)
	if err != nil {
		lns.Close()
		return err
	}
	defer closeAuth()
	st, err := openStack(ctx, cfg, log, client, publicURL, cb)
	if err != nil {
		lns.Close()
		return err
	}
	parts := st.parts()
	if gcfg.Auth != nil {
		parts.Ready = append(parts.Ready, gcfg.Auth.Ready)
	}
	g, err := gateway.New(gcfg, lns, parts)
	if err != nil {
		_ = st.close()
		return err
	}
	if announce != nil {
		announce(g)
	}
	serveErr := g.Serve(ctx)
	if err := st.close(); err != nil {
		log.Warn("closing the event log", zap.Error(err))
	}
	return serveErr
}
