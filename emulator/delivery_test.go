package emulator

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestCallbackRetriedWithSameID(t *testing.T) {
	env := newEnv(t, nil)
	var mu sync.Mutex
	failures := 0
	env.recv.mu.Lock()
	env.recv.fail = func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if failures < 3 {
			failures++
			return http.StatusInternalServerError
		}
		return 0
	}
	env.recv.mu.Unlock()
	call := env.connectedCall(user("x"), nil)
	evs := env.recv.events(call.CallConnectionID)
	if len(evs) != 2 || evs[0].event.ID == evs[1].event.ID {
		t.Fatalf("events %v", kinds(evs))
	}
	mu.Lock()
	defer mu.Unlock()
	if failures != 3 {
		t.Errorf("failures %d", failures)
	}
	env.recv.mu.Lock()
	defer env.recv.mu.Unlock()
	want := []string{evs[0].event.ID, evs[0].event.ID, evs[0].event.ID, evs[0].event.ID, evs[1].event.ID}
	if fmt.Sprint(env.recv.attempts) != fmt.Sprint(want) {
		t.Errorf("attempt ids %v, want %v", env.recv.attempts, want)
	}
}

func TestCallbackGivesUpAfterMaxAttempts(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.CallbackMaxAttempts = 2 })
	attempts := make(chan int, 16)
	env.recv.mu.Lock()
	env.recv.fail = func(n int) int {
		attempts <- n
		if n <= 2 {
			return http.StatusServiceUnavailable // CallConnected, both attempts
		}
		return 0
	}
	env.recv.mu.Unlock()
	call := env.createCall(env.recv.url("/cb"), nil, acsUser(user("x")))
	// CallConnected is dropped after two attempts; ParticipantsUpdated follows.
	evs := env.recv.waitKinds(call.CallConnectionID, evParticipantsUpdated)
	if len(evs) != 1 {
		t.Errorf("events %v", kinds(evs))
	}
}

func TestFaultThrottleAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults FaultConfig
		status int
	}{
		{"429", FaultConfig{ThrottleRate: 1, RetryAfter: 1500 * time.Millisecond}, http.StatusTooManyRequests},
		{"503", FaultConfig{UnavailableRate: 1}, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, func(c *Config) { c.Faults = tc.faults })
			status, out, h := env.do(http.MethodGet, "/calling/callConnections/x", nil)
			if status != tc.status || h.Get("Retry-After") == "" {
				t.Fatalf("%d %s %v", status, out, h)
			}
			if tc.status == http.StatusTooManyRequests && h.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2 (1.5s rounded up)", h.Get("Retry-After"))
			}
		})
	}
	t.Run("share", func(t *testing.T) {
		env := newEnv(t, func(c *Config) { c.Faults = FaultConfig{ThrottleRate: 0.5, Seed: 7} })
		counts := map[int]int{}
		for range 200 {
			status, _, _ := env.do(http.MethodGet, "/calling/callConnections/x", nil)
			counts[status]++
		}
		if counts[http.StatusTooManyRequests] < 60 || counts[http.StatusNotFound] < 60 {
			t.Errorf("statuses %v for a 50%% throttle share", counts)
		}
	})
}

func TestFaultDuplicates(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.Faults = FaultConfig{DuplicateRate: 1} })
	call := env.createCall(env.recv.url("/cb"), nil, acsUser(user("x")))
	evs := env.recv.waitFor(call.CallConnectionID, "4 deliveries", func(evs []received) bool { return len(evs) >= 4 })
	if evs[0].event.ID != evs[1].event.ID || evs[2].event.ID != evs[3].event.ID || evs[0].event.ID == evs[2].event.ID {
		t.Errorf("deliveries %v %v %v %v", evs[0].event.ID, evs[1].event.ID, evs[2].event.ID, evs[3].event.ID)
	}
}

func TestFaultReorder(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.Faults = FaultConfig{ReorderRate: 1} })
	call := env.createCall(env.recv.url("/cb"), nil, acsUser(user("x")))
	// CallConnected and ParticipantsUpdated are raised together: swapped.
	env.recv.waitKinds(call.CallConnectionID, evParticipantsUpdated, evCallConnected)
}

func TestFaultLate(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.Faults = FaultConfig{LateRate: 1, LateDelay: 50 * time.Millisecond} })
	call := env.createCall(env.recv.url("/cb"), nil, acsUser(user("x")))
	evs := env.recv.waitFor(call.CallConnectionID, "both", func(evs []received) bool { return len(evs) >= 2 })
	if len(evs) != 2 {
		t.Errorf("events %v", kinds(evs))
	}
	// Every event is late by the same delay, so both still arrive; the
	// out-of-order case is a late event overtaken by a prompt one.
	env2 := newEnv(t, func(c *Config) { c.Faults = FaultConfig{LateRate: 0.5, LateDelay: 200 * time.Millisecond, Seed: 3} })
	outOfOrder := false
	for i := 0; i < 20 && !outOfOrder; i++ {
		call := env2.createCall(env2.recv.url("/cb"), nil, acsUser(user("y")+strconv.Itoa(i)))
		evs := env2.recv.waitFor(call.CallConnectionID, "both", func(evs []received) bool { return len(evs) >= 2 })
		outOfOrder = evs[0].kind() == evParticipantsUpdated
	}
	if !outOfOrder {
		t.Error("no late event was overtaken in 20 calls")
	}
}

// TestOrderingPerCall runs many calls at once; each call's events must
// arrive in the order they were raised.
func TestOrderingPerCall(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.AnswerDelay = 0 })
	const calls = 20
	ids := make([]string, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			props := env.createCall(env.recv.url("/cb"), nil, acsUser(user(fmt.Sprintf("r%d", i))))
			ids[i] = props.CallConnectionID
			env.recv.waitKinds(props.CallConnectionID, evCallConnected, evParticipantsUpdated)
			for j := range 5 {
				env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections/"+props.CallConnectionID+"/participants:mute",
					map[string]any{"targetParticipants": []any{acsUser(user(fmt.Sprintf("r%d", i)))}, "operationContext": strconv.Itoa(j)}, nil)
				env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+props.CallConnectionID+"/participants:add",
					map[string]any{"participantToAdd": acsUser(user(fmt.Sprintf("r%d-%d", i, j)))}, nil)
			}
			env.mustDo(http.StatusNoContent, http.MethodDelete, "/calling/callConnections/"+props.CallConnectionID, nil, nil)
		}()
	}
	wg.Wait()
	for _, id := range ids {
		evs := env.recv.waitFor(id, "CallDisconnected", func(evs []received) bool {
			return len(evs) > 0 && evs[len(evs)-1].kind() == evCallDisconnected
		})
		if evs[0].kind() != evCallConnected {
			t.Errorf("call %s starts with %s", id, evs[0].kind())
		}
		last := 0.0
		for _, ev := range evs {
			if ev.kind() != evParticipantsUpdated {
				continue
			}
			seq := ev.event.Data["sequenceNumber"].(float64)
			if seq != last+1 {
				t.Errorf("call %s: sequenceNumber %v after %v", id, seq, last)
			}
			last = seq
		}
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		env := newEnv(t, func(c *Config) { c.CallbackRetryBackoff = time.Hour })
		call := env.connectedCall(user("x"), nil)
		env.script(user("never"), Behavior{Answer: AnswerNoAnswer})
		env.mustDo(http.StatusAccepted, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+"/participants:add",
			map[string]any{"participantToAdd": acsUser(user("never"))}, nil)
		// A delivery stuck in a one-hour backoff must not keep Close waiting.
		env.recv.mu.Lock()
		env.recv.fail = func(int) int { return http.StatusInternalServerError }
		env.recv.mu.Unlock()
		env.mustDo(http.StatusOK, http.MethodPost, "/calling/callConnections/"+call.CallConnectionID+"/participants:mute",
			map[string]any{"targetParticipants": []any{acsUser(user("x"))}}, nil)
		if err := env.srv.Close(); err != nil {
			t.Fatal(err)
		}
		env.recv.close()
		env.client.CloseIdleConnections()
	}()
	waitGoroutines(t, before)
}

// waitGoroutines waits until no more than before goroutines run: what Close stopped has
// returned.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:n])
		}
		time.Sleep(10 * time.Millisecond) // polling: goroutine exit raises no event
	}
}
