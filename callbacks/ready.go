package callbacks

import (
	"context"
	"fmt"
)

// Ready reports whether the handler can authenticate callbacks now, for readiness probes: a
// replica that would refuse every ACS callback with 401 should not receive them. It is nil when
// JWT verification is off or signing keys are held, and otherwise names the JWKS URL (without
// credentials or query) and why the last fetch failed; see tokens.Verifier.Ready, which fetches
// the keys while none are held.
func (h *Handler) Ready(ctx context.Context) error {
	if h.jwt == nil {
		return nil
	}
	if err := h.jwt.Ready(ctx); err != nil {
		return fmt.Errorf("callbacks: %w", err)
	}
	return nil
}
