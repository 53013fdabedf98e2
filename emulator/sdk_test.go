package emulator

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestOfficialSDK drives the emulator with the official JavaScript Call
// Automation SDK (sdktest/, pinned by its package-lock.json): every
// call-control operation, the failure paths, a wrong key, and a callback
// receiver that parses every event with parseCallAutomationEvent.
//
// It needs node and npm; without them it fails, unless
// CALLGATE_SKIP_SDK_TEST=1 says to skip.
func TestOfficialSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SDK test")
	}
	skip := os.Getenv("CALLGATE_SKIP_SDK_TEST") == "1"
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if skip {
				t.Skipf("%s not on PATH and CALLGATE_SKIP_SDK_TEST=1", tool)
			}
			t.Fatalf("%s is not on PATH: the official SDK test needs Node.js 20+ and npm "+
				"(install them, or set CALLGATE_SKIP_SDK_TEST=1 to skip this test)", tool)
		}
	}
	dir, err := filepath.Abs("sdktest")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if stale(filepath.Join(dir, "node_modules", ".package-lock.json"), filepath.Join(dir, "package-lock.json")) {
		run(ctx, t, dir, nil, "npm", "ci", "--no-audit", "--no-fund")
	}

	env := newEnv(t, func(c *Config) {
		c.AnswerDelay = 20 * time.Millisecond
		c.InvitationTimeout = 2 * time.Second
	})
	run(ctx, t, dir, []string{
		"CALLGATE_EMULATOR_CONNECTION_STRING=" + env.srv.ConnectionString(),
		"CALLGATE_EMULATOR_URL=" + env.srv.URL,
	}, "node", "--test", "--test-reporter=spec", "sdk.test.js")
}

// stale reports whether installed is missing or older than lock.
func stale(installed, lock string) bool {
	i, err := os.Stat(installed)
	if err != nil {
		return true
	}
	l, err := os.Stat(lock)
	return err != nil || l.ModTime().After(i.ModTime())
}

func run(ctx context.Context, t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	t.Logf("%s %v:\n%s", name, args, out.String())
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
}
