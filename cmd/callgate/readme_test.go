package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEWalkthrough runs the README's walkthrough blocks, exactly as written, against a real
// `callgate dev` (on free ports: the blocks' localhost:9090, :8080 and :8090 are rewritten to
// them). It needs bash, grpcurl, curl and jq: without them it is skipped, except in CI.
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "grpcurl", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CALLGATE_CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", tool)
			}
			t.Skipf("%s is not installed (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4; apt-get install curl jq)", tool)
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

	grpcAddr, httpAddr, emulatorAddr := startDev(t)
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	s := strings.NewReplacer("localhost:9090", grpcAddr, "localhost:8080", httpAddr, "localhost:8090", emulatorAddr).Replace(script.String())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", s)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough failed: %v\n%s", err, out)
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
}

// startDev runs `callgate dev` in-process on free ports until the test ends, and returns its gRPC,
// HTTP and emulator addresses as it printed them.
func startDev(t *testing.T) (grpcAddr, httpAddr, emulatorAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
			"--answer-delay", "100ms", "--log-level", "warn"}, pw, io.Discard, func(string) (string, bool) { return "", false })
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() && (grpcAddr == "" || emulatorAddr == "") {
		line := sc.Text()
		if _, err := fmt.Sscanf(line, "callgate dev: gRPC on %s HTTP on %s", &grpcAddr, &httpAddr); err == nil {
			grpcAddr = strings.TrimSuffix(grpcAddr, ",")
		}
		if rest, ok := strings.CutPrefix(line, "ACS emulator on http://"); ok {
			emulatorAddr, _, _ = strings.Cut(rest, " ")
		}
	}
	if grpcAddr == "" || emulatorAddr == "" {
		t.Fatal("dev did not print its addresses")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return grpcAddr, httpAddr, emulatorAddr
}
