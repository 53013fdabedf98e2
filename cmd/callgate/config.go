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

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/callbacks"
	"github.com/callgate/callgate/service"
)

// config holds every setting of `callgate serve` and `callgate dev`. Each is a flag with an
// environment-variable twin named by envName; a flag given on the command line wins.
type config struct {
	GRPCAddr      string
	HTTPAddr      string
	CallbacksAddr string
	AdminAddr     string
	PublicURL     string
	LogLevel      string
	LogFormat     string
	ShutdownGrace time.Duration
	DrainDelay    time.Duration

	ACSConnectionString string
	ACSEndpoint         string
	ACSAPIVersion       string

	CallbackSecret   string
	CallbackJWKSURL  string
	CallbackIssuer   string
	CallbackAudience string

	DataDir        string
	NATSURL        string
	NATSReplicas   int
	EventRetention time.Duration
	EventMaxBytes  int64
	EventFsync     bool

	Heartbeat        time.Duration
	MaskPhoneNumbers bool

	Security securityConfig

	// dev only
	EmulatorAddr string
	AnswerDelay  time.Duration
}

// secretFlags are never echoed back, not even in an error about their own value.
var secretFlags = map[string]bool{"acs-connection-string": true, "callback-secret": true, "nats-url": true}

// minSecretLen keeps the callback secret out of reach of guessing.
const minSecretLen = 16

func defaultConfig() config {
	return config{
		GRPCAddr:         ":9090",
		HTTPAddr:         ":8080",
		CallbacksAddr:    ":8081",
		AdminAddr:        ":8082",
		LogLevel:         "info",
		LogFormat:        "json",
		ShutdownGrace:    20 * time.Second,
		DrainDelay:       5 * time.Second,
		ACSAPIVersion:    acs.DefaultAPIVersion,
		CallbackJWKSURL:  callbacks.DefaultJWKSURL,
		CallbackIssuer:   callbacks.DefaultJWTIssuer,
		DataDir:          "callgate-data",
		NATSReplicas:     1,
		EventRetention:   24 * time.Hour,
		EventMaxBytes:    1 << 30,
		Heartbeat:        service.DefaultHeartbeat,
		MaskPhoneNumbers: true,
		Security:         defaultSecurity(),
	}
}

// devConfig is defaultConfig for a laptop: servers on loopback, like the emulator, so that other
// machines reach them only when a flag says so; readable logs, the embedded emulator, phone
// numbers in clear, and the event log in a temporary folder unless --data-dir names one.
func devConfig() config {
	c := defaultConfig()
	c.GRPCAddr = "127.0.0.1:9090"
	c.HTTPAddr = "127.0.0.1:8080"
	c.CallbacksAddr = "127.0.0.1:8081"
	c.AdminAddr = "127.0.0.1:8082"
	c.LogFormat = "console"
	c.DrainDelay = 0
	c.DataDir = ""
	c.MaskPhoneNumbers = false
	c.EmulatorAddr = "127.0.0.1:8090"
	c.AnswerDelay = time.Second
	return c
}

func (c *config) register(fs *flag.FlagSet, dev bool) {
	fs.StringVar(&c.GRPCAddr, "grpc-addr", c.GRPCAddr, "address of the gRPC server")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "address of the REST API and /openapi.json, for internal callers")
	fs.StringVar(&c.CallbacksAddr, "callbacks-addr", c.CallbacksAddr, "address of the callbacks (/callbacks/... and nothing else): the only listener meant to face the internet, where --public-url points")
	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr, "address of /healthz and /readyz, for probes")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: json or console")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "how long SIGTERM waits for requests in flight before closing connections")
	fs.DurationVar(&c.DrainDelay, "drain-delay", c.DrainDelay, "how long SIGTERM keeps serving while /readyz already fails, so load balancers stop sending first")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder of the embedded event log's file store (dev: a temporary folder)")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "NATS cluster holding the event log, shared by every replica (secret: may carry credentials); empty embeds a NATS server")
	fs.IntVar(&c.NATSReplicas, "nats-replicas", c.NATSReplicas, "replicas of the event log's streams in an external NATS cluster")
	fs.DurationVar(&c.EventRetention, "event-retention", c.EventRetention, "how long call events are kept (the oldest resume point)")
	fs.Int64Var(&c.EventMaxBytes, "event-max-bytes", c.EventMaxBytes, "size bound of each event stream; the oldest events go first")
	fs.BoolVar(&c.EventFsync, "event-fsync", c.EventFsync, "embedded event log: fsync each event before its callback is acknowledged (survives a machine crash, about 10x slower); without it an acknowledged event is in the store file and fsynced within two minutes")
	fs.DurationVar(&c.Heartbeat, "heartbeat", c.Heartbeat, "how often an idle WatchCall or WatchIncomingCalls stream carries a heartbeat")
	fs.BoolVar(&c.MaskPhoneNumbers, "mask-phone-numbers", c.MaskPhoneNumbers, "hide the digits of phone numbers in logs")
	c.Security.register(fs)
	if dev {
		fs.StringVar(&c.EmulatorAddr, "emulator-addr", c.EmulatorAddr, "address of the embedded ACS emulator")
		fs.DurationVar(&c.AnswerDelay, "answer-delay", c.AnswerDelay, "how long the emulator's simulated endpoints ring before they answer")
		return
	}
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "(required) base URL at which ACS reaches this gateway's callbacks, e.g. https://callgate.example.com")
	fs.StringVar(&c.ACSConnectionString, "acs-connection-string", c.ACSConnectionString, "(required: this or --acs-endpoint) ACS connection string, endpoint=https://...;accesskey=... (secret)")
	fs.StringVar(&c.ACSEndpoint, "acs-endpoint", c.ACSEndpoint, "(required: this or --acs-connection-string) ACS endpoint, https://<resource>.communication.azure.com, authenticated with Microsoft Entra ID (managed identity, workload identity, ...) instead of a connection string")
	fs.StringVar(&c.ACSAPIVersion, "acs-api-version", c.ACSAPIVersion, "Call Automation api-version")
	fs.StringVar(&c.CallbackSecret, "callback-secret", c.CallbackSecret, "(required) secret the gateway puts in the callback URLs it gives ACS and Event Grid, and requires back (secret; the same on every replica; 16+ characters)")
	fs.StringVar(&c.CallbackJWKSURL, "callback-jwks-url", c.CallbackJWKSURL, "keys that sign ACS's callback tokens")
	fs.StringVar(&c.CallbackIssuer, "callback-issuer", c.CallbackIssuer, "issuer of ACS's callback tokens")
	fs.StringVar(&c.CallbackAudience, "callback-audience", c.CallbackAudience, "audience of ACS's callback tokens: the ACS resource's immutable ID; empty turns token checks off")
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
	addrs := []struct{ flag, value string }{{"grpc-addr", c.GRPCAddr}, {"http-addr", c.HTTPAddr}, {"callbacks-addr", c.CallbacksAddr}, {"admin-addr", c.AdminAddr}}
	if c.EmulatorAddr != "" {
		addrs = append(addrs, struct{ flag, value string }{"emulator-addr", c.EmulatorAddr})
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a.value); err != nil {
			return fmt.Errorf("invalid setting %s: %q is not host:port", settingName(a.flag), a.value)
		}
	}
	if c.PublicURL != "" {
		if err := checkHTTPURL(c.PublicURL); err != nil {
			return fmt.Errorf("invalid setting %s: %w", settingName("public-url"), err)
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
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"shutdown-grace", c.ShutdownGrace}, {"heartbeat", c.Heartbeat}, {"event-retention", c.EventRetention}} {
		if d.value <= 0 {
			return fmt.Errorf("invalid setting %s: must be positive", settingName(d.flag))
		}
	}
	if c.DrainDelay < 0 {
		return fmt.Errorf("invalid setting %s: must not be negative", settingName("drain-delay"))
	}
	if c.EventMaxBytes <= 0 {
		return fmt.Errorf("invalid setting %s: must be positive", settingName("event-max-bytes"))
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return fmt.Errorf("invalid setting %s: must be 1 to 5", settingName("nats-replicas"))
	}
	if c.NATSURL != "" {
		for _, u := range strings.Split(c.NATSURL, ",") {
			if pu, err := url.Parse(strings.TrimSpace(u)); err != nil || pu.Host == "" {
				return fmt.Errorf("invalid setting %s: not a list of nats:// URLs", settingName("nats-url"))
			}
		}
	}
	if c.AnswerDelay < 0 {
		return fmt.Errorf("invalid setting %s: must not be negative", settingName("answer-delay"))
	}
	return c.Security.validate(false)
}

// validateServe adds what production needs on top of validate.
func (c *config) validateServe() error {
	if err := c.validate(); err != nil {
		return err
	}
	switch {
	case c.ACSConnectionString == "" && c.ACSEndpoint == "":
		return fmt.Errorf("missing setting %s, or %s for Microsoft Entra ID", settingName("acs-connection-string"), settingName("acs-endpoint"))
	case c.ACSConnectionString != "" && c.ACSEndpoint != "":
		return fmt.Errorf("invalid settings: give %s or %s, not both", settingName("acs-connection-string"), settingName("acs-endpoint"))
	case c.ACSConnectionString != "":
		if _, _, err := acs.ParseConnectionString(c.ACSConnectionString); err != nil {
			return fmt.Errorf("invalid setting %s: %w", settingName("acs-connection-string"), err)
		}
	default:
		if err := checkHTTPURL(c.ACSEndpoint); err != nil {
			return fmt.Errorf("invalid setting %s: %w", settingName("acs-endpoint"), err)
		}
	}
	if c.PublicURL == "" {
		return fmt.Errorf("missing setting %s: ACS posts call events there", settingName("public-url"))
	}
	// ACS's callbacks can be checked by their JWT, but Event Grid's carry nothing but the URL's
	// secret: it is always required.
	if c.CallbackSecret == "" {
		return fmt.Errorf("missing setting %s: it authenticates callbacks and Event Grid deliveries", settingName("callback-secret"))
	}
	if len(c.CallbackSecret) < minSecretLen {
		return fmt.Errorf("invalid setting %s: shorter than %d characters", settingName("callback-secret"), minSecretLen)
	}
	if c.CallbackAudience != "" {
		if err := checkHTTPURL(c.CallbackJWKSURL); err != nil {
			return fmt.Errorf("invalid setting %s: %w", settingName("callback-jwks-url"), err)
		}
		if c.CallbackIssuer == "" {
			return fmt.Errorf("missing setting %s", settingName("callback-issuer"))
		}
	}
	if c.NATSURL == "" && c.DataDir == "" {
		return fmt.Errorf("missing setting %s: the embedded event log needs a folder", settingName("data-dir"))
	}
	return c.Security.validate(true)
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
