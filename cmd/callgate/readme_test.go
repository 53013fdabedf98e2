package main

import (
	"bufio"
	"context"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestREADMEWalkthrough runs the README's walkthrough blocks, exactly as written, against a real
// `callgate dev` (on free ports: the blocks' localhost:9090, :8080 and :8090 are rewritten to
// them), once in bash and once in zsh, the macOS default, each against its own `callgate dev`. It
// needs grpcurl, curl and jq on PATH: without them it is skipped, except in CI; without zsh, only
// the zsh run is skipped.
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"grpcurl", "curl", "jq"} {
		if msg := missingTool(tool); msg != "" {
			skipOrFail(t, msg)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)<!-- walkthrough -->\n```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d walkthrough blocks in README.md", len(blocks))
	}
	var walkthrough strings.Builder
	for _, b := range blocks {
		walkthrough.WriteString(b[1])
	}

	for _, sh := range []struct {
		name string
		args []string
		// strict is the shell's spelling of set -euo pipefail.
		strict string
	}{
		// -f: no startup files, so a user's .zshrc neither helps nor breaks the run.
		{"bash", []string{"--noprofile", "--norc", "-c"}, "set -euo pipefail\n"},
		{"zsh", []string{"-f", "-c"}, "setopt errexit nounset pipefail\n"},
	} {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			if msg := missingTool(sh.name); msg != "" {
				skipOrFail(t, msg)
			}
			dev := startDev(t)
			grpcAddr, httpAddr, emulatorAddr := dev.grpc, dev.http, dev.emulator
			s := strings.NewReplacer("localhost:9090", grpcAddr, "localhost:8080", httpAddr, "localhost:8090", emulatorAddr).
				Replace(sh.strict + walkthrough.String())

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, sh.name, append(sh.args, s)...).CombinedOutput()
			if err != nil {
				t.Fatalf("the walkthrough failed in %s: %v\n%s", sh.name, err, out)
			}
			// The replayed story of the first call, in order, from the gRPC stream.
			story := []string{"CallConnected", "ParticipantsUpdated", "AddParticipantSucceeded", "ParticipantsUpdated",
				"CallTransferAccepted", "ParticipantsUpdated", "RemoveParticipantSucceeded", "ParticipantsUpdated", "CallDisconnected"}
			var lines []string
			for _, l := range strings.Split(string(out), "\n") {
				if m := regexp.MustCompile(`^\d+ Microsoft\.Communication\.(\w+)$`).FindStringSubmatch(l); m != nil {
					lines = append(lines, m[1])
				}
			}
			if strings.Join(lines, ",") != strings.Join(story, ",") {
				t.Errorf("WatchCall replayed %v, want %v\n%s", lines, story, out)
			}
			metricsAfterWalkthrough(t, dev.admin)
		})
	}
}

// metricsAfterWalkthrough checks that the walkthrough, a user's first session, shows on /metrics
// in every family README.md's Observability table lists, but two: retries count only once ACS
// fails, heartbeats only once a stream idles (TestMetricsFamilies in service/ makes both happen).
func metricsAfterWalkthrough(t *testing.T, admin string) {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			rest = line[strings.LastIndexByte(line, '}')+2:]
			name = name[:i]
		}
		if v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64); err == nil {
			counts[name] += v
		}
	}
	for _, family := range []string{
		"grpc_server_started_total", "grpc_server_handled_total", "grpc_server_handling_seconds_count",
		"callgate_rest_started_total", "callgate_rest_handled_total", "callgate_rest_handling_seconds_count",
		"callgate_acs_requests_total", "callgate_acs_request_duration_seconds_count",
		"callgate_callbacks_total", "callgate_callback_events_total",
		"callgate_eventlog_append_seconds_count", "callgate_eventlog_appended_total", "callgate_eventlog_ready", "callgate_eventlog_reads_total",
		"callgate_stream_events_total", "callgate_streams_ended_total", "callgate_delivery_lag_seconds_count", "callgate_waits_total",
		"go_goroutines", "process_cpu_seconds_total", "go_build_info", "callgate_build_info",
	} {
		if counts[family] <= 0 {
			t.Errorf("after the walkthrough %s = %v, want a non-zero count", family, counts[family])
		}
	}
}

// TestREADMEShellVariablesAreBraced checks every shell block of the README, run by the walkthrough
// test or not: zsh reads a bare $CALL followed by ':' as a modifier ($CALL:transfer is the tail
// of $CALL, then "ransfer") and by '[' as a subscript, so there the name must be braced.
func TestREADMEShellVariablesAreBraced(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```(\\w*)\n(.*?)^```$").FindAllStringSubmatch(string(readme), -1)
	bare := regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*[:\[]`)
	shell := 0
	for _, b := range blocks {
		if b[1] != "" && b[1] != "sh" {
			continue
		}
		shell++
		for _, l := range strings.Split(b[2], "\n") {
			if m := bare.FindString(l); m != "" {
				t.Errorf("README.md: %q needs braces, ${%s}, for zsh:\n%s", m, m[1:len(m)-1], l)
			}
		}
	}
	if shell < 5 {
		t.Fatalf("found %d shell blocks in README.md", shell)
	}
}

// skipOrFail skips the test for a missing tool, or fails it in CI, which installs every tool.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CALLGATE_CI") != "" {
		t.Fatalf("%s (CALLGATE_CI is set: .ci/run installs it)", msg)
	}
	t.Skip(msg)
}

// missingTool says how to get tool when it is not on PATH, and is empty when it is.
func missingTool(tool string) string {
	if _, err := exec.LookPath(tool); err == nil {
		return ""
	}
	switch tool {
	case "grpcurl":
		bin := goBin()
		if _, err := os.Stat(filepath.Join(bin, "grpcurl")); err == nil {
			return fmt.Sprintf(`grpcurl is installed in %s, but that folder is not on PATH: export PATH="%s:$PATH"`, bin, bin)
		}
		return fmt.Sprintf(`grpcurl is not installed: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 puts it in %s, which must be on PATH: export PATH="%s:$PATH"`, bin, bin)
	case "zsh":
		return "zsh is not installed, so the walkthrough is not run in zsh, the macOS default shell: apt-get install zsh (or dnf install zsh, brew install zsh)"
	default:
		return fmt.Sprintf("%s is not installed (apt-get install %s)", tool, tool)
	}
}

// goBin is where go install puts binaries: $GOBIN, or the first GOPATH folder's bin.
func goBin() string {
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		gobin, gopath, _ := strings.Cut(string(out), "\n") // one line each, GOBIN's often empty
		if gobin = strings.TrimSpace(gobin); gobin != "" {
			return gobin
		}
		if gopath = strings.TrimSpace(gopath); gopath != "" {
			return filepath.Join(filepath.SplitList(gopath)[0], "bin")
		}
	}
	return filepath.Join(filepath.SplitList(build.Default.GOPATH)[0], "bin")
}

// devAddrs are the addresses `callgate dev` printed.
type devAddrs struct{ grpc, http, callbacks, admin, emulator string }

// startDev runs `callgate dev` in-process on free ports until the test ends, and returns the
// addresses it printed.
func startDev(t *testing.T) devAddrs {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--callbacks-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
			"--answer-delay", "100ms", "--log-level", "warn"}, pw, io.Discard, func(string) (string, bool) { return "", false })
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	var a devAddrs
	sc := bufio.NewScanner(pr)
	for sc.Scan() && (a.grpc == "" || a.admin == "" || a.emulator == "") {
		line := sc.Text()
		if _, err := fmt.Sscanf(line, "callgate dev: gRPC on %s HTTP on %s", &a.grpc, &a.http); err == nil {
			a.grpc = strings.TrimSuffix(a.grpc, ",")
		}
		if _, err := fmt.Sscanf(line, "callbacks on %s probes on %s", &a.callbacks, &a.admin); err == nil {
			a.callbacks = strings.TrimSuffix(a.callbacks, ",")
		}
		if rest, ok := strings.CutPrefix(line, "ACS emulator on http://"); ok {
			a.emulator, _, _ = strings.Cut(rest, " ")
		}
	}
	if a.grpc == "" || a.admin == "" || a.emulator == "" {
		t.Fatal("dev did not print its addresses")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return a
}
