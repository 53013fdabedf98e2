package main

import "runtime/debug"

// version and commit are set at build time: -ldflags "-X main.version=1.2.3 -X main.commit=<sha>".
var (
	version = "dev"
	commit  = ""
)

// buildCommit is the commit the binary was built from: the one given at build time, else the
// VCS stamp Go records, else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
