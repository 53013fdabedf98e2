package gcdefaults

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestParseMemoryMax(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1073741824\n", 1 << 30, true},
		{"max\n", 0, false},
		{"", 0, false},
		{"0", 0, false},
	} {
		if got, ok := parseMemoryMax(c.in); got != c.want || ok != c.ok {
			t.Errorf("parseMemoryMax(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestApply: with a memory limit in effect, GOGC becomes GCPercent unless it is set; the limit
// from GOMEMLIMIT is left as it is.
func TestApply(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}

	debug.SetMemoryLimit(1 << 30) // as the runtime does for GOMEMLIMIT=1GiB
	s := Apply(env(map[string]string{"GOMEMLIMIT": "1GiB"}))
	if s.GCPercent != GCPercent || s.MemoryLimit != 1<<30 || s.FromCgroup {
		t.Errorf("with GOMEMLIMIT: %+v", s)
	}

	debug.SetGCPercent(100)
	s = Apply(env(map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "100"}))
	if s.GCPercent != 100 {
		t.Errorf("with GOGC set: %+v", s)
	}

	if _, ok := containerLimit(); !ok {
		debug.SetMemoryLimit(math.MaxInt64)
		s = Apply(env(nil))
		if s.GCPercent != 100 || s.MemoryLimit != math.MaxInt64 {
			t.Errorf("without a limit: %+v", s)
		}
	}
}
