package main

import (
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/callgate/callgate/gateway"
)

// newLogger builds the process logger, on stderr: JSON for machines in `serve`, console for people
// in `dev`, coloured only for a person at a terminal. With maskPhones, every line's phone numbers
// are masked, whichever package logs them.
func newLogger(level, format string, maskPhones bool) (*zap.Logger, error) {
	cfg, err := loggerConfig(level, format, logColour(isTerminal(os.Stderr), os.LookupEnv))
	if err != nil {
		return nil, err
	}
	var opts []zap.Option
	if maskPhones {
		opts = append(opts, zap.WrapCore(gateway.PhoneMaskingCore))
	}
	return cfg.Build(opts...)
}

// loggerConfig is newLogger's configuration; colour puts ANSI colours on console levels.
func loggerConfig(level, format string, colour bool) (zap.Config, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return zap.Config{}, err
	}
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
		if colour {
			cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = lvl > zapcore.DebugLevel
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg, nil
}

// logColour decides colours for a terminal only: in a file, a pipe or a log collector the codes
// are noise. NO_COLOR set to anything but "" turns them off there too (https://no-color.org).
func logColour(terminal bool, lookupEnv func(string) (string, bool)) bool {
	if v, ok := lookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	return terminal
}

// isTerminal reports whether f is a character device, as terminals are. The other character
// devices stderr might be, such as /dev/null, show no one the colours; the check needs no
// dependency beyond the standard library.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
