package emulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// chance draws the fault decisions; a seed makes a run reproducible.
type chance struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newChance(seed uint64) *chance {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &chance{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// hit reports true with probability p.
func (c *chance) hit(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.r.Float64() < p
}

func (c *chance) float() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.r.Float64()
}

// injectRequestFault adds the configured latency and, for a share of requests,
// answers 429 or 503 with Retry-After the way a throttled or failing front
// door does. It reports whether it answered.
func (e *Emulator) injectRequestFault(w http.ResponseWriter, r *http.Request) bool {
	f := e.cfg.Faults
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if f.ThrottleRate <= 0 && f.UnavailableRate <= 0 {
		return false
	}
	x := e.chance.float()
	var ae *apiError
	switch {
	case x < f.ThrottleRate:
		ae = &apiError{status: http.StatusTooManyRequests, code: "TooManyRequests", message: "Rate limit exceeded. Retry after the time in the Retry-After header."}
	case x < f.ThrottleRate+f.UnavailableRate:
		ae = &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", message: "The service is temporarily unavailable. Retry after the time in the Retry-After header."}
	default:
		return false
	}
	secs := int((f.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	e.log.Debug("injected request fault", zap.String("path", r.URL.Path), zap.Int("status", ae.status))
	writeAPIError(w, ae)
	return true
}
