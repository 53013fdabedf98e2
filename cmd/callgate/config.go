package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// config holds every setting of `callgate serve` and `callgate dev`. Each is a flag with an
// environment-variable twin named by envName; a flag given on the command line wins.
type config struct {
	GRPCAddr            string
	HTTPAddr            string
	ACSConnectionString string
	PublicURL           string
	LogLevel            string
	LogFormat           string
	ShutdownGrace       time.Duration
}

// secretFlags are never echoed back, not even in an error about their own value.
var secretFlags = map[string]bool{"acs-connection-string": true}

func defaultConfig() config {
	return config{
		GRPCAddr:      ":9090",
		HTTPAddr:      ":8080",
		LogLevel:      "info",
		LogFormat:     "json",
		ShutdownGrace: 20 * time.Second,
	}
}

func (c *config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.GRPCAddr, "grpc-addr", c.GRPCAddr, "address of the gRPC server")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "address of the HTTP server: REST, callbacks, /healthz, /readyz, /openapi.json")
	fs.StringVar(&c.ACSConnectionString, "acs-connection-string", c.ACSConnectionString, "ACS connection string, endpoint=https://...;accesskey=... (secret)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL at which ACS reaches this gateway's callbacks, e.g. https://callgate.example.com")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: json or console")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "how long SIGTERM waits for requests in flight before closing connections")
}

// envName is the environment twin of a flag: --grpc-addr is CALLGATE_GRPC_ADDR.
func envName(flagName string) string {
	return "CALLGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingName names a setting the way an operator can find it, in both spellings.
func settingName(flagName string) string {
	return "--" + flagName + " (" + envName(flagName) + ")"
}

// parseSettings parses args into fs after filling every flag not given on the command line from
// its environment twin. lookupEnv is os.LookupEnv outside tests.
func parseSettings(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) error {
	// The flag package would print the whole usage for a bad flag; one line naming it is clearer.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return fmt.Errorf("%w (see '%s -h')", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		v, ok := lookupEnv(envName(f.Name))
		if !ok {
			return
		}
		if err := f.Value.Set(v); err != nil {
			if secretFlags[f.Name] {
				err = errors.New("malformed value")
			}
			errs = append(errs, fmt.Errorf("invalid setting %s: %w", settingName(f.Name), err))
		}
	})
	return errors.Join(errs...)
}

// validate checks the settings every mode shares; the first problem is reported, named.
func (c *config) validate() error {
	for _, a := range []struct{ flag, value string }{{"grpc-addr", c.GRPCAddr}, {"http-addr", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.value); err != nil {
			return fmt.Errorf("invalid setting %s: %q is not host:port", settingName(a.flag), a.value)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("invalid setting %s: %q is not an absolute http(s) URL", settingName("public-url"), c.PublicURL)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("invalid setting %s: %q is not debug, info, warn or error", settingName("log-level"), c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		return fmt.Errorf("invalid setting %s: %q is not json or console", settingName("log-format"), c.LogFormat)
	}
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("invalid setting %s: must be positive", settingName("shutdown-grace"))
	}
	return nil
}

// validateServe adds what production needs on top of validate.
func (c *config) validateServe() error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.ACSConnectionString == "" {
		return fmt.Errorf("missing setting %s", settingName("acs-connection-string"))
	}
	if c.PublicURL == "" {
		return fmt.Errorf("missing setting %s: ACS posts call events there", settingName("public-url"))
	}
	return nil
}
