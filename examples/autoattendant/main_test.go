package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The program, built as a user builds it, against `callgate dev`, built and run as a user runs
// it: two calls ring; the agent answers the first, is busy for the second, whose caller goes to
// the overflow line; the program stops after both ended.
func TestAutoAttendantAgainstCallgateDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs callgate dev")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	bin := build(t, ctx)
	t.Logf("built in %v", time.Since(start))
	grpcAddr, emulatorURL := startDev(t, filepath.Join(bin, "callgate"))

	var info struct {
		ResourceID string `json:"resourceId"`
	}
	control(t, ctx, emulatorURL, http.MethodGet, "/info", nil, &info)
	agent := "8:acs:" + info.ResourceID + "_agent-1"
	const caller, overflow = "4:+14255550100", "4:+16475550199"

	cmd := exec.CommandContext(ctx, filepath.Join(bin, "autoattendant"), "-target", grpcAddr, "-insecure", "-agent", agent, "-overflow", overflow, "-calls", "2")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// expect reads the program's lines until one matches, and answers its submatches.
	var output []string
	expect := func(pattern string) []string {
		t.Helper()
		re := regexp.MustCompile(pattern)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the program ended without %q:\n%s\n%s", pattern, strings.Join(output, "\n"), stderr.String())
				}
				output = append(output, l)
				if m := re.FindStringSubmatch(l); m != nil {
					return m
				}
			case <-ctx.Done():
				t.Fatalf("no %q:\n%s", pattern, strings.Join(output, "\n"))
			}
		}
	}
	ring := func() {
		t.Helper()
		var res struct {
			Delivered bool `json:"delivered"`
		}
		control(t, ctx, emulatorURL, http.MethodPost, "/incomingCalls", map[string]string{"from": caller, "to": "4:+18005550100"}, &res)
		if !res.Delivered {
			t.Fatal("the emulator did not deliver the incoming call")
		}
	}

	expect(`^ready: `)
	// The agent answers: caller and agent talk, then both hang up.
	ring()
	first := expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	expect(`^call ` + first + `: agent ` + regexp.QuoteMeta(agent) + ` joined$`)
	for _, who := range []string{caller, agent} {
		control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+first+"/participants/"+who+"/hangUp", nil, nil)
	}
	expect(`^call ` + first + `: ended \(200/5002\)$`)

	// The agent is busy: the caller is transferred to the overflow line.
	control(t, ctx, emulatorURL, http.MethodPut, "/endpoints/"+agent, map[string]string{"answer": "busy"}, nil)
	ring()
	second := expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	expect(`^call ` + second + `: agent \S+ did not answer \(486/8539\): transferring to ` + regexp.QuoteMeta(overflow) + `$`)
	expect(`^call ` + second + `: transferred to ` + regexp.QuoteMeta(overflow) + `$`)
	expect(`^call ` + second + `: ended \(200/7015\)$`)

	for l := range lines {
		output = append(output, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program: %v\n%s", err, stderr.String())
	}
	t.Logf("the program said:\n%s", strings.Join(output, "\n"))
}

// build builds callgate and this program into a temporary folder.
func build(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir, "./cmd/callgate", "./examples/autoattendant")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// startDev runs `callgate dev` on free ports until the test ends, and answers the gRPC address
// and the emulator's URL it printed.
func startDev(t *testing.T, callgate string) (grpcAddr, emulatorURL string) {
	t.Helper()
	cmd := exec.Command(callgate, "dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--callbacks-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
		"--answer-delay", "100ms", "--heartbeat", "200ms", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("callgate dev: %v\n%s", err, stderr.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && (grpcAddr == "" || emulatorURL == "") {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "callgate dev: gRPC on "); ok {
			grpcAddr, _, _ = strings.Cut(rest, ",")
		}
		if rest, ok := strings.CutPrefix(line, "ACS emulator on "); ok {
			emulatorURL, _, _ = strings.Cut(rest, " ")
		}
	}
	if grpcAddr == "" || emulatorURL == "" {
		t.Fatalf("callgate dev did not print its addresses:\n%s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return grpcAddr, emulatorURL
}

// control calls the emulator's control API.
func control(t *testing.T, ctx context.Context, emulatorURL, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, emulatorURL+"/emulator/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(fmt.Errorf("%s %s: %w", method, path, err))
		}
	}
}
