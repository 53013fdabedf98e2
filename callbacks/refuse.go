package callbacks

import (
	"net/http"
	"regexp"
	"unicode/utf8"

	"go.uber.org/zap"
)

// maxExcerpt bounds the part of a refused body a log line quotes.
const maxExcerpt = 512

// refuse answers a delivery that will never be stored (400, 401, 413) and logs it at Warn: a real
// ACS delivery that cannot be parsed must leave a trace, or it is lost without one. The line names
// the reason and quotes the start of the body, redacted; the body of an unauthenticated request
// is not quoted at all, and neither is the URL's query (it holds the secret).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, reason string, body []byte) {
	fields := []zap.Field{
		zap.String("path", r.URL.Path),
		zap.String("remote_addr", r.RemoteAddr),
		zap.Int("status", status),
		zap.String("reason", reason),
	}
	if status != http.StatusUnauthorized && len(body) > 0 {
		fields = append(fields, zap.Int("body_bytes", len(body)), zap.String("body_excerpt", excerpt(body)))
	}
	h.log.Warn("callback refused", fields...)
	h.metrics.delivery(r, refusal(status))
	msg := reason
	if status == http.StatusUnauthorized {
		// Which check failed is for the log, not for whoever knocked.
		msg = "unauthorized"
	}
	http.Error(w, msg, status)
}

// sensitiveValue matches the JSON string values an excerpt must not show: an incoming call's
// context answers the call, and a validation code completes a subscription.
var sensitiveValue = regexp.MustCompile(`("(?:incomingCallContext|validationCode|validationUrl)"\s*:\s*)"(?:[^"\\]|\\.)*("|$)`)

// excerpt is the start of body, at most maxExcerpt bytes of valid UTF-8 with control characters
// escaped and sensitive values replaced. Phone numbers are masked by the process logger.
func excerpt(body []byte) string {
	b := body
	if len(b) > maxExcerpt {
		b = b[:maxExcerpt]
	}
	s := sensitiveValue.ReplaceAllString(string(b), `$1"<redacted>"`)
	out := make([]rune, 0, len(s))
	for i, r := range s {
		if r == utf8.RuneError && i+1 > len(s)-utf8.UTFMax {
			break // a character cut by the bound
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		out = append(out, r)
	}
	if len(body) > maxExcerpt {
		return string(out) + "…"
	}
	return string(out)
}
