package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

// The Helm chart, deploy/helm/callgate, rendered by the helm CLI (.ci/run installs it) and held
// against the binary: the settings it gives are ones serve reads and accepts, its ports and probes
// are the listeners', and its NATS cluster is the one the gateway is pointed at.

var chartDir = filepath.Join(deployDir, "helm", "callgate")

// chartKubeVersion is the cluster version renders assume (the chart needs 1.30+).
const chartKubeVersion = "1.32.0"

const helmInstall = "go install helm.sh/helm/v3/cmd/helm@v3.22.0 (as .ci/run does)"

// helm runs the helm CLI and returns its standard output; an error carries its standard error.
func helm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(needTool(t, "helm", helmInstall), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.Bytes(), stdout.Bytes())
	}
	return stdout.Bytes(), nil
}

// k8sObject is one rendered resource; into decodes it whole.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	node *yaml.Node
}

func (o k8sObject) into(t *testing.T, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
}

// chartRender is the chart rendered for one release.
type chartRender struct {
	name, release, namespace string
	objects                  []k8sObject
}

func (r chartRender) all(kind string) []k8sObject {
	var out []k8sObject
	for _, o := range r.objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r chartRender) find(kind, name string) (k8sObject, bool) {
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return k8sObject{}, false
}

// renderChart runs helm template for release in namespace with args (values files, --set).
func renderChart(t *testing.T, name, release, namespace string, args ...string) (chartRender, error) {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, chartDir, "--namespace", namespace, "--kube-version", chartKubeVersion}, args...)...)
	if err != nil {
		return chartRender{}, err
	}
	r := chartRender{name: name, release: release, namespace: namespace}
	for _, n := range yamlDocuments(t, out) {
		o := k8sObject{node: n}
		if err := n.Decode(&o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.objects = append(r.objects, o)
	}
	return r, nil
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// selects: a non-empty selector whose every label is on labels.
func (s labelSelector) selects(labels map[string]string) bool {
	if len(s.MatchLabels) == 0 {
		return false
	}
	for k, v := range s.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

type k8sEnv struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env       []k8sEnv `yaml:"env"`
	Lifecycle struct {
		PreStop struct {
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	LivenessProbe   k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe  k8sProbe `yaml:"readinessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []k8sVolumeMount `yaml:"volumeMounts"`
}

func (c k8sContainer) ports() map[string]int {
	m := map[string]int{}
	for _, p := range c.Ports {
		m[p.Name] = p.ContainerPort
	}
	return m
}

type k8sVolumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
}

type k8sVolume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

type k8sTopologySpread struct {
	TopologyKey   string        `yaml:"topologyKey"`
	LabelSelector labelSelector `yaml:"labelSelector"`
}

type k8sServicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort any    `yaml:"targetPort"`
}

type ingressTLS struct {
	Hosts      []string `yaml:"hosts"`
	SecretName string   `yaml:"secretName"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		Volumes                   []k8sVolume         `yaml:"volumes"`
		Containers                []k8sContainer      `yaml:"containers"`
		TopologySpreadConstraints []k8sTopologySpread `yaml:"topologySpreadConstraints"`
	} `yaml:"spec"`
}

type k8sWorkload struct {
	Spec struct {
		Replicas             *int           `yaml:"replicas"`
		ServiceName          string         `yaml:"serviceName"`
		Selector             labelSelector  `yaml:"selector"`
		Template             k8sPodTemplate `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				Resources struct {
					Requests map[string]string `yaml:"requests"`
				} `yaml:"resources"`
			} `yaml:"spec"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type k8sService struct {
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		Type      string            `yaml:"type"`
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []k8sServicePort  `yaml:"ports"`
	} `yaml:"spec"`
}

type npPeer struct {
	PodSelector       *labelSelector `yaml:"podSelector"`
	NamespaceSelector *labelSelector `yaml:"namespaceSelector"`
	IPBlock           *struct {
		CIDR string `yaml:"cidr"`
	} `yaml:"ipBlock"`
}

type npRule struct {
	Ports []struct {
		Port     any    `yaml:"port"`
		Protocol string `yaml:"protocol"`
	} `yaml:"ports"`
	From []npPeer `yaml:"from"`
	To   []npPeer `yaml:"to"`
}

type k8sNetworkPolicy struct {
	Spec struct {
		PodSelector labelSelector `yaml:"podSelector"`
		PolicyTypes []string      `yaml:"policyTypes"`
		Ingress     []npRule      `yaml:"ingress"`
		Egress      []npRule      `yaml:"egress"`
	} `yaml:"spec"`
}

// portNumber is a port given by number or by the name of one of ports.
func portNumber(p any, ports map[string]int) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		return ports[v]
	}
	return 0
}

// quantityBytes reads a Kubernetes storage quantity such as 10Gi.
func quantityBytes(t *testing.T, q string) int64 {
	t.Helper()
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"", 1}} {
		if num, ok := strings.CutSuffix(q, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				t.Fatalf("storage quantity %q: %v", q, err)
			}
			return n * u.mul
		}
	}
	return 0
}

// chartSecretValue is the value a secretKeyRef reads: from a Secret the chart makes, else a
// placeholder for the Secrets an operator makes.
func chartSecretValue(t *testing.T, r chartRender, env, name, key string) (string, bool) {
	t.Helper()
	if o, ok := r.find("Secret", name); ok {
		var s struct {
			StringData map[string]string `yaml:"stringData"`
		}
		o.into(t, &s)
		v, ok := s.StringData[key]
		if !ok {
			t.Errorf("%s: %s reads key %s of Secret %s, which the chart makes without it", r.name, env, key, name)
		}
		return v, true
	}
	v, ok := placeholderSecrets[env]
	return v, ok
}

// checkChart holds one render against the binary and returns the gateway's settings.
func checkChart(t *testing.T, r chartRender, wantTag string) config {
	t.Helper()
	fullname := "callgate"
	if !strings.Contains(r.release, "callgate") {
		fullname = r.release + "-callgate"
	}
	deployments := r.all("Deployment")
	if len(deployments) != 1 {
		t.Fatalf("%s: %d Deployments, want the gateway's only", r.name, len(deployments))
	}
	var dep k8sWorkload
	deployments[0].into(t, &dep)
	pod := dep.Spec.Template
	podLabels := pod.Metadata.Labels
	if !dep.Spec.Selector.selects(podLabels) {
		t.Errorf("%s: the Deployment's selector %v does not select its pods %v", r.name, dep.Spec.Selector.MatchLabels, podLabels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", r.name, len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("%s: args = %v, want [serve]", r.name, c.Args)
	}
	if _, tag, _ := strings.Cut(strings.Split(c.Image, "@")[0], ":"); tag != wantTag || tag == "latest" {
		t.Errorf("%s: image %s, want the tag %s", r.name, c.Image, wantTag)
	}

	// The settings, as serve reads them.
	env := map[string]string{}
	for _, e := range c.Env {
		flagName := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(e.Name, "CALLGATE_")), "_", "-")
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := chartSecretValue(t, r, e.Name, ref.Name, ref.Key)
			if !ok {
				t.Errorf("%s: %s reads Secret %s, which is neither the chart's nor one this test knows", r.name, e.Name, ref.Name)
			}
			env[e.Name] = v
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			env[e.Name] = "from-" + e.ValueFrom.FieldRef.FieldPath
		default:
			if secretFlags[flagName] && strings.HasPrefix(e.Name, "CALLGATE_") {
				t.Errorf("%s: %s is inlined: a secret setting must come from a Secret", r.name, e.Name)
			}
			env[e.Name] = e.Value
		}
	}
	cfg := serveConfigFromEnv(t, "chart "+r.name, env)

	// Ports and probes are the listeners'.
	ports := c.ports()
	listeners := listenerPorts(t, cfg)
	if len(ports) != len(listeners) {
		t.Errorf("%s: container ports %v, want the listeners %v", r.name, ports, listeners)
	}
	for name, want := range listeners {
		if ports[name] != want {
			t.Errorf("%s: containerPort %s = %d, but the gateway listens for it on %d", r.name, name, ports[name], want)
		}
	}
	for _, p := range []struct {
		probe k8sProbe
		path  string
	}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
		if p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || portNumber(p.probe.HTTPGet.Port, ports) != listeners["admin"] {
			t.Errorf("%s: a probe is %+v, want GET %s on the admin port", r.name, p.probe.HTTPGet, p.path)
		}
	}

	// The pod is given time for all of its stop.
	if c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 || cfg.DrainDelay <= 0 {
		t.Errorf("%s: preStop sleep %+v, drain delay %s: both are needed for load balancers to drain", r.name, c.Lifecycle.PreStop.Sleep, cfg.DrainDelay)
	} else if need := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + cfg.DrainDelay + cfg.ShutdownGrace; time.Duration(pod.Spec.TerminationGracePeriodSeconds)*time.Second <= need {
		t.Errorf("%s: terminationGracePeriodSeconds %d, but stopping takes up to %s", r.name, pod.Spec.TerminationGracePeriodSeconds, need)
	}

	// Non-root, read-only, no privilege.
	sc := c.SecurityContext
	if pod.Spec.SecurityContext.RunAsNonRoot == nil || !*pod.Spec.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: the pod does not require a non-root user", r.name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container security context %+v: want a read-only root, no privilege escalation, every capability dropped", r.name, sc)
	}

	// Files the settings name are in Secrets mounted as folders (a subPath would never update).
	for setting, file := range map[string]string{"auth-api-keys-file": cfg.Security.AuthAPIKeysFile, "tls-cert-file": cfg.Security.TLSCertFile, "tls-key-file": cfg.Security.TLSKeyFile, "tls-client-ca-file": cfg.Security.TLSClientCAFile} {
		if file == "" {
			continue
		}
		i := slices.IndexFunc(c.VolumeMounts, func(m k8sVolumeMount) bool {
			return m.MountPath == filepath.Dir(file) && m.SubPath == ""
		})
		if i < 0 {
			t.Errorf("%s: %s is %s, but no volume is mounted at %s", r.name, envName(setting), file, filepath.Dir(file))
			continue
		}
		j := slices.IndexFunc(pod.Spec.Volumes, func(v k8sVolume) bool {
			return v.Name == c.VolumeMounts[i].Name && v.Secret != nil
		})
		if j < 0 {
			t.Errorf("%s: %s is mounted from %s, which is not a Secret volume", r.name, envName(setting), c.VolumeMounts[i].Name)
		}
	}

	// Spread over zones and nodes.
	for _, key := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
		if !slices.ContainsFunc(pod.Spec.TopologySpreadConstraints, func(tc k8sTopologySpread) bool {
			return tc.TopologyKey == key && tc.LabelSelector.selects(podLabels)
		}) {
			t.Errorf("%s: the gateway's pods are not spread over %s", r.name, key)
		}
	}

	// Three Services of the gateway: the API's, the callbacks' alone, the admin port's alone.
	services := map[string]k8sService{}
	for _, o := range r.all("Service") {
		var s k8sService
		o.into(t, &s)
		if !(labelSelector{MatchLabels: s.Spec.Selector}).selects(podLabels) {
			continue
		}
		services[s.Metadata.Name] = s
		var targets []string
		for _, p := range s.Spec.Ports {
			name, _ := p.TargetPort.(string)
			if _, ok := ports[name]; !ok {
				t.Errorf("%s: Service %s targetPort %v is not a named container port", r.name, s.Metadata.Name, p.TargetPort)
			}
			if p.Port != ports[name] {
				t.Errorf("%s: Service %s port %s is %d, the container's %d", r.name, s.Metadata.Name, name, p.Port, ports[name])
			}
			targets = append(targets, name)
		}
		slices.Sort(targets)
		want := map[string][]string{fullname + "-api": {"grpc", "http"}, fullname + "-callbacks": {"callbacks"}, fullname + "-admin": {"admin"}}[s.Metadata.Name]
		if !slices.Equal(targets, want) {
			t.Errorf("%s: Service %s targets %v, want %v", r.name, s.Metadata.Name, targets, want)
		}
		if s.Metadata.Name == fullname+"-api" && s.Spec.Type != "ClusterIP" {
			t.Errorf("%s: the API Service is %s: keep it inside the cluster", r.name, s.Spec.Type)
		}
	}
	if len(services) != 3 {
		t.Errorf("%s: Services of the gateway %v, want %s-api, -callbacks and -admin", r.name, keys(services), fullname)
	}

	// The Ingress routes /callbacks/ to the callbacks Service, nothing else, over TLS, at the host
	// the gateway gives ACS.
	ingresses := r.all("Ingress")
	if len(ingresses) != 1 {
		t.Errorf("%s: %d Ingresses, want one for the callbacks", r.name, len(ingresses))
	}
	for _, o := range ingresses {
		var ing struct {
			Spec struct {
				TLS   []ingressTLS `yaml:"tls"`
				Rules []struct {
					Host string `yaml:"host"`
					HTTP struct {
						Paths []struct {
							Path     string `yaml:"path"`
							PathType string `yaml:"pathType"`
							Backend  struct {
								Service struct {
									Name string `yaml:"name"`
									Port struct {
										Name   string `yaml:"name"`
										Number int    `yaml:"number"`
									} `yaml:"port"`
								} `yaml:"service"`
							} `yaml:"backend"`
						} `yaml:"paths"`
					} `yaml:"http"`
				} `yaml:"rules"`
			} `yaml:"spec"`
		}
		o.into(t, &ing)
		public, err := url.Parse(cfg.PublicURL)
		if err != nil || public.Scheme != "https" {
			t.Errorf("%s: --public-url %q is not https", r.name, cfg.PublicURL)
		}
		for _, rule := range ing.Spec.Rules {
			if !slices.ContainsFunc(ing.Spec.TLS, func(tls ingressTLS) bool {
				return slices.Contains(tls.Hosts, rule.Host) && tls.SecretName != ""
			}) {
				t.Errorf("%s: the Ingress serves %s without TLS", r.name, rule.Host)
			}
			if public != nil && public.Host != rule.Host {
				t.Errorf("%s: the Ingress's host %s is not --public-url's %s", r.name, rule.Host, cfg.PublicURL)
			}
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if p.Path != "/callbacks/" || p.PathType != "Prefix" || b.Name != fullname+"-callbacks" || (b.Port.Name != "callbacks" && b.Port.Number != listeners["callbacks"]) {
					t.Errorf("%s: the Ingress routes %s (%s) to %s port %+v; want only /callbacks/ (Prefix) to %s-callbacks", r.name, p.Path, p.PathType, b.Name, b.Port, fullname)
				}
			}
		}
	}

	// Disruption budget and autoscaler.
	pdbs := 0
	for _, o := range r.all("PodDisruptionBudget") {
		var pdb struct {
			Spec struct {
				Selector labelSelector `yaml:"selector"`
			} `yaml:"spec"`
		}
		o.into(t, &pdb)
		if pdb.Spec.Selector.selects(podLabels) {
			pdbs++
		}
	}
	if pdbs != 1 {
		t.Errorf("%s: %d PodDisruptionBudgets select the gateway, want 1", r.name, pdbs)
	}
	for _, o := range r.all("HorizontalPodAutoscaler") {
		var hpa struct {
			Spec struct {
				ScaleTargetRef struct {
					Kind string `yaml:"kind"`
					Name string `yaml:"name"`
				} `yaml:"scaleTargetRef"`
				MinReplicas int `yaml:"minReplicas"`
			} `yaml:"spec"`
		}
		o.into(t, &hpa)
		if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != deployments[0].Metadata.Name || hpa.Spec.MinReplicas < 2 {
			t.Errorf("%s: the autoscaler %+v: want the gateway's Deployment, 2 replicas or more", r.name, hpa.Spec)
		}
		if dep.Spec.Replicas != nil {
			t.Errorf("%s: the Deployment sets replicas, which would fight the autoscaler", r.name)
		}
	}

	// The NetworkPolicy: callbacks from anywhere (or those named), the API and the admin port
	// only from named peers; out to DNS, NATS and HTTPS.
	var np *k8sNetworkPolicy
	for _, o := range r.all("NetworkPolicy") {
		var p k8sNetworkPolicy
		o.into(t, &p)
		if p.Spec.PodSelector.selects(podLabels) {
			np = &p
		}
	}
	if np == nil {
		t.Errorf("%s: no NetworkPolicy selects the gateway's pods", r.name)
	} else {
		allowed := map[int]bool{}
		for _, rule := range np.Spec.Ingress {
			if len(rule.Ports) == 0 {
				t.Errorf("%s: an ingress rule of the NetworkPolicy opens every port", r.name)
			}
			for _, p := range rule.Ports {
				n := portNumber(p.Port, ports)
				allowed[n] = true
				if n != listeners["callbacks"] && len(rule.From) == 0 {
					t.Errorf("%s: the NetworkPolicy lets anyone reach port %v; only the callbacks may be", r.name, p.Port)
				}
			}
		}
		for name, n := range listeners {
			if !allowed[n] {
				t.Errorf("%s: the NetworkPolicy lets no one reach the %s port", r.name, name)
			}
		}
		egress := map[int]npRule{}
		for _, rule := range np.Spec.Egress {
			for _, p := range rule.Ports {
				egress[portNumber(p.Port, nil)] = rule
			}
		}
		for _, n := range []int{53, 443} {
			if _, ok := egress[n]; !ok {
				t.Errorf("%s: the NetworkPolicy lets the gateway reach nothing on port %d", r.name, n)
			}
		}
		for _, u := range strings.Split(cfg.NATSURL, ",") {
			pu, _ := url.Parse(strings.TrimSpace(u))
			if n, _ := strconv.Atoi(pu.Port()); egress[n].Ports == nil {
				t.Errorf("%s: the NetworkPolicy does not let the gateway reach NATS on %s", r.name, pu.Host)
			}
		}
	}

	// The ServiceMonitor scrapes /metrics on the admin Service's admin port.
	for _, o := range r.all("ServiceMonitor") {
		var sm struct {
			Spec struct {
				Selector  labelSelector `yaml:"selector"`
				Endpoints []struct {
					Port string `yaml:"port"`
					Path string `yaml:"path"`
				} `yaml:"endpoints"`
			} `yaml:"spec"`
		}
		o.into(t, &sm)
		var selected []string
		for name, s := range services {
			if sm.Spec.Selector.selects(s.Metadata.Labels) {
				selected = append(selected, name)
			}
		}
		if !slices.Equal(selected, []string{fullname + "-admin"}) {
			t.Errorf("%s: the ServiceMonitor selects %v, want %s-admin alone", r.name, selected, fullname)
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("%s: the ServiceMonitor scrapes %+v, want /metrics on port admin", r.name, sm.Spec.Endpoints)
		}
	}

	if sts := r.all("StatefulSet"); len(sts) > 0 {
		checkChartNATS(t, r, cfg, sts, podLabels)
	}
	return cfg
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkChartNATS holds the bundled NATS cluster against the gateway's --nats-url and
// --nats-replicas, reading its configuration with the NATS server's own parser.
func checkChartNATS(t *testing.T, r chartRender, cfg config, objects []k8sObject, gatewayLabels map[string]string) {
	t.Helper()
	if len(objects) != 1 {
		t.Fatalf("%s: %d StatefulSets, want the NATS cluster's only", r.name, len(objects))
	}
	name := objects[0].Metadata.Name
	var sts k8sWorkload
	objects[0].into(t, &sts)
	labels := sts.Spec.Template.Metadata.Labels
	replicas := 1
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	if replicas < 3 {
		t.Errorf("%s: %d NATS servers: a cluster that survives the loss of one needs 3", r.name, replicas)
	}
	if cfg.NATSReplicas > replicas {
		t.Errorf("%s: --nats-replicas %d, but the NATS cluster has %d servers", r.name, cfg.NATSReplicas, replicas)
	}
	ci := slices.IndexFunc(sts.Spec.Template.Spec.Containers, func(c k8sContainer) bool { return c.Name == "nats" })
	if ci < 0 {
		t.Fatalf("%s: the StatefulSet %s has no nats container", r.name, name)
	}
	nats := sts.Spec.Template.Spec.Containers[ci]
	natsPorts := nats.ports()

	// Each server on its own volume.
	if len(sts.Spec.VolumeClaimTemplates) == 0 {
		t.Fatalf("%s: the NATS servers have no PersistentVolumeClaim", r.name)
	}
	pvc := sts.Spec.VolumeClaimTemplates[0]
	var storeMount string
	for _, m := range nats.VolumeMounts {
		if m.Name == pvc.Metadata.Name {
			storeMount = m.MountPath
		}
	}

	// A headless Service for the routes, a budget keeping a quorum.
	var headless *k8sService
	natsServices := map[string]k8sService{}
	for _, o := range r.all("Service") {
		var s k8sService
		o.into(t, &s)
		if !(labelSelector{MatchLabels: s.Spec.Selector}).selects(labels) {
			continue
		}
		if s.Metadata.Name == sts.Spec.ServiceName {
			headless = &s
		} else {
			natsServices[s.Metadata.Name] = s
		}
	}
	if headless == nil || headless.Spec.ClusterIP != "None" {
		t.Errorf("%s: the StatefulSet's service %s is not a headless Service of its pods", r.name, sts.Spec.ServiceName)
	}
	if !slices.ContainsFunc(r.all("PodDisruptionBudget"), func(o k8sObject) bool {
		var pdb struct {
			Spec struct {
				Selector labelSelector `yaml:"selector"`
			} `yaml:"spec"`
		}
		o.into(t, &pdb)
		return pdb.Spec.Selector.selects(labels)
	}) {
		t.Errorf("%s: no PodDisruptionBudget keeps a quorum of NATS servers", r.name)
	}

	// The server's configuration, as nats-server reads it.
	var confName string
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == "config" && v.ConfigMap != nil {
			confName = v.ConfigMap.Name
		}
	}
	o, ok := r.find("ConfigMap", confName)
	if !ok {
		t.Fatalf("%s: the NATS config ConfigMap %q is not rendered", r.name, confName)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	o.into(t, &cm)
	confFile := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(confFile, []byte(cm.Data["nats.conf"]), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SERVER_NAME", name+"-0")
	opts, err := server.ProcessConfigFile(confFile)
	if err != nil {
		t.Fatalf("%s: nats-server does not read the chart's nats.conf: %v\n%s", r.name, err, cm.Data["nats.conf"])
	}
	if !opts.JetStream {
		t.Errorf("%s: JetStream is off", r.name)
	}
	if opts.StoreDir == "" || opts.StoreDir != storeMount {
		t.Errorf("%s: JetStream stores in %q, but the PersistentVolumeClaim is mounted at %q", r.name, opts.StoreDir, storeMount)
	}
	if opts.Port != natsPorts["nats"] || opts.Cluster.Port != natsPorts["cluster"] {
		t.Errorf("%s: nats-server listens on %d (clients) and %d (routes), the container's ports are %v", r.name, opts.Port, opts.Cluster.Port, natsPorts)
	}
	var routes, wantRoutes []string
	for _, u := range opts.Routes {
		routes = append(routes, u.Host)
	}
	for i := range replicas {
		wantRoutes = append(wantRoutes, fmt.Sprintf("%s-%d.%s:%d", name, i, sts.Spec.ServiceName, opts.Cluster.Port))
	}
	slices.Sort(routes)
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("%s: the NATS routes are %v, want every server of the StatefulSet %v", r.name, routes, wantRoutes)
	}
	// Both event streams (calls and incoming calls), each up to --event-max-bytes, fit on every
	// server: with --nats-replicas equal to the cluster's size each holds a copy of both.
	need := 2 * cfg.EventMaxBytes
	if opts.JetStreamMaxStore < need || quantityBytes(t, pvc.Spec.Resources.Requests["storage"]) < need {
		t.Errorf("%s: JetStream may store %d bytes on a %s volume; the event streams may take %d", r.name, opts.JetStreamMaxStore, pvc.Spec.Resources.Requests["storage"], need)
	}

	// With NetworkPolicies, the servers take clients from the gateway and routes from each other.
	for _, o := range r.all("NetworkPolicy") {
		var np k8sNetworkPolicy
		o.into(t, &np)
		if !np.Spec.PodSelector.selects(labels) {
			continue
		}
		for _, want := range []struct {
			port   int
			peer   map[string]string
			reason string
		}{{opts.Port, gatewayLabels, "the gateway's clients"}, {opts.Cluster.Port, labels, "the other servers' routes"}} {
			if !slices.ContainsFunc(np.Spec.Ingress, func(rule npRule) bool {
				return slices.ContainsFunc(rule.Ports, func(p struct {
					Port     any    `yaml:"port"`
					Protocol string `yaml:"protocol"`
				}) bool {
					return portNumber(p.Port, natsPorts) == want.port
				}) && slices.ContainsFunc(rule.From, func(peer npPeer) bool {
					return peer.NamespaceSelector == nil && peer.PodSelector != nil && peer.PodSelector.selects(want.peer)
				})
			}) {
				t.Errorf("%s: NetworkPolicy %s does not let %s reach the NATS servers on %d", r.name, o.Metadata.Name, want.reason, want.port)
			}
		}
	}

	// --nats-url names the cluster's client Service, on its client port.
	for _, u := range strings.Split(cfg.NATSURL, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || pu.Scheme != "nats" {
			t.Errorf("%s: --nats-url %q is not a nats:// URL", r.name, u)
			continue
		}
		host := strings.TrimSuffix(strings.TrimSuffix(pu.Hostname(), ".cluster.local"), "."+r.namespace+".svc")
		s, ok := natsServices[host]
		if !ok {
			t.Errorf("%s: --nats-url names %s, which is not a Service of the NATS servers %v", r.name, pu.Hostname(), keys(natsServices))
			continue
		}
		port, _ := strconv.Atoi(pu.Port())
		if !slices.ContainsFunc(s.Spec.Ports, func(p k8sServicePort) bool {
			return p.Port == port && portNumber(p.TargetPort, natsPorts) == opts.Port
		}) {
			t.Errorf("%s: --nats-url's port %d is not the client port of Service %s", r.name, port, s.Metadata.Name)
		}
	}
}

// chartAppVersion is the chart's appVersion, the default image tag.
func chartAppVersion(t *testing.T) string {
	t.Helper()
	var chart struct {
		AppVersion string `yaml:"appVersion"`
	}
	readYAMLFile(t, "helm/callgate/Chart.yaml", &chart)
	return chart.AppVersion
}

func TestChartMatchesTheBinary(t *testing.T) {
	appVersion := chartAppVersion(t)
	for _, tc := range []struct {
		name, release, namespace string
		args                     []string
		check                    func(t *testing.T, cfg config, r chartRender)
	}{
		{"default values", "callgate", "callgate", nil, func(t *testing.T, cfg config, r chartRender) {
			if cfg.NATSReplicas != 3 || len(r.all("StatefulSet")) != 1 {
				t.Errorf("--nats-replicas %d: want 3, on the bundled cluster", cfg.NATSReplicas)
			}
			if cfg.Security.AuthAPIKeysFile == "" {
				t.Error("the defaults configure no API key file")
			}
		}},
		{"production values", "voice", "telephony", []string{"-f", filepath.Join(chartDir, "values-production.yaml")}, func(t *testing.T, cfg config, r chartRender) {
			if cfg.NATSReplicas != 3 || cfg.Security.AuthJWKSURL == "" || cfg.CallbackAudience == "" || len(r.all("ServiceMonitor")) != 1 {
				t.Errorf("production: --nats-replicas %d, JWKS %q, callback audience %q, %d ServiceMonitors", cfg.NATSReplicas, cfg.Security.AuthJWKSURL, cfg.CallbackAudience, len(r.all("ServiceMonitor")))
			}
		}},
		{"NATS elsewhere, Entra ID for ACS, mTLS, a later grace", "callgate", "callgate", []string{
			"--set", "nats.enabled=false", "--set", "eventLog.natsURL.existingSecret=callgate-nats",
			"--set", "networkPolicy.externalNATS.to[0].namespaceSelector.matchLabels.name=nats",
			"--set", "acs.connectionString.existingSecret=", "--set", "acs.endpoint=https://contoso.communication.azure.com",
			"--set", "auth.apiKeys.existingSecret=", "--set", "tls.existingSecret=callgate-tls", "--set", "tls.clientCA=true",
			"--set", "shutdown.graceSeconds=45", "--set", "autoscaling.enabled=false", "--set", "image.tag=1.2.3",
		}, func(t *testing.T, cfg config, r chartRender) {
			if cfg.ACSEndpoint == "" || cfg.Security.TLSClientCAFile == "" || cfg.ShutdownGrace != 45*time.Second || len(r.all("StatefulSet")) != 0 {
				t.Errorf("endpoint %q, client CA %q, grace %s, %d StatefulSets", cfg.ACSEndpoint, cfg.Security.TLSClientCAFile, cfg.ShutdownGrace, len(r.all("StatefulSet")))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := renderChart(t, tc.name, tc.release, tc.namespace, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			wantTag := appVersion
			if i := slices.Index(tc.args, "image.tag=1.2.3"); i >= 0 {
				wantTag = "1.2.3"
			}
			cfg := checkChart(t, r, wantTag)
			tc.check(t, cfg, r)
		})
	}
	// The probe paths and the ServiceMonitor's answer on the real admin listener.
	probePathsAnswer(t, "/healthz", "/readyz", "/metrics")
}

// TestChartRefuses: the chart fails to render what serve would refuse to start with, and what
// would inline a secret or lose events.
func TestChartRefuses(t *testing.T) {
	cases := []struct {
		name string
		set  []string
		want string
	}{
		{"no authentication", []string{"auth.apiKeys.existingSecret="}, "refuses to start without authentication"},
		{"half the token settings", []string{"auth.oidc.issuer=https://login.example"}, "issuer, audience and jwksURL"},
		{"both ACS credentials", []string{"acs.endpoint=https://contoso.communication.azure.com"}, "not both"},
		{"no callback secret", []string{"callbacks.secret.existingSecret="}, "callbacks.secret.existingSecret"},
		{"no event log cluster", []string{"nats.enabled=false"}, "event log needs"},
		{"more stream replicas than servers", []string{"eventLog.replicas=4"}, "more than the NATS servers"},
		{"an image called latest", []string{"image.tag=latest"}, "latest"},
		{"no public URL", []string{"ingress.enabled=false"}, "publicURL is required"},
		{"a setting the chart owns", []string{"settings.grpc-addr=:1234"}, "settings.grpc-addr"},
	}
	for name := range secretFlags {
		cases = append(cases, struct {
			name string
			set  []string
			want string
		}{"secret " + name + " inlined", []string{"settings." + name + "=x"}, "settings." + name})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			_, err := renderChart(t, tc.name, "callgate", "callgate", args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template --set %v: %v; want a failure saying %q", tc.set, err, tc.want)
			}
		})
	}
}

func TestChartLints(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", filepath.Join(chartDir, "values-production.yaml")}} {
		if out, err := helm(t, append([]string{"lint", "--strict", "--kube-version", chartKubeVersion, chartDir}, args...)...); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	}
}

// TestChartValuesDocumented: every value of values.yaml has a comment, on itself or on the key
// that holds it.
func TestChartValuesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node, path string, parentDocumented bool)
	walk = func(n *yaml.Node, path string, parentDocumented bool) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := strings.TrimPrefix(path+"."+k.Value, ".")
			documented := k.HeadComment != "" || k.LineComment != "" || v.LineComment != ""
			if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
				walk(v, p, documented)
				continue
			}
			if !documented && !parentDocumented {
				t.Errorf("values.yaml: %s has no comment", p)
			}
		}
	}
	walk(doc.Content[0], "", false)
}

// TestChartVendorsNATS: the NATS chart in charts/ is the version Chart.yaml depends on, with
// its licence.
func TestChartVendorsNATS(t *testing.T) {
	var chart, nats struct {
		Version      string `yaml:"version"`
		Dependencies []struct {
			Name    string `yaml:"name"`
			Version string `yaml:"version"`
		} `yaml:"dependencies"`
	}
	readYAMLFile(t, "helm/callgate/Chart.yaml", &chart)
	readYAMLFile(t, "helm/callgate/charts/nats/Chart.yaml", &nats)
	if len(chart.Dependencies) != 1 || chart.Dependencies[0].Name != "nats" || chart.Dependencies[0].Version != nats.Version {
		t.Errorf("Chart.yaml depends on %+v, charts/nats is version %s", chart.Dependencies, nats.Version)
	}
	for _, f := range []string{"LICENSE", "VENDORED.md"} {
		if _, err := os.Stat(filepath.Join(chartDir, "charts", "nats", f)); err != nil {
			t.Error(err)
		}
	}
	if v := chartAppVersion(t); v == "" || strings.Contains(v, "latest") {
		t.Errorf("appVersion %q: the image tag the chart deploys", v)
	}
}
