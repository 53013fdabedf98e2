package acs

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"http date", map[string]string{"Retry-After": "Tue, 24 Nov 2026 00:00:10 GMT"}, 10 * time.Second},
		{"date in the past", map[string]string{"Retry-After": "Mon, 23 Nov 2026 00:00:10 GMT"}, 0},
		{"retry-after-ms", map[string]string{"retry-after-ms": "150"}, 150 * time.Millisecond},
		{"x-ms-retry-after-ms wins", map[string]string{"x-ms-retry-after-ms": "20", "retry-after-ms": "150", "Retry-After": "9"}, 20 * time.Millisecond},
		{"ms before seconds", map[string]string{"retry-after-ms": "150", "Retry-After": "9"}, 150 * time.Millisecond},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"negative", map[string]string{"Retry-After": "-5"}, 0},
		{"huge", map[string]string{"Retry-After": "1e30"}, maxParsedRetryAfter},
		{"bad ms falls back", map[string]string{"retry-after-ms": "x", "Retry-After": "2"}, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			if got := parseRetryAfter(h, now); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for n, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := p.backoff(n); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestEscapePathSegmentLikeEncodeURIComponent(t *testing.T) {
	for in, want := range map[string]string{
		"8:acs:p":        "8%3Aacs%3Ap",
		"conn-1":         "conn-1",
		"4:+16041234567": "4%3A%2B16041234567",
		"a b/c?d#e":      "a%20b%2Fc%3Fd%23e",
		"!~*'()._-":      "!~*'()._-",
		"é":              "%C3%A9",
		"8:acs:r_t_u%":   "8%3Aacs%3Ar_t_u%25",
	} {
		if got := escapePathSegment(in); got != want {
			t.Errorf("escapePathSegment(%q) = %q, want %q", in, got, want)
		}
	}
}
