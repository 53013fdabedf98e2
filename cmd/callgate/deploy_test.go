package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// No Docker engine or cluster runs here, so these tests hold deploy/ (the Dockerfile, the Helm
// chart in chart_test.go, the compose file in compose_test.go) against what the binary really
// reads and serves: setting names, ports, probe paths, the version stamp.

const deployDir = "../../deploy"

// serveSettings are the environment variables `callgate serve` reads, with their defaults.
func serveSettings() map[string]string {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.register(fs, false)
	settings := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { settings[envName(f.Name)] = f.DefValue })
	return settings
}

// otherEnv are the variables besides CALLGATE_* that deploy/ may give the gateway: OpenTelemetry's
// standard ones (read by the tracing set-up) and the downward API's names they refer to.
func otherEnv(name string) bool {
	return strings.HasPrefix(name, "OTEL_") || name == "POD_NAME" || name == "POD_NAMESPACE"
}

// serveConfigFromEnv is what `callgate serve` makes of env, its only settings: every name must
// be a setting (or otherEnv), and the result must pass the checks serve runs at start.
func serveConfigFromEnv(t *testing.T, where string, env map[string]string) config {
	t.Helper()
	settings := serveSettings()
	for name := range env {
		if _, ok := settings[name]; !ok && !otherEnv(name) {
			t.Errorf("%s: %s is not a setting of callgate serve", where, name)
		}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.register(fs, false)
	if err := parseSettings(fs, nil, envOf(env)); err != nil {
		t.Fatalf("%s: callgate serve would not start: %v", where, err)
	}
	if err := cfg.validateServe(); err != nil {
		t.Fatalf("%s: callgate serve would not start: %v", where, err)
	}
	return cfg
}

// placeholderSecrets stand for the values of Secrets made outside deploy/, so that the settings
// read from them can be checked like the others.
var placeholderSecrets = map[string]string{
	envName("acs-connection-string"): "endpoint=https://placeholder.communication.azure.com/;accesskey=c2VjcmV0LWtleQ==",
	envName("callback-secret"):       "placeholder-callback-secret-0123456789",
	envName("nats-url"):              "nats://nats.placeholder.svc:4222",
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

// listenerPorts are the ports of the four listeners by the names deploy/ gives them.
func listenerPorts(t *testing.T, cfg config) map[string]int {
	t.Helper()
	return map[string]int{"grpc": portOf(t, cfg.GRPCAddr), "http": portOf(t, cfg.HTTPAddr), "callbacks": portOf(t, cfg.CallbacksAddr), "admin": portOf(t, cfg.AdminAddr)}
}

// probePathsAnswer checks that paths answer 200 on the admin listener of a real `callgate dev`.
func probePathsAnswer(t *testing.T, paths ...string) {
	t.Helper()
	admin := startDev(t).admin
	for _, p := range paths {
		resp, err := http.Get("http://" + admin + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("probe path %s answers %d", p, resp.StatusCode)
		}
	}
}

// readYAMLFile decodes the YAML file name (under deploy/) into v.
func readYAMLFile(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// needTool finds a command-line tool the deploy tests run: skipped without it, except in CI.
func needTool(t *testing.T, tool, install string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		skipOrFail(t, tool+" is not on PATH: "+install)
	}
	return path
}

// dockerfile is deploy/Dockerfile.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerfile(t *testing.T) {
	df := dockerfile(t)
	cfg := defaultConfig()
	expose := regexp.MustCompile(`(?m)^EXPOSE\s+(.+)$`).FindStringSubmatch(df)
	if expose == nil {
		t.Fatal("no EXPOSE line")
	}
	got := strings.Fields(expose[1])
	for _, addr := range []string{cfg.GRPCAddr, cfg.HTTPAddr, cfg.CallbacksAddr, cfg.AdminAddr} {
		if p := strconv.Itoa(portOf(t, addr)); !slices.Contains(got, p) {
			t.Errorf("EXPOSE %v misses the default port %s", got, p)
		}
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(user) == 0 || strings.HasPrefix(user[len(user)-1][1], "root") || strings.HasPrefix(user[len(user)-1][1], "0") {
		t.Errorf("the final image must run as a non-root USER, got %v", user)
	}
	for _, env := range regexp.MustCompile(`(?m)^ENV\s+(\w+)=`).FindAllStringSubmatch(df, -1) {
		if _, ok := serveSettings()[env[1]]; !ok {
			t.Errorf("Dockerfile sets %s, which is not a setting of callgate serve", env[1])
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/callgate", `CMD ["serve"]`, "distroless/static", "ARG VERSION", "ARG COMMIT"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The build context leaves .git out, so the version can only come from the build arguments.
	ignore, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(ignore)), ".git") {
		t.Error("Dockerfile.dockerignore does not keep .git out of the build context")
	}
}

// dockerfileLDFlags is the -ldflags value of the Dockerfile's go build, with its build arguments
// replaced by args.
func dockerfileLDFlags(t *testing.T, args map[string]string) string {
	t.Helper()
	m := regexp.MustCompile(`go build [^\n]*(?:\\\n[^\n]*)*?-ldflags="([^"]*)"`).FindStringSubmatch(dockerfile(t))
	if m == nil {
		t.Fatal(`the Dockerfile's go build has no -ldflags="..."`)
	}
	return regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`).ReplaceAllStringFunc(m[1], func(ref string) string {
		name := strings.Trim(ref, "${}")
		v, ok := args[name]
		if !ok {
			t.Errorf("the Dockerfile's -ldflags use %s, which is not a build argument this test knows", ref)
		}
		return v
	})
}

// TestDockerfileStampsTheVersion builds the binary with the Dockerfile's own -ldflags: the linker
// ignores an -X of a name it does not find, so only running the result shows the stamp works.
func TestDockerfileStampsTheVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ldflags := dockerfileLDFlags(t, map[string]string{"VERSION": "9.8.7-test", "COMMIT": "0123456789abcdef"})
	bin := filepath.Join(t.TempDir(), "callgate")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags="+ldflags, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags=%q: %v\n%s", ldflags, err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("callgate version: %v", err)
	}
	if got, want := string(out), "callgate 9.8.7-test (commit 0123456789abcdef)\n"; got != want {
		t.Errorf("the Dockerfile's build prints %q, want %q", got, want)
	}
}

// yamlDocuments decodes every document of a multi-document YAML stream.
func yamlDocuments(t *testing.T, data []byte) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		if len(n.Content) > 0 && n.Content[0].Kind != 0 && !(n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			out = append(out, &n)
		}
	}
}
