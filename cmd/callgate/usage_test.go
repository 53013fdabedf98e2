package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"regexp"
	"strings"
	"testing"
)

// usageOf runs `callgate <command> -h` and returns the usage it printed, each flag's help by name.
func usageOf(t *testing.T, command string) (string, map[string]string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{command, "-h"}, &stdout, &stderr, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("%s -h: %v, want flag.ErrHelp", command, err)
	}
	flags := map[string]string{}
	var name string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if m := regexp.MustCompile(`^  -([a-z-]+)`).FindStringSubmatch(l); m != nil {
			name = m[1]
		}
		if name != "" {
			flags[name] += l + "\n"
		}
	}
	if len(flags) == 0 {
		t.Fatalf("%s -h printed no flags:\n%s", command, stderr.String())
	}
	return stderr.String(), flags
}

func TestServeUsageMarksRequiredSettings(t *testing.T) {
	usage, flags := usageOf(t, "serve")
	want := map[string][]string{
		"public-url":            {"(required)"},
		"callback-secret":       {"(required)"},
		"acs-connection-string": {"(required: this or --acs-endpoint)"},
		"acs-endpoint":          {"(required: this or --acs-connection-string)"},
	}
	for name, help := range flags {
		marks, required := want[name]
		if !required && strings.Contains(help, "required") {
			t.Errorf("--%s is not required, but its help says so:\n%s", name, help)
		}
		for _, m := range marks {
			if !strings.Contains(help, m) {
				t.Errorf("--%s's help does not say %q:\n%s", name, m, help)
			}
		}
	}
	for name := range want {
		if flags[name] == "" {
			t.Errorf("serve -h does not list --%s", name)
		}
	}
	// The either/or is explained once, before the flags.
	_, summary, _ := strings.Cut(usage, "\nRequired: ")
	summary, _, _ = strings.Cut(summary, "\n\n")
	for _, s := range []string{"--public-url", "--callback-secret", "one of --acs-connection-string", "or --acs-endpoint", "not both"} {
		if !strings.Contains(summary, s) {
			t.Errorf("serve -h's Required: paragraph does not say %q:\n%s", s, usage)
		}
	}
}

// TestDevUsageRequiresNothing: dev runs on its defaults, and says nothing is required.
func TestDevUsageRequiresNothing(t *testing.T) {
	if usage, _ := usageOf(t, "dev"); strings.Contains(strings.ToLower(usage), "required") {
		t.Errorf("dev -h names a required setting:\n%s", usage)
	}
}

// TestDevListensOnLoopbackByDefault: dev is not reachable from other machines unless a flag says
// so; serve listens on every interface.
func TestDevListensOnLoopbackByDefault(t *testing.T) {
	_, dev := usageOf(t, "dev")
	for _, name := range []string{"grpc-addr", "http-addr", "emulator-addr"} {
		m := regexp.MustCompile(`\(default "([^"]*)"\)`).FindStringSubmatch(dev[name])
		if m == nil {
			t.Errorf("dev -h gives --%s no default:\n%s", name, dev[name])
			continue
		}
		host, _, err := net.SplitHostPort(m[1])
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("dev's --%s defaults to %q, want a loopback address", name, m[1])
		}
	}
	_, serve := usageOf(t, "serve")
	for name, want := range map[string]string{"grpc-addr": `(default ":9090")`, "http-addr": `(default ":8080")`} {
		if !strings.Contains(serve[name], want) {
			t.Errorf("serve's --%s: want %s:\n%s", name, want, serve[name])
		}
	}
}
