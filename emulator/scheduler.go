package emulator

import (
	"sync"
	"time"
)

// scheduler owns every timer of the simulation (ringing endpoints,
// invitation timeouts, incoming call expiry). close stops the pending ones and
// waits for those already running, so nothing fires after Close.
type scheduler struct {
	mu     sync.Mutex
	timers map[*timerHandle]struct{}
	closed bool
	wg     sync.WaitGroup
}

type timerHandle struct {
	s *scheduler
	t *time.Timer
}

func newScheduler() *scheduler {
	return &scheduler{timers: make(map[*timerHandle]struct{})}
}

// after runs f once d has passed, on its own goroutine. The returned stop
// reports whether it prevented f from running.
func (s *scheduler) after(d time.Duration, f func()) (stop func() bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return func() bool { return false }
	}
	h := &timerHandle{s: s}
	s.wg.Add(1)
	// The callback takes s.mu first, so it cannot see the map before h is in it.
	h.t = time.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.timers[h]
		delete(s.timers, h)
		closed := s.closed
		s.mu.Unlock()
		defer s.wg.Done()
		if !live || closed {
			return
		}
		f()
	})
	s.timers[h] = struct{}{}
	return h.stop
}

func (h *timerHandle) stop() bool {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, live := s.timers[h]; !live {
		return false
	}
	delete(s.timers, h)
	if h.t.Stop() {
		s.wg.Done()
		return true
	}
	// Fired but still waiting for s.mu: it will see itself gone and return.
	return true
}

func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	for h := range s.timers {
		delete(s.timers, h)
		if h.t.Stop() {
			s.wg.Done()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}
