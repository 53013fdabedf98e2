// Package examples_test runs each example program as a user would: built with `go build` and
// driven against `callgate dev`, built and run as a user runs it.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bin is the folder TestMain built callgate and the examples into; empty in -short runs.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "callgate-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", dir, "./cmd/callgate", "./examples/autoattendant", "./examples/voiceagent")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startDev runs `callgate dev` on free ports until the test ends, and answers the gRPC address
// and the emulator's URL it printed.
func startDev(t *testing.T) (grpcAddr, emulatorURL string) {
	t.Helper()
	if bin == "" {
		t.Skip("builds and runs callgate dev")
	}
	cmd := exec.Command(filepath.Join(bin, "callgate"), "dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--callbacks-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
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

// program is a running example whose output lines a test expects.
type program struct {
	t      *testing.T
	ctx    context.Context
	cmd    *exec.Cmd
	stderr bytes.Buffer
	lines  chan string
	output []string // every line read so far
	// pending are the lines read but not yet matched: the program's goroutines print in an order
	// of their own (a stream's lines may come before "answered"), so expect looks at these first.
	pending []string
}

// run starts the example called name with args until ctx ends.
func run(t *testing.T, ctx context.Context, name string, args ...string) *program {
	t.Helper()
	p := &program{t: t, ctx: ctx, lines: make(chan string, 64)}
	p.cmd = exec.CommandContext(ctx, filepath.Join(bin, name), args...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	return p
}

// expect answers the submatches of the first line not matched before that matches pattern,
// reading more lines until one does; each line matches once.
func (p *program) expect(pattern string) []string {
	p.t.Helper()
	re := regexp.MustCompile(pattern)
	for i, l := range p.pending {
		if m := re.FindStringSubmatch(l); m != nil {
			p.pending = append(p.pending[:i], p.pending[i+1:]...)
			return m
		}
	}
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("the program ended without %q:\n%s\n%s", pattern, strings.Join(p.output, "\n"), p.stderr.String())
			}
			p.output = append(p.output, l)
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
			p.pending = append(p.pending, l)
		case <-p.ctx.Done():
			p.t.Fatalf("no %q:\n%s", pattern, strings.Join(p.output, "\n"))
		}
	}
}

// wait waits for the program to end by itself, and logs what it printed.
func (p *program) wait() {
	p.t.Helper()
	for l := range p.lines {
		p.output = append(p.output, l)
	}
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("the program: %v\n%s", err, p.stderr.String())
	}
	p.t.Logf("the program said:\n%s", strings.Join(p.output, "\n"))
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

// ring places an incoming call from caller on the emulator.
func ring(t *testing.T, ctx context.Context, emulatorURL, caller string) {
	t.Helper()
	var res struct {
		Delivered bool `json:"delivered"`
	}
	control(t, ctx, emulatorURL, http.MethodPost, "/incomingCalls", map[string]string{"from": caller, "to": "4:+18005550100"}, &res)
	if !res.Delivered {
		t.Fatal("the emulator did not deliver the incoming call")
	}
}
