package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/auth"
)

// deploy/compose, read as Docker Compose reads it (YAML with anchors and merge keys), and held
// against the binary, the NATS server's own flag parser, and the files beside it.

var composeDir = filepath.Join(deployDir, "compose")

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	Volumes         []string          `yaml:"volumes"`
	DependsOn       composeDependsOn  `yaml:"depends_on"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	ReadOnly        bool              `yaml:"read_only"`
	CapDrop         []string          `yaml:"cap_drop"`
	Healthcheck     *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// composeDependsOn is depends_on in either of its forms: a list of services, or a map of each to
// its condition.
type composeDependsOn map[string]string

func (d *composeDependsOn) UnmarshalYAML(n *yaml.Node) error {
	*d = composeDependsOn{}
	if n.Kind == yaml.SequenceNode {
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, s := range names {
			(*d)[s] = "service_started"
		}
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for s, c := range m {
		(*d)[s] = c.Condition
	}
	return nil
}

// mount is the host path and container path of a volume of the service, by container path.
func (s composeService) mount(target string) (source string, ok bool) {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target {
			return parts[0], true
		}
	}
	return "", false
}

// flagValue is the value of --name (or -name) in args, as --name value or --name=value.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// hostPort splits a URL's host and port, the port defaulting to def.
func hostPort(t *testing.T, u *url.URL, def int) (string, int) {
	t.Helper()
	if u.Port() == "" {
		return u.Hostname(), def
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return u.Hostname(), p
}

func readCompose(t *testing.T) map[string]composeService {
	t.Helper()
	var f struct {
		Services map[string]composeService `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
	}
	readYAMLFile(t, "compose/compose.yaml", &f)
	// Named volumes must be declared.
	for name, s := range f.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := f.Volumes[src]; !ok {
					t.Errorf("compose: %s mounts volume %s, which is not declared", name, src)
				}
			}
		}
	}
	return f.Services
}

// composeDemoKey is the public API key compose/README.md gives.
func composeDemoKey(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(composeDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^KEY=(cgk_[A-Za-z0-9_-]+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("compose/README.md gives no KEY=cgk_...")
	}
	return string(m[1])
}

func TestComposeMatchesTheBinary(t *testing.T) {
	services := readCompose(t)
	var natsNames, gateways []string
	emulator := ""
	for name, s := range services {
		switch {
		case strings.HasPrefix(s.Image, "nats:"):
			natsNames = append(natsNames, name)
		case len(s.Command) > 0 && s.Command[0] == "serve":
			gateways = append(gateways, name)
		case len(s.Command) > 0 && s.Command[0] == "emulator":
			emulator = name
		}
	}
	slices.Sort(natsNames)
	slices.Sort(gateways)
	if len(natsNames) != 3 || len(gateways) < 2 || emulator == "" {
		t.Fatalf("compose: NATS servers %v, gateways %v, emulator %q; want 3, 2 or more, one", natsNames, gateways, emulator)
	}

	// The NATS cluster, read by nats-server's own flag parser.
	natsOpts := map[string]*server.Options{}
	clusterName := ""
	for _, name := range natsNames {
		s := services[name]
		args := s.Command
		if len(args) > 0 && args[0] == "nats-server" {
			args = args[1:]
		}
		opts, err := server.ConfigureOptions(flag.NewFlagSet(name, flag.ContinueOnError), args, func() {}, func() {}, func() {})
		if err != nil {
			t.Fatalf("compose: %s: nats-server does not take its command %v: %v", name, s.Command, err)
		}
		if opts.Port == 0 {
			opts.Port = server.DEFAULT_PORT
		}
		natsOpts[name] = opts
		if !opts.JetStream || opts.ServerName != name {
			t.Errorf("compose: %s: JetStream %v, server name %q; want JetStream, named for its service", name, opts.JetStream, opts.ServerName)
		}
		if clusterName == "" {
			clusterName = opts.Cluster.Name
		}
		if opts.Cluster.Name == "" || opts.Cluster.Name != clusterName || opts.Cluster.Port == 0 {
			t.Errorf("compose: %s: cluster %q on port %d; want one named cluster", name, opts.Cluster.Name, opts.Cluster.Port)
		}
		if src, ok := s.mount(opts.StoreDir); !ok || opts.StoreDir == "" || strings.HasPrefix(src, ".") {
			t.Errorf("compose: %s: JetStream stores in %q, which is not a named volume", name, opts.StoreDir)
		}
		if s.Healthcheck == nil || !strings.Contains(strings.Join(s.Healthcheck.Test, " "), fmt.Sprintf(":%d/healthz", opts.HTTPPort)) {
			t.Errorf("compose: %s: no health check on its monitoring port %d", name, opts.HTTPPort)
		}
	}
	for _, name := range natsNames {
		var routes, want []string
		for _, u := range natsOpts[name].Routes {
			routes = append(routes, u.Host)
		}
		for _, other := range natsNames {
			want = append(want, net.JoinHostPort(other, strconv.Itoa(natsOpts[other].Cluster.Port)))
		}
		slices.Sort(routes)
		if !slices.Equal(routes, want) {
			t.Errorf("compose: %s routes to %v, want every server %v", name, routes, want)
		}
	}

	em := services[emulator]
	emArgs := em.Command[1:]
	// The emulator takes its flags: parse them all, then stop at -h.
	if err := run(context.Background(), append(append([]string{"emulator"}, emArgs...), "-h"), io.Discard, io.Discard, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("compose: the emulator's command %v: %v", em.Command, err)
	}
	emAddr, _ := flagValue(emArgs, "addr")
	emKey, _ := flagValue(emArgs, "access-key")
	insecureCallbacks := slices.ContainsFunc(emArgs, func(a string) bool {
		return strings.TrimLeft(a, "-") == "allow-insecure-callbacks" || strings.TrimLeft(a, "-") == "allow-insecure-callbacks=true"
	})

	demoKey := composeDemoKey(t)
	collector := services["otel-collector"]
	var otel struct {
		Receivers struct {
			OTLP struct {
				Protocols map[string]struct {
					Endpoint string `yaml:"endpoint"`
				} `yaml:"protocols"`
			} `yaml:"otlp"`
		} `yaml:"receivers"`
		Exporters map[string]any `yaml:"exporters"`
		Service   struct {
			Pipelines map[string]struct {
				Receivers []string `yaml:"receivers"`
				Exporters []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	readYAMLFile(t, "compose/otel-collector.yaml", &otel)

	adminTargets := []string{}
	for _, name := range gateways {
		s := services[name]
		where := "compose " + name
		cfg := serveConfigFromEnv(t, where, s.Environment)
		listeners := listenerPorts(t, cfg)

		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: not built from deploy/Dockerfile", where)
		} else if _, err := os.Stat(filepath.Join(composeDir, s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build context: %v", where, err)
		}
		if s.Image != em.Image {
			t.Errorf("%s: image %s, the emulator's %s: one build for both", where, s.Image, em.Image)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: want a read-only root file system and every capability dropped", where)
		}

		// One event log: every NATS server, each stream on all of them.
		if cfg.NATSReplicas != len(natsNames) {
			t.Errorf("%s: --nats-replicas %d, the cluster has %d servers", where, cfg.NATSReplicas, len(natsNames))
		}
		var urlHosts []string
		for _, u := range strings.Split(cfg.NATSURL, ",") {
			pu, err := url.Parse(strings.TrimSpace(u))
			if err != nil || pu.Scheme != "nats" {
				t.Errorf("%s: --nats-url %q", where, u)
				continue
			}
			host, port := hostPort(t, pu, server.DEFAULT_PORT)
			if o, ok := natsOpts[host]; !ok || o.Port != port {
				t.Errorf("%s: --nats-url names %s, which is not a NATS server's client port", where, pu.Host)
			}
			urlHosts = append(urlHosts, host)
		}
		slices.Sort(urlHosts)
		if !slices.Equal(urlHosts, natsNames) {
			t.Errorf("%s: --nats-url names %v, want every server %v", where, urlHosts, natsNames)
		}
		for _, n := range natsNames {
			if s.DependsOn[n] != "service_healthy" {
				t.Errorf("%s: does not wait for %s to be healthy", where, n)
			}
		}

		// ACS is the emulator, with the emulator's key.
		endpoint, key, err := acs.ParseConnectionString(cfg.ACSConnectionString)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		eu, _ := url.Parse(endpoint)
		host, port := hostPort(t, eu, 80)
		if host != emulator || port != portOf(t, emAddr) {
			t.Errorf("%s: ACS endpoint %s, the emulator is %s on %s", where, endpoint, emulator, emAddr)
		}
		if base64.StdEncoding.EncodeToString(key) != emKey {
			t.Errorf("%s: the connection string's access key is not the emulator's --access-key", where)
		}
		// The emulator calls each gateway back at its public URL, on its callbacks port.
		if want := fmt.Sprintf("http://%s:%d", name, listeners["callbacks"]); cfg.PublicURL != want {
			t.Errorf("%s: --public-url %s, want %s", where, cfg.PublicURL, want)
		}
		if !insecureCallbacks {
			t.Errorf("%s: the emulator refuses http callbacks to %s without --allow-insecure-callbacks", where, cfg.PublicURL)
		}

		// Callers authenticate with the mounted key file, and the README's key is in it.
		src, ok := s.mount(filepath.Dir(cfg.Security.AuthAPIKeysFile))
		if cfg.Security.AuthAPIKeysFile == "" || !ok {
			t.Fatalf("%s: the API key file %q is not in a mounted folder", where, cfg.Security.AuthAPIKeysFile)
		}
		a, err := auth.New(auth.Config{APIKeysFile: filepath.Join(composeDir, src, filepath.Base(cfg.Security.AuthAPIKeysFile))})
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		p, err := a.Authenticate(context.Background(), auth.Credentials{Bearer: demoKey})
		a.Close()
		if err != nil {
			t.Errorf("%s: the key compose/README.md gives is refused: %v", where, err)
		} else {
			for _, perm := range auth.Permissions() {
				if !p.Has(perm) {
					t.Errorf("%s: the README's key lacks %s", where, perm)
				}
			}
		}

		// Published ports are the listeners', on loopback only.
		for _, pm := range s.Ports {
			parts := strings.Split(pm, ":")
			container, _ := strconv.Atoi(parts[len(parts)-1])
			if len(parts) != 3 || parts[0] != "127.0.0.1" || !slices.Contains(mapValues(listeners), container) {
				t.Errorf("%s: publishes %s; want 127.0.0.1:<host>:<one of the listener ports %v>", where, pm, listeners)
			}
		}
		if grace, err := time.ParseDuration(s.StopGracePeriod); err != nil || grace <= cfg.DrainDelay+cfg.ShutdownGrace {
			t.Errorf("%s: stop_grace_period %q, but stopping takes up to %s", where, s.StopGracePeriod, cfg.DrainDelay+cfg.ShutdownGrace)
		}
		adminTargets = append(adminTargets, net.JoinHostPort(name, strconv.Itoa(listeners["admin"])))

		// Traces go to the collector's OTLP receiver of the protocol the gateway speaks.
		ou, err := url.Parse(s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"])
		if err != nil || ou.Host == "" {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT %q", where, s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"])
			continue
		}
		protocol := map[string]string{"grpc": "grpc", "http/protobuf": "http", "http/json": "http"}[s.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"]]
		oh, op := hostPort(t, ou, 0)
		receiver, ok := otel.Receivers.OTLP.Protocols[protocol]
		if _, rp, _ := net.SplitHostPort(receiver.Endpoint); oh != "otel-collector" || !ok || rp != strconv.Itoa(op) {
			t.Errorf("%s: traces to %s (%s), but the collector receives OTLP/%s on %q", where, ou.Host, s.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"], protocol, receiver.Endpoint)
		}
	}

	// Incoming calls go to a gateway's Event Grid webhook, with the callback secret.
	webhook, _ := flagValue(emArgs, "incoming-call-webhook")
	wu, err := url.Parse(webhook)
	if err != nil {
		t.Fatalf("compose: --incoming-call-webhook %q: %v", webhook, err)
	}
	host, port := hostPort(t, wu, 80)
	if gw, ok := services[host]; !ok || !slices.Contains(gateways, host) {
		t.Errorf("compose: the emulator's webhook %s is not a gateway", wu.Host)
	} else {
		cfg := serveConfigFromEnv(t, "compose "+host, gw.Environment)
		if port != portOf(t, cfg.CallbacksAddr) || wu.Path != "/callbacks/eventgrid" || wu.Query().Get("token") != cfg.CallbackSecret {
			t.Errorf("compose: the emulator's webhook %s: want %s's callbacks port, /callbacks/eventgrid, its callback secret", redactToken(wu), host)
		}
	}

	// The collector's configuration is mounted where it is told to read it, and its traces
	// pipeline is complete.
	if cfgPath, ok := flagValue(collector.Command, "config"); !ok {
		t.Error("compose: the collector is given no --config")
	} else if src, ok := collector.mount(cfgPath); !ok || filepath.Base(src) != "otel-collector.yaml" {
		t.Errorf("compose: the collector reads %s, where otel-collector.yaml is not mounted", cfgPath)
	}
	traces, ok := otel.Service.Pipelines["traces"]
	if !ok || !slices.Contains(traces.Receivers, "otlp") || len(traces.Exporters) == 0 {
		t.Errorf("compose: the collector's traces pipeline %+v: want the otlp receiver and an exporter", traces)
	}
	for _, e := range traces.Exporters {
		if _, ok := otel.Exporters[e]; !ok {
			t.Errorf("compose: the traces pipeline exports to %s, which is not configured", e)
		}
	}

	// Prometheus scrapes /metrics on every gateway's admin port.
	prom := services["prometheus"]
	var pc struct {
		ScrapeConfigs []struct {
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAMLFile(t, "compose/prometheus.yml", &pc)
	if cfgPath, ok := flagValue(prom.Command, "config.file"); !ok {
		t.Error("compose: Prometheus is given no --config.file")
	} else if src, ok := prom.mount(cfgPath); !ok || filepath.Base(src) != "prometheus.yml" {
		t.Errorf("compose: Prometheus reads %s, where prometheus.yml is not mounted", cfgPath)
	}
	var scraped []string
	for _, sc := range pc.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			continue
		}
		for _, st := range sc.StaticConfigs {
			scraped = append(scraped, st.Targets...)
		}
	}
	slices.Sort(scraped)
	slices.Sort(adminTargets)
	if !slices.Equal(scraped, adminTargets) {
		t.Errorf("compose: Prometheus scrapes /metrics on %v, want every gateway's admin port %v", scraped, adminTargets)
	}
}

func mapValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func redactToken(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// TestComposeKeyFileWarns: the committed key file says its key is public, and how to make one.
func TestComposeKeyFileWarns(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(composeDir, "auth", "api-keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PUBLIC", "callgate apikey"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("compose/auth/api-keys does not say %q", want)
		}
	}
}
