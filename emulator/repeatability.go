package emulator

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"
)

// repeatCache remembers the answer to each Repeatability-Request-ID for the
// window, so a client that retries a POST (same ID, same body) gets the first
// answer and the work is done once. A retry that arrives while the first
// request is still being handled waits for its answer.
//
// The same ID with a different request (method, path or body) is answered
// 409 Conflict: returning the first answer would hide a client bug.
type repeatCache struct {
	window time.Duration

	mu        sync.Mutex
	entries   map[string]*repeatEntry
	lastSweep time.Time
	sweepAt   int // entry count that triggers the next early sweep
}

type repeatEntry struct {
	id          string
	fingerprint [32]byte
	expires     time.Time
	done        chan struct{} // closed once the answer below is set

	keep   bool // false: the answer was transient (429, 5xx) and is not replayed
	status int
	header http.Header
	body   []byte
}

func newRepeatCache(window time.Duration) *repeatCache {
	return &repeatCache{window: window, entries: make(map[string]*repeatEntry), sweepAt: 4096}
}

func requestFingerprint(r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(body)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// serve runs next once per request ID within the window.
func (c *repeatCache) serve(w http.ResponseWriter, r *http.Request, id string, body []byte, next func(http.ResponseWriter)) {
	fp := requestFingerprint(r, body)
	for {
		now := time.Now()
		c.mu.Lock()
		c.sweepLocked(now)
		entry, ok := c.entries[id]
		if ok && now.After(entry.expires) {
			delete(c.entries, id)
			ok = false
		}
		if !ok {
			entry = &repeatEntry{id: id, fingerprint: fp, expires: now.Add(c.window), done: make(chan struct{})}
			c.entries[id] = entry
			c.mu.Unlock()
			c.runFirst(w, entry, next)
			return
		}
		c.mu.Unlock()
		if entry.fingerprint != fp {
			writeAPIError(w, errConflict("RepeatabilityRequestIdConflict",
				"Repeatability-Request-ID %s was already used for a different request.", id))
			return
		}
		select {
		case <-entry.done:
		case <-r.Context().Done():
			return
		}
		if entry.keep {
			for k, v := range entry.header {
				w.Header()[k] = v
			}
			w.Header().Set("Repeatability-Result", "accepted")
			w.WriteHeader(entry.status)
			_, _ = w.Write(entry.body)
			return
		}
		// The first attempt failed transiently and was forgotten: try again.
	}
}

func (c *repeatCache) runFirst(w http.ResponseWriter, entry *repeatEntry, next func(http.ResponseWriter)) {
	rec := &recorder{header: http.Header{}}
	defer func() {
		entry.status = rec.status
		entry.header = rec.header
		entry.body = rec.buf.Bytes()
		entry.keep = rec.status != 0 && rec.status != http.StatusTooManyRequests && rec.status < 500
		if !entry.keep {
			c.mu.Lock()
			if c.entries[entry.id] == entry {
				delete(c.entries, entry.id)
			}
			c.mu.Unlock()
		}
		close(entry.done)
	}()
	next(rec)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status >= 200 && rec.status < 300 {
		w.Header().Set("Repeatability-Result", "accepted")
		rec.header.Set("Repeatability-Result", "accepted")
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.buf.Bytes())
}

// sweepLocked drops expired entries now and then, so memory stays bounded by
// the request rate times the window.
func (c *repeatCache) sweepLocked(now time.Time) {
	if now.Sub(c.lastSweep) < c.window/4 && len(c.entries) < c.sweepAt {
		return
	}
	c.lastSweep = now
	for id, e := range c.entries {
		if now.After(e.expires) {
			select {
			case <-e.done:
				delete(c.entries, id)
			default:
			}
		}
	}
	c.sweepAt = max(4096, 2*len(c.entries))
}

// recorder captures a handler's answer for replay.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}
