package main

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/callgate/callgate/gateway"
)

// newLogger builds the process logger: JSON for machines in `serve`, console for people in `dev`.
// With maskPhones, every line's phone numbers are masked, whichever package logs them.
func newLogger(level, format string, maskPhones bool) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = lvl > zapcore.DebugLevel
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	var opts []zap.Option
	if maskPhones {
		opts = append(opts, zap.WrapCore(gateway.PhoneMaskingCore))
	}
	return cfg.Build(opts...)
}
