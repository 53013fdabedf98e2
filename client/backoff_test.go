package client

import (
	"testing"
	"time"
)

func TestBackoffStaysWithinItsBounds(t *testing.T) {
	for _, p := range []RetryPolicy{{}, {BaseDelay: 10 * time.Second, MaxDelay: time.Minute}, {BaseDelay: time.Hour, MaxDelay: time.Second}} {
		p = p.withDefaults()
		prev := time.Duration(0)
		for n := 1; n <= 100; n++ {
			d := p.backoff(n)
			if d < 0 || d > p.MaxDelay || (n == 1 && d < p.BaseDelay/2 && p.BaseDelay <= p.MaxDelay) {
				t.Fatalf("%+v: backoff(%d) = %v", p, n, d)
			}
			prev = max(prev, d)
		}
		if prev < p.MaxDelay/2 {
			t.Fatalf("%+v: the backoff never reached half of MaxDelay (%v)", p, prev)
		}
	}
}
