package callbacks

import (
	"context"
	"fmt"
)

// Ready reports whether the handler can authenticate callbacks now, for readiness probes: a
// replica that would refuse every ACS callback with 401 should not receive them. It is nil when
// JWT verification is off or signing keys are held, and otherwise names the JWKS URL (without
// credentials or query) and why the last fetch failed.
//
// While no keys are held Ready fetches them itself when the retry backoff allows (every second at
// first, then up to every 30 s), within ctx: a replica reported not-ready receives no callbacks to
// do it, so this is what turns it ready again once the JWKS server answers. Otherwise it costs a
// lock, except once an hour, when the keys are due for a refresh and the probe makes it.
//
// A failed refresh while keys are held is ready: callbacks still verify against the keys held,
// and the fetch is retried on the same backoff. Dropping them would turn a JWKS outage into a
// callback outage; the cost is that a key the issuer withdrew stays trusted until a fetch
// succeeds. A key set that arrives without any usable RSA key does replace them, and is not ready.
func (h *Handler) Ready(ctx context.Context) error {
	if h.jwt == nil {
		return nil
	}
	if h.jwt.current(ctx, "") == nil {
		return fmt.Errorf("callbacks: %w", h.jwt.unavailable())
	}
	return nil
}
