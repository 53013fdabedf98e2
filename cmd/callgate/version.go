package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version and commit are set at link time by a release build:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/callgate
//
// deploy/Dockerfile does so from its VERSION and COMMIT build arguments. The linker leaves a name
// it does not find silently unset, so deploy_test.go builds the binary with the Dockerfile's own
// flags and reads them back.
var (
	version string
	commit  string
)

// versionInfo is the version and commit this binary was built from: the values set at link time,
// else what the Go toolchain stamped (the module version of `go install ...@v1.2.0`, the VCS
// revision of a `go build` in a git checkout), else "dev" and "unknown".
func versionInfo() (v, c string) {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, bi)
}

func resolveVersion(linkVersion, linkCommit string, bi *debug.BuildInfo) (v, c string) {
	v, c = linkVersion, linkCommit
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

const versionUsage = "usage: callgate version\n\nPrints the version and the commit this binary was built from: callgate <version> (commit <sha>).\n"

// runVersion is `callgate version`.
func runVersion(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprint(stderr, versionUsage)
		switch args[0] {
		case "-h", "-help", "--help":
			return flag.ErrHelp
		}
		return errUsage
	}
	v, c := versionInfo()
	fmt.Fprintf(stdout, "callgate %s (commit %s)\n", v, c)
	return nil
}
