// Package callbacks receives what ACS posts to the gateway: Call Automation callback events
// (CloudEvents) at /callbacks/calls and Event Grid deliveries (IncomingCall, subscription
// validation) at /callbacks/eventgrid. It authenticates each delivery, parses it into callgate.v1
// messages and appends it to the event log, and answers 2xx only once the log has acknowledged
// every event, so that ACS delivers again whatever was not stored.
package callbacks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
	"github.com/callgate/callgate/tokens"
)

// Paths the handler serves, below the gateway's public URL.
const (
	CallsPath     = "/callbacks/calls"
	EventGridPath = "/callbacks/eventgrid"
)

// DefaultMaxBodyBytes bounds a delivery: ACS batches are a few kilobytes.
const DefaultMaxBodyBytes = 1 << 20

// Log is where deliveries are stored: *eventlog.Log.
type Log interface {
	AppendCalls(ctx context.Context, events []eventlog.CallEvent) ([]eventlog.Appended, error)
	AppendIncoming(ctx context.Context, called, eventID string, payload []byte) (seq uint64, duplicate bool, err error)
}

// Config says how deliveries are authenticated.
type Config struct {
	// Secret is put in the callback URLs the gateway hands out (?token=...) and required on every
	// delivery to both endpoints. Share it among replicas: ACS may call back any of them. Event
	// Grid deliveries carry no other credential: without a secret, /callbacks/eventgrid refuses
	// them all.
	Secret string
	// JWT, when set, also requires ACS's signed bearer token on /callbacks/calls.
	JWT *JWTConfig
	// MaxBodyBytes bounds a delivery's body; larger ones get 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Metrics, when set, gets the handler's Prometheus collectors.
	Metrics prometheus.Registerer
	Logger  *zap.Logger
}

// Handler serves CallsPath and EventGridPath.
type Handler struct {
	cfg     Config
	log     *zap.Logger
	store   Log
	jwt     *tokens.Verifier
	metrics *metrics
	cancel  context.CancelFunc
}

// New builds the handler. With cfg.JWT it starts fetching the signing keys in the background until
// Close.
func New(cfg Config, store Log) (*Handler, error) {
	if cfg.Secret == "" && cfg.JWT == nil {
		return nil, errors.New("callbacks: configure a secret, JWT verification or both")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{cfg: cfg, log: cfg.Logger, store: store, cancel: cancel, metrics: newMetrics(cfg.Metrics)}
	if cfg.JWT != nil {
		v, err := newJWTVerifier(ctx, *cfg.JWT, cfg.Logger)
		if err != nil {
			cancel()
			return nil, err
		}
		h.jwt = v
	}
	return h, nil
}

// Close aborts a fetch of the JWT signing keys in flight; none starts after it.
func (h *Handler) Close() { h.cancel() }

// CallbackURL is the URL to give ACS as a call's callback URI.
func (h *Handler) CallbackURL(publicURL string) string {
	return URL(publicURL, CallsPath, h.cfg.Secret)
}

// EventGridURL is the URL to register as the Event Grid subscription's webhook.
func (h *Handler) EventGridURL(publicURL string) string {
	return URL(publicURL, EventGridPath, h.cfg.Secret)
}

// URL is the address of one of the handler's paths below publicURL, with the secret it requires.
func URL(publicURL, path, secret string) string {
	u := strings.TrimRight(publicURL, "/") + path
	if secret != "" {
		u += "?" + tokenQueryParam + "=" + url.QueryEscape(secret)
	}
	return u
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case CallsPath:
		h.serveCalls(w, r)
	case EventGridPath:
		h.serveEventGrid(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveCalls(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := h.authenticate(r, h.jwt); err != nil {
		h.refuse(w, r, http.StatusUnauthorized, err.Error(), nil)
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	envelopes, err := decodeEnvelopes[cloudEvent](body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
		return
	}
	batch := make([]eventlog.CallEvent, 0, len(envelopes))
	types := make([]string, 0, len(envelopes)) // of batch's events
	var recordings []*callgatev1.RecordingEvent
	// The parsed events are kept only for the debug lines: this runs for every callback.
	debug := h.log.Core().Enabled(zap.DebugLevel)
	var parsed []*callgatev1.CallEvent
	var correlationID string
	for _, ce := range envelopes {
		ev, err := parseCallEvent(ce)
		if err != nil {
			h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
			return
		}
		rec, err := recordingEventOf(ev, ce.Data, ce.Source)
		if err != nil {
			h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
			return
		}
		if rec != nil {
			recordings = append(recordings, rec)
			if ev.GetCallConnectionId() == "" {
				continue
			}
		}
		payload, err := encodeCallEvent(ev, ce.Data)
		if err != nil {
			h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
			return
		}
		types = append(types, ce.Type)
		batch = append(batch, eventlog.CallEvent{CallID: ev.GetCallConnectionId(), EventID: ev.GetId(), Payload: payload})
		if correlationID == "" {
			correlationID = ev.GetCorrelationId()
		}
		if debug {
			parsed = append(parsed, ev)
		}
	}
	appended, err := h.store.AppendCalls(r.Context(), batch)
	if errors.Is(err, eventlog.ErrInvalidArgument) {
		// Delivering it again would not help: refuse it.
		h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
		return
	}
	if err != nil {
		// 503 makes ACS deliver again; the event IDs make that safe.
		h.log.Warn("cannot store callback events; asking ACS to deliver again", zap.Int("events", len(batch)), zap.Error(err))
		h.metrics.delivery(r, outcomeStoreFailed)
		http.Error(w, "events not stored, deliver again", http.StatusServiceUnavailable)
		return
	}
	if err := h.storeRecordings(r.Context(), recordings); err != nil {
		h.log.Warn("cannot store recording events; asking ACS to deliver again", zap.Int("events", len(recordings)), zap.Error(err))
		h.metrics.delivery(r, outcomeStoreFailed)
		http.Error(w, "events not stored, deliver again", http.StatusServiceUnavailable)
		return
	}
	duplicate := len(recordings) == 0
	for i, t := range types {
		if !appended[i].Duplicate {
			duplicate = false
			h.metrics.event(t)
		}
	}
	if duplicate {
		h.metrics.delivery(r, outcomeDuplicate)
	} else {
		h.metrics.delivery(r, outcomeStored)
	}
	if len(batch) > 0 {
		annotate(r, batch[0].CallID, correlationID)
	}
	if debug {
		for i, ev := range parsed {
			h.log.Debug("callback event stored",
				zap.String("call_connection_id", ev.GetCallConnectionId()),
				zap.String("correlation_id", ev.GetCorrelationId()),
				zap.String("event_type", ev.GetType()),
				zap.String("event_id", ev.GetId()),
				zap.Uint64("sequence", appended[i].Seq),
				zap.Bool("duplicate", appended[i].Duplicate))
		}
	}
	w.WriteHeader(http.StatusOK)
}

// authenticate applies every check that is configured: the URL secret, and the bearer token when
// jwt is not nil.
func (h *Handler) authenticate(r *http.Request, jwt *tokens.Verifier) error {
	if h.cfg.Secret != "" && !secretMatches(r, h.cfg.Secret) {
		return fmt.Errorf("%w: wrong or missing %s in the URL", errUnauthenticated, tokenQueryParam)
	}
	if jwt != nil {
		return verifyBearer(r.Context(), jwt, r)
	}
	return nil
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBodyBytes), body)
			return nil, false
		}
		h.refuse(w, r, http.StatusBadRequest, "cannot read body: "+err.Error(), body)
		return nil, false
	}
	return body, true
}
