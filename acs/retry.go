package acs

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds the retries of one logical request. Only 408, 429,
// 500, 502, 503, 504 and connection errors are retried; every retry reuses
// the request's Repeatability-Request-ID and Repeatability-First-Sent and is
// signed afresh. No wait ever runs past the caller's context deadline: when
// the next wait would, the client stops and returns the last error.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included. 0 means 4;
	// 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per retry, with jitter.
	// 0 means 250ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. 0 means 8s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest server-requested wait (Retry-After) the
	// client honours; a longer one ends the retries and the error carries
	// it in RetryAfter. 0 means 60s.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	return p
}

// backoff returns the jittered wait before retry number n (1-based):
// half of min(MaxDelay, BaseDelay*2^(n-1)) plus a random share of the other half.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.MaxDelay
	if n < 32 {
		if exp := p.BaseDelay << (n - 1); exp > 0 && exp < d {
			d = exp
		}
	}
	half := d / 2
	return half + rand.N(half+1)
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transportError is a failure to get an answer: connection refused or reset,
// a per-attempt timeout, a body cut short. The client retries it unless the
// caller's context is done.
type transportError struct {
	err error
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// retryDecision says whether and after how long to retry err.
func (p RetryPolicy) retryDecision(ctx context.Context, err error, retryNumber int) (retry bool, wait time.Duration) {
	if ctx.Err() != nil {
		return false, 0
	}
	var te *transportError
	if errors.As(err, &te) {
		return true, p.backoff(retryNumber)
	}
	var ae *Error
	if !errors.As(err, &ae) || !retryableStatus(ae.StatusCode) {
		return false, 0
	}
	if ae.RetryAfter > 0 {
		if ae.RetryAfter > p.MaxRetryAfter {
			return false, 0
		}
		return true, ae.RetryAfter
	}
	return true, p.backoff(retryNumber)
}

// maxParsedRetryAfter keeps absurd header values from overflowing.
const maxParsedRetryAfter = 24 * time.Hour

// parseRetryAfter reads x-ms-retry-after-ms, retry-after-ms (milliseconds)
// or Retry-After (seconds or an HTTP date); 0 when none is usable.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	// Millisecond headers first, in the order azcore reads them.
	for _, name := range [...]string{"X-Ms-Retry-After-Ms", "Retry-After-Ms"} {
		if v := h.Get(name); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
				return clampRetryAfter(ms * float64(time.Millisecond))
			}
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs > 0 {
			return clampRetryAfter(secs * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxParsedRetryAfter)
		}
	}
	return 0
}

func clampRetryAfter(ns float64) time.Duration {
	// Also catches NaN: every comparison with it is false.
	if !(ns < float64(maxParsedRetryAfter)) {
		return maxParsedRetryAfter
	}
	return time.Duration(ns)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
