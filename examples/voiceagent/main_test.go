package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The program, built as a user builds it, against `callgate dev`: a call rings; the program
// answers it with media streaming and transcription to its own WebSocket server, hears the
// caller's audio, sends audio back (which the emulator plays into the call: its control API
// reads it back), prints what the caller says, and stops once the call ended.
func TestVoiceAgentAgainstCallgateDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs callgate dev")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := build(t, ctx)
	grpcAddr, emulatorURL := startDev(t, filepath.Join(bin, "callgate"))
	const caller = "4:+14255550100"

	cmd := exec.CommandContext(ctx, filepath.Join(bin, "voiceagent"), "-target", grpcAddr, "-insecure", "-calls", "1")
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
	// expect finds a line matching pattern among those printed so far or the next ones: the
	// streams start as the call connects, so their lines may come before "answered".
	var output []string
	expect := func(pattern string) []string {
		t.Helper()
		re := regexp.MustCompile(pattern)
		for _, l := range output {
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
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

	expect(`^ready: streams to ws://`)
	var res struct {
		Delivered bool `json:"delivered"`
	}
	control(t, ctx, emulatorURL, http.MethodPost, "/incomingCalls", map[string]string{"from": caller, "to": "4:+18005550100"}, &res)
	if !res.Delivered {
		t.Fatal("the emulator did not deliver the incoming call")
	}
	call := expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	expect(`^call ` + call + `: audio at 16000 Hz$`)
	control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+call+"/participants/"+url.PathEscape(caller)+"/say", map[string]string{"text": "I need help with my bill"}, nil)
	expect(`^call ` + call + `: sent 200 ms of audio back$`)
	expect(`^call ` + call + `: caller said: I need help with my bill$`)
	// What the program sent reached the call: 200 ms at 16 kHz.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, emulatorURL+"/emulator/v1/calls/"+call+"/media/received?minBytes=6400", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wav, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(wav) != 44+6400 {
		t.Errorf("the emulator received %d bytes of the program's audio, want 6400", len(wav)-44)
	}
	control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+call+"/participants/"+url.PathEscape(caller)+"/hangUp", nil, nil)
	expect(`^call ` + call + `: ended \(200/5002\)$`)
	for l := range lines {
		output = append(output, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program: %v\n%s", err, stderr.String())
	}
	t.Logf("the program said:\n%s", strings.Join(output, "\n"))
}

var _ = json.Marshal
var _ = fmt.Sprint
var _ = os.Interrupt

// build builds callgate and this program into a temporary folder.
func build(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir, "./cmd/callgate", "./examples/voiceagent")
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
