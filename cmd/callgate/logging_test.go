package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestLogColour(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		env      map[string]string
		want     bool
	}{
		{"terminal", true, nil, true},
		{"terminal with NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
		{"terminal with NO_COLOR empty", true, map[string]string{"NO_COLOR": ""}, true},
		{"not a terminal", false, nil, false},
		{"not a terminal with NO_COLOR", false, map[string]string{"NO_COLOR": "1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := logColour(tc.terminal, envOf(tc.env)); got != tc.want {
				t.Errorf("logColour = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPipeIsNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe is taken for a terminal")
	}
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is taken for a terminal")
	}
}

// TestLoggerColours writes a line of each format with and without colour: only console with
// colour carries ANSI escapes.
func TestLoggerColours(t *testing.T) {
	for _, tc := range []struct {
		format string
		colour bool
		want   bool
	}{
		{"console", false, false},
		{"console", true, true},
		{"json", false, false},
		{"json", true, false},
	} {
		cfg, err := loggerConfig("info", tc.format, tc.colour)
		if err != nil {
			t.Fatal(err)
		}
		enc := zapcore.NewJSONEncoder(cfg.EncoderConfig)
		if cfg.Encoding == "console" {
			enc = zapcore.NewConsoleEncoder(cfg.EncoderConfig)
		}
		var buf bytes.Buffer
		log := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), cfg.Level))
		log.Info("hello")
		log.Warn("careful")
		if got := strings.Contains(buf.String(), "\x1b["); got != tc.want {
			t.Errorf("%s, colour %v: escapes %v, want %v:\n%q", tc.format, tc.colour, got, tc.want, buf.String())
		}
	}
}

// TestDevLogsToAPipeHaveNoColour runs `callgate dev` as a child process with stderr on a pipe, as
// under systemd, docker or `2>&1 | tee`, and reads its first log lines.
func TestDevLogsToAPipeHaveNoColour(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"CALLGATE_TEST_RUN_MAIN=1",
		"CALLGATE_TEST_ARGS=dev --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --callbacks-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --emulator-addr 127.0.0.1:0",
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// The "serving" line comes once dev is up; everything before it is in lines too.
	serving := make(chan []string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "serving") {
				break
			}
		}
		serving <- lines
	}()
	var lines []string
	select {
	case lines = <-serving:
	case <-time.After(60 * time.Second):
		t.Fatal("dev logged no 'serving' line")
	}
	if len(lines) == 0 || !strings.Contains(lines[len(lines)-1], "serving") {
		t.Fatalf("dev ended before its 'serving' line:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "\x1b[") {
			t.Errorf("a log line on a pipe carries colour codes: %q", l)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "INFO") {
		t.Errorf("the 'serving' line is not at INFO, in plain text: %q", lines[len(lines)-1])
	}
}
