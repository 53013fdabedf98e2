package eventlog

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const embeddedStartTimeout = 30 * time.Second

// startEmbedded runs a NATS server in this process with no network listener:
// the Log reaches it through nats.InProcessServer, so a single gateway needs
// no NATS deployment and exposes no port.
func startEmbedded(cfg Config) (*server.Server, error) {
	opts := &server.Options{
		ServerName:   cfg.ServerName,
		DontListen:   true,
		JetStream:    true,
		StoreDir:     cfg.DataDir,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
		NoSigs:       true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventlog: embedded NATS server: %w", err)
	}
	logger := cfg.Logger.Named("nats")
	ns.SetLoggerV2(natsLogger{logger.Sugar()}, logger.Core().Enabled(zapcore.DebugLevel), false, false)
	ns.Start()
	if !ns.ReadyForConnections(embeddedStartTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("eventlog: embedded NATS server not ready after %s", embeddedStartTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("eventlog: embedded NATS server started without JetStream (store dir %q)", cfg.DataDir)
	}
	return ns, nil
}

// natsLogger adapts zap to the NATS server's printf-style logger. Fatalf is
// logged as an error: the server must never exit the gateway's process.
// Notices (the start-up banner, its settings) are debug: the event log logs
// its own one-line summary.
type natsLogger struct{ s *zap.SugaredLogger }

func (l natsLogger) Noticef(format string, v ...any) { l.s.Debugf(format, v...) }
func (l natsLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l natsLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l natsLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l natsLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l natsLogger) Tracef(string, ...any)           {}
