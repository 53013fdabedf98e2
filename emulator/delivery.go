package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// maxConcurrentDeliveries bounds the callback POSTs in flight.
const maxConcurrentDeliveries = 128

// outEvent is one encoded callback waiting for delivery.
type outEvent struct {
	id               string
	kind             string
	callConnectionID string
	correlationID    string
	url              string
	body             []byte

	// reordered and late mark an event the fault injector has already moved,
	// so it is not moved twice.
	reordered bool
	late      bool
	// after, when set, runs once the event was delivered or given up on: what must follow it
	// (a stream's socket closes after its Stopped event).
	after func()
}

// deliverer posts callback events: one queue per call connection, drained by
// one goroutine at a time so a call's events arrive in order; each event is
// retried with backoff (same id, new token) on a non-2xx answer or a timeout.
type deliverer struct {
	log    *zap.Logger
	client *http.Client
	signer *tokenSigner
	claims func() (issuer, audience string)
	chance *chance

	maxAttempts int
	backoff     time.Duration
	timeout     time.Duration
	faults      FaultConfig
	reuse       time.Duration

	// slots bounds the callback POSTs in flight, so a burst of thousands
	// of calls opens at most cap(slots) connections to the receivers; the
	// other calls' queues wait their turn.
	slots chan struct{}

	tokenMu sync.Mutex
	token   string
	tokenAt time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	queues map[string]*eventQueue
	closed bool
}

type eventQueue struct {
	pending []outEvent
}

func newDeliverer(cfg *Config, signer *tokenSigner, ch *chance, claims func() (string, string)) *deliverer {
	ctx, cancel := context.WithCancel(context.Background())
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	if cfg.CallbackInsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in for self-signed local gateways
	}
	return &deliverer{
		log:         cfg.Logger,
		client:      &http.Client{Transport: transport},
		signer:      signer,
		claims:      claims,
		chance:      ch,
		maxAttempts: cfg.CallbackMaxAttempts,
		backoff:     cfg.CallbackRetryBackoff,
		timeout:     cfg.CallbackTimeout,
		faults:      cfg.Faults,
		reuse:       cfg.CallbackTokenReuse,
		slots:       make(chan struct{}, maxConcurrentDeliveries),
		ctx:         ctx,
		cancel:      cancel,
		queues:      make(map[string]*eventQueue),
	}
}

// enqueue appends events to their call's queue. Events given together are
// queued together, so the fault injector can reorder them.
func (d *deliverer) enqueue(evs ...outEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	for _, ev := range evs {
		q, running := d.queues[ev.callConnectionID]
		if !running {
			q = &eventQueue{}
			d.queues[ev.callConnectionID] = q
		}
		q.pending = append(q.pending, ev)
		if !running {
			d.wg.Add(1)
			go d.drain(ev.callConnectionID, q)
		}
	}
}

// drain delivers a call's queue until it is empty; a queue exists in the map
// exactly while its goroutine runs.
func (d *deliverer) drain(callID string, q *eventQueue) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(q.pending) == 0 || d.ctx.Err() != nil {
			delete(d.queues, callID)
			d.mu.Unlock()
			return
		}
		ev := q.pending[0]
		q.pending = q.pending[1:]
		if !ev.reordered && len(q.pending) > 0 && d.chance.hit(d.faults.ReorderRate) {
			// Deliver the next event first; this one waits behind it.
			next := q.pending[0]
			ev.reordered = true
			q.pending[0] = ev
			ev = next
		}
		if !ev.late && d.chance.hit(d.faults.LateRate) {
			ev.late = true
			d.wg.Add(1)
			go d.deliverLate(ev)
			d.mu.Unlock()
			continue
		}
		duplicate := d.chance.hit(d.faults.DuplicateRate)
		d.mu.Unlock()

		if d.deliver(ev) && duplicate {
			d.log.Debug("delivering duplicate callback", zap.String("event_id", ev.id), zap.String("call_connection_id", ev.callConnectionID))
			d.deliver(ev)
		}
		if ev.after != nil {
			ev.after()
		}
	}
}

func (d *deliverer) deliverLate(ev outEvent) {
	defer d.wg.Done()
	t := time.NewTimer(d.faults.LateDelay)
	defer t.Stop()
	select {
	case <-t.C:
		d.deliver(ev)
	case <-d.ctx.Done():
	}
	if ev.after != nil {
		ev.after()
	}
}

// deliver posts one event until it is accepted, attempts run out or the
// deliverer closes. It reports whether the receiver accepted it.
func (d *deliverer) deliver(ev outEvent) bool {
	wait := d.backoff
	for attempt := 1; attempt <= d.maxAttempts; attempt++ {
		status, err := d.post(ev)
		if err == nil && status >= 200 && status < 300 {
			d.log.Debug("callback delivered",
				zap.String("event_id", ev.id), zap.String("event_type", ev.kind),
				zap.String("call_connection_id", ev.callConnectionID), zap.String("correlation_id", ev.correlationID),
				zap.Int("attempt", attempt))
			return true
		}
		if d.ctx.Err() != nil {
			return false
		}
		fields := []zap.Field{
			zap.String("event_id", ev.id), zap.String("event_type", ev.kind),
			zap.String("call_connection_id", ev.callConnectionID), zap.String("correlation_id", ev.correlationID),
			zap.Int("attempt", attempt), zap.Int("status", status), zap.Error(err),
		}
		if attempt == d.maxAttempts {
			d.log.Warn("callback dropped after retries", fields...)
			return false
		}
		d.log.Debug("callback failed, retrying", fields...)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-d.ctx.Done():
			t.Stop()
			return false
		}
		if wait < 16*d.backoff {
			wait *= 2
		}
	}
	return false
}

func (d *deliverer) post(ev outEvent) (int, error) {
	select {
	case d.slots <- struct{}{}:
	case <-d.ctx.Done():
		return 0, d.ctx.Err()
	}
	defer func() { <-d.slots }()
	token, err := d.bearer()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.url, bytes.NewReader(ev.body))
	if err != nil {
		return 0, fmt.Errorf("building callback request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "callgate-emulator")
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting callback: %w", stripURL(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// bearer returns the token for one delivery attempt: a new one, unless
// token reuse is configured and the last one is recent enough.
func (d *deliverer) bearer() (string, error) {
	issuer, audience := d.claims()
	now := time.Now()
	if d.reuse <= 0 {
		return d.signer.sign(issuer, audience, now)
	}
	d.tokenMu.Lock()
	defer d.tokenMu.Unlock()
	if d.token != "" && now.Sub(d.tokenAt) < d.reuse {
		return d.token, nil
	}
	token, err := d.signer.sign(issuer, audience, now)
	if err != nil {
		return "", err
	}
	d.token, d.tokenAt = token, now
	return token, nil
}

// close stops deliveries in flight and waits for every delivery goroutine.
func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	d.client.CloseIdleConnections()
}
