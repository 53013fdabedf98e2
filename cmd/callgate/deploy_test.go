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
	"time"

	"gopkg.in/yaml.v3"
)

// No Docker engine or cluster runs here, so these tests hold deploy/ against what the binary really
// reads and serves: setting names, ports and probe paths.

const deployDir = "../../deploy"

type k8sDeployment struct {
	Spec struct {
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Lifecycle struct {
						PreStop struct {
							Sleep struct {
								Seconds int `yaml:"seconds"`
							} `yaml:"sleep"`
						} `yaml:"preStop"`
					} `yaml:"lifecycle"`
					Args  []string `yaml:"args"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env            []k8sEnv `yaml:"env"`
					LivenessProbe  k8sProbe `yaml:"livenessProbe"`
					ReadinessProbe k8sProbe `yaml:"readinessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sEnv struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sService struct {
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Ports []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// serveSettings are the environment variables `callgate serve` reads, with their defaults.
func serveSettings() map[string]string {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.register(fs, false)
	settings := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { settings[envName(f.Name)] = f.DefValue })
	return settings
}

// readYAMLDocuments reads every document of a multi-document YAML file.
func readYAMLDocuments[T any](t *testing.T, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	dec := yaml.NewDecoder(f)
	for {
		var v T
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
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

func TestKubernetesManifestsMatchTheBinary(t *testing.T) {
	var d k8sDeployment
	readYAML(t, "kubernetes/deployment.yaml", &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args = %v, want [serve]", c.Args)
	}

	settings := serveSettings()
	values := map[string]string{}
	for k, v := range settings {
		values[k] = v
	}
	for _, e := range c.Env {
		if _, ok := settings[e.Name]; !ok {
			t.Errorf("env %s is not a setting of callgate serve", e.Name)
		}
		values[e.Name] = e.Value
		for name := range secretFlags {
			if e.Name == envName(name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("%s must come from a Secret", e.Name)
			}
		}
	}
	for _, required := range []string{"acs-connection-string", "public-url"} {
		if !slices.ContainsFunc(c.Env, func(e k8sEnv) bool { return e.Name == envName(required) }) {
			t.Errorf("the Deployment does not set %s, which serve requires", envName(required))
		}
	}

	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if got, want := ports["grpc"], portOf(t, values[envName("grpc-addr")]); got != want {
		t.Errorf("containerPort grpc = %d, but the gateway listens for gRPC on %d", got, want)
	}
	for name, setting := range map[string]string{"http": "http-addr", "callbacks": "callbacks-addr", "admin": "admin-addr"} {
		if got, want := ports[name], portOf(t, values[envName(setting)]); got != want {
			t.Errorf("containerPort %s = %d, but the gateway listens for it on %d", name, got, want)
		}
	}
	if values[envName("auth-jwks-url")] == "" && values[envName("auth-api-keys-file")] == "" {
		t.Error("the Deployment configures no authentication: serve would refuse to start")
	}

	// The probes name paths the gateway really serves with 200.
	adminAddr := startDev(t).admin
	for _, probe := range []k8sProbe{c.LivenessProbe, c.ReadinessProbe} {
		if probe.HTTPGet.Port != "admin" {
			t.Errorf("probe port %q, want the admin port", probe.HTTPGet.Port)
		}
		resp, err := http.Get("http://" + adminAddr + probe.HTTPGet.Path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("probe path %s answers %d", probe.HTTPGet.Path, resp.StatusCode)
		}
	}
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probes: liveness %s, readiness %s", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
	}

	// The pod is given time for all of its stop: the preStop sleep, the drain delay, the grace.
	drain, err := time.ParseDuration(values[envName("drain-delay")])
	if err != nil {
		t.Fatalf("drain delay %q: %v", values[envName("drain-delay")], err)
	}
	grace, err := time.ParseDuration(values[envName("shutdown-grace")])
	if err != nil {
		t.Fatalf("shutdown grace %q: %v", values[envName("shutdown-grace")], err)
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if preStop == 0 || drain == 0 {
		t.Errorf("preStop sleep %s, drain delay %s: both are needed for load balancers to drain", preStop, drain)
	}
	if need := preStop + drain + grace; time.Duration(d.Spec.Template.Spec.TerminationGracePeriodSeconds)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d, but stopping takes up to %s", d.Spec.Template.Spec.TerminationGracePeriodSeconds, need)
	}

	// Two Services: the API's, and the callbacks' alone (the one an ingress may expose).
	services := readYAMLDocuments[k8sService](t, "kubernetes/service.yaml")
	want := map[string][]string{"callgate-api": {"grpc", "http"}, "callgate-callbacks": {"callbacks"}}
	if len(services) != len(want) {
		t.Fatalf("%d Services, want %d", len(services), len(want))
	}
	for _, s := range services {
		var targets []string
		for _, p := range s.Spec.Ports {
			if _, ok := ports[p.TargetPort]; !ok {
				t.Errorf("Service %s targetPort %q is not a container port", s.Metadata.Name, p.TargetPort)
			}
			targets = append(targets, p.TargetPort)
		}
		slices.Sort(targets)
		if !slices.Equal(targets, want[s.Metadata.Name]) {
			t.Errorf("Service %s targets %v, want %v", s.Metadata.Name, targets, want[s.Metadata.Name])
		}
	}
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
