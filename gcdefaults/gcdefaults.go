package gcdefaults

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// GCPercent is the GOGC used when a memory limit bounds the heap and GOGC is not set.
const GCPercent = 400

// limitShare is the part of a container's memory limit given to the Go heap (GOMEMLIMIT), the rest
// being for stacks, the NATS server's buffers and the runtime's own overhead.
const limitShare = 0.9

// cgroupMemoryMax is the cgroup v2 memory limit of the process's container.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// Settings is what Apply left in effect.
type Settings struct {
	GCPercent   int   // -1: off
	MemoryLimit int64 // math.MaxInt64: none
	FromCgroup  bool  // MemoryLimit was derived from the container's limit
}

// Apply sets the memory limit from the container's (cgroup v2) limit unless GOMEMLIMIT is set, and
// GOGC to GCPercent unless GOGC is set, when there is a limit. Without any limit it changes
// nothing: a higher GOGC could then grow the heap without bound.
func Apply(lookupEnv func(string) (string, bool)) Settings {
	var s Settings
	_, memSet := lookupEnv("GOMEMLIMIT")
	if !memSet {
		if limit, ok := containerLimit(); ok {
			debug.SetMemoryLimit(int64(float64(limit) * limitShare))
			s.FromCgroup = true
		}
	}
	s.MemoryLimit = debug.SetMemoryLimit(-1)
	_, gcSet := lookupEnv("GOGC")
	if !gcSet && s.MemoryLimit != math.MaxInt64 {
		debug.SetGCPercent(GCPercent)
	}
	s.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(s.GCPercent)
	return s
}

func containerLimit() (int64, bool) {
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return 0, false
	}
	return parseMemoryMax(string(b))
}

// parseMemoryMax reads memory.max: a byte count, or "max" for none.
func parseMemoryMax(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil && n > 0
}
