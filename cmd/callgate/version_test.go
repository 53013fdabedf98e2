package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}
	}
	for _, tc := range []struct {
		name                    string
		linkVersion, linkCommit string
		bi                      *debug.BuildInfo
		wantVersion, wantCommit string
	}{
		{"no build info", "", "", nil, "dev", "unknown"},
		{"go build in a checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("4b059aa0")}, "dev", "4b059aa0"},
		{"go install at a version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0", "unknown"},
		{"release build", "1.4.0", "0123abcd", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("4b059aa0")}, "1.4.0", "0123abcd"},
		{"version given, commit left to the VCS stamp", "1.4.0", "", &debug.BuildInfo{Settings: vcs("4b059aa0")}, "1.4.0", "4b059aa0"},
		{"commit given, no version", "", "0123abcd", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", "0123abcd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, c := resolveVersion(tc.linkVersion, tc.linkCommit, tc.bi)
			if v != tc.wantVersion || c != tc.wantCommit {
				t.Errorf("resolveVersion = %q, %q; want %q, %q", v, c, tc.wantVersion, tc.wantCommit)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("version: %v", err)
	}
	v, c := versionInfo()
	if got, want := stdout.String(), "callgate "+v+" (commit "+c+")\n"; got != want {
		t.Errorf("version printed %q, want %q", got, want)
	}
	// A test binary is not linked with -X: it reports what the toolchain knows.
	if version == "" && v != "dev" {
		t.Errorf("unstamped test binary reports version %q, want dev", v)
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"version", "--short"}, &stdout, &stderr, noEnv); !errors.Is(err, errUsage) {
		t.Errorf("version --short: %v, want a usage error", err)
	}
	if err := run(context.Background(), []string{"version", "-h"}, &stdout, &stderr, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("version -h: %v, want flag.ErrHelp", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("version with arguments printed %q on stdout", stdout.String())
	}
}
