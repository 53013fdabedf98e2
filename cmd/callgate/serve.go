package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"go.uber.org/zap"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/gateway"
	"github.com/callgate/callgate/telemetry"
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

	tel, err := newTelemetry(ctx, log, lookupEnv)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)
	client, err := newACSClient(cfg, log, tel)
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
	return runGateway(ctx, cfg, log, tel, lns, client, cfg.PublicURL, cb, nil)
}

// newACSClient authenticates with the connection string's key, or with Microsoft Entra ID
// (DefaultAzureCredential: managed identity, workload identity, environment) for an endpoint.
func newACSClient(cfg config, log *zap.Logger, tel *telemetry.Telemetry) (*acs.Client, error) {
	acsCfg := acsConfig(log, tel)
	acsCfg.APIVersion = cfg.ACSAPIVersion
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
func runGateway(ctx context.Context, cfg config, log *zap.Logger, tel *telemetry.Telemetry, lns gateway.Listeners, client *acs.Client, publicURL string, cb callbacks.Config, announce func(*gateway.Gateway)) error {
	gcfg := gateway.Config{ShutdownGrace: cfg.ShutdownGrace, DrainDelay: cfg.DrainDelay, Telemetry: tel, Logger: log}
	closeAuth, err := cfg.Security.apply(&gcfg, log)
	if err != nil {
		lns.Close()
		return err
	}
	defer closeAuth()
	st, err := openStack(ctx, cfg, log, tel, client, publicURL, cb)
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

// newTelemetry builds the metrics registry and, when OTEL_* settings say so, the tracing.
func newTelemetry(ctx context.Context, log *zap.Logger, lookupEnv func(string) (string, bool)) (*telemetry.Telemetry, error) {
	v, c := versionInfo()
	tel, err := telemetry.New(ctx, telemetry.Config{Version: v, Commit: c, LookupEnv: lookupEnv})
	if err != nil {
		return nil, err
	}
	log.Info("telemetry", zap.Bool("tracing", tel.Tracing), zap.String("version", v), zap.String("commit", c))
	return tel, nil
}

func shutdownTelemetry(tel *telemetry.Telemetry, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("spans not exported at exit", zap.Error(err))
	}
}

// acsConfig is the acs client's configuration: its logs, metrics and spans.
func acsConfig(log *zap.Logger, tel *telemetry.Telemetry) acs.Config {
	return acs.Config{Logger: log.Named("acs"), Observer: tel.ACSObserver(), TracerProvider: tel.Tracer, Propagator: tel.Propagator}
}
