package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Repeatability is the idempotency key of a repeatable POST. The client sends
// it as Repeatability-Request-ID and Repeatability-First-Sent on the first
// attempt and on every retry of the same call, so ACS runs the operation at
// most once.
type Repeatability struct {
	// RequestID is a UUID naming the logical request. Empty means a fresh
	// random UUID per method call. Pass the same value again to repeat a
	// request safely (for example an AIP-155 request_id from the gateway's
	// own caller).
	RequestID string
	// FirstSent is when the request was first sent; zero means now. Set it
	// together with RequestID when repeating a request sent earlier.
	FirstSent time.Time
}

// call is one logical request: everything that stays the same across its
// attempts.
type call struct {
	op               string // method name, for errors and logs
	method           string
	url              *url.URL
	body             any            // JSON-encoded; nil sends no body
	repeat           *Repeatability // non-nil for the repeatable POSTs
	callConnectionID string         // for logs
}

// headers of one logical request that every attempt repeats.
type requestIDs struct {
	clientRequestID string
	repeatID        string
	firstSent       string
}

// do runs a call with retries and decodes a 2xx body into out (may be nil).
func (c *Client) do(ctx context.Context, cl *call, out any) (err error) {
	if c.timeout > 0 {
		// The earlier of the caller's deadline and the client's own: a call made with no deadline
		// cannot retry for minutes.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	ctx, span := c.tracing.start(ctx, cl)
	attempts := 0
	defer func() { endSpan(span, attempts, err) }()
	body, ids, err := c.prepare(cl)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		attempts = attempt
		err = c.attempt(ctx, cl, body, &ids, attempt, out)
		if err == nil {
			return nil
		}
		if attempt >= c.retry.MaxAttempts {
			if attempt > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		retry, wait := c.retry.retryDecision(ctx, err, attempt)
		if !retry {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return fmt.Errorf("%w (not retried: the %s wait would pass the deadline: %w)", err, wait, context.DeadlineExceeded)
		}
		if ce := c.log.Check(zapcore.WarnLevel, "acs request failed, retrying"); ce != nil {
			ce.Write(zap.String("operation", cl.op), zap.String("call_connection_id", cl.callConnectionID),
				zap.Int("attempt", attempt), zap.Duration("retry_in", wait),
				zap.String("client_request_id", ids.clientRequestID), zap.Error(err))
		}
		c.observer.Retry(cl.op, retryReason(err))
		if sleepErr := c.sleep(ctx, wait); sleepErr != nil {
			return fmt.Errorf("%w (retry abandoned: %w)", err, sleepErr)
		}
	}
}

// prepare encodes the body and fixes the IDs every attempt repeats.
func (c *Client) prepare(cl *call) ([]byte, requestIDs, error) {
	body, err := encodeBody(cl.body)
	if err != nil {
		return nil, requestIDs{}, fmt.Errorf("acs: %s: encoding the request: %w", cl.op, err)
	}
	ids := requestIDs{clientRequestID: NewUUID()}
	if cl.repeat != nil {
		ids.repeatID = cl.repeat.RequestID
		if ids.repeatID == "" {
			ids.repeatID = NewUUID()
		}
		first := cl.repeat.FirstSent
		if first.IsZero() {
			first = time.Now()
		}
		ids.firstSent = first.UTC().Format(http.TimeFormat)
	}
	return body, ids, nil
}

// encodeBody returns the JSON of v as the SDK writes it, or nil for a nil v.
// The transport may read a request body after RoundTrip returns, so the
// bytes are not pooled.
func encodeBody(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, 512)) // most bodies fit
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // the SDK sends <, > and & as they are
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // Encode ends with a newline the SDK does not send
}

// attempt sends one try of a call.
func (c *Client) attempt(ctx context.Context, cl *call, body []byte, ids *requestIDs, n int, out any) (err error) {
	if c.attemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.attemptTimeout)
		defer cancel()
	}
	req := c.newRequest(ctx, cl, body, ids)
	c.tracing.inject(ctx, req.Header)
	if err := c.cred.Authorize(ctx, req, body); err != nil {
		return fmt.Errorf("acs: %s: %w", cl.op, err)
	}
	start := time.Now()
	status := 0
	defer func() {
		s, code := attemptOutcome(status, err)
		c.observer.Attempt(cl.op, s, code, time.Since(start))
	}()
	resp, err := c.http.Do(req)
	if err != nil {
		c.logAttempt(cl, ids, n, 0, "", start, err)
		return &transportError{err: fmt.Errorf("acs: %s: %w", cl.op, err)}
	}
	status = resp.StatusCode
	buf := c.getBuf()
	defer c.putBuf(buf)
	_, readErr := buf.ReadFrom(io.LimitReader(resp.Body, c.maxResponse+1))
	resp.Body.Close()
	c.logAttempt(cl, ids, n, resp.StatusCode, resp.Header.Get(headerChainID), start, readErr)
	if readErr != nil {
		return &transportError{err: fmt.Errorf("acs: %s: reading the %d response: %w", cl.op, resp.StatusCode, readErr)}
	}
	if int64(buf.Len()) > c.maxResponse {
		return fmt.Errorf("acs: %s: the %d response is larger than %d bytes", cl.op, resp.StatusCode, c.maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := decodeError(cl.op, resp.StatusCode, resp.Header, buf.Bytes(), ids.clientRequestID, time.Now())
		if e.StatusCode == http.StatusUnauthorized {
			// The gateway's own credentials are wrong or expired: nothing a
			// caller can fix, so say it loudly here.
			c.log.Error("ACS rejected the gateway's credentials",
				zap.String("operation", cl.op), zap.String("code", e.Code),
				zap.String("client_request_id", e.ClientRequestID), zap.String("chain_id", e.ChainID))
		}
		return e
	}
	if out != nil {
		if err := decodeResponse(buf.Bytes(), out); err != nil {
			return fmt.Errorf("acs: %s: decoding the %d response: %w", cl.op, resp.StatusCode, err)
		}
	}
	return nil
}

// decodeResponse decodes a 2xx body; an empty body leaves out untouched.
func decodeResponse(data []byte, out any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (c *Client) newRequest(ctx context.Context, cl *call, body []byte, ids *requestIDs) *http.Request {
	h := make(http.Header, 12)
	// One backing array for the values this function sets.
	vals := make([]string, 0, 6)
	set := func(name, value string) {
		vals = append(vals, value)
		h[name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set("Accept", "application/json")
	set("User-Agent", c.userAgent)
	set("X-Ms-Client-Request-Id", ids.clientRequestID)
	if ids.repeatID != "" {
		set("Repeatability-Request-Id", ids.repeatID)
		set("Repeatability-First-Sent", ids.firstSent)
	}
	req := &http.Request{
		Method:     cl.method,
		URL:        cl.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       cl.url.Host,
	}
	switch {
	case body != nil:
		set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		req.Body = newBodyReader(body)
		req.GetBody = func() (io.ReadCloser, error) { return newBodyReader(body), nil }
	case cl.method == http.MethodPost:
		// An empty POST still says Content-Length: 0, as the SDK's does.
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	return req.WithContext(ctx)
}

// bodyReader is a request body: a bytes.Reader that can be closed, in one
// allocation.
type bodyReader struct {
	bytes.Reader
}

func newBodyReader(b []byte) *bodyReader {
	r := &bodyReader{}
	r.Reset(b)
	return r
}

func (*bodyReader) Close() error { return nil }

func (c *Client) logAttempt(cl *call, ids *requestIDs, n, status int, chainID string, start time.Time, err error) {
	ce := c.log.Check(zapcore.DebugLevel, "acs request")
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("operation", cl.op),
		zap.String("method", cl.method),
		zap.String("call_connection_id", cl.callConnectionID),
		zap.Int("attempt", n),
		zap.Int("status", status),
		zap.Duration("duration", time.Since(start)),
		zap.String("client_request_id", ids.clientRequestID),
		zap.String("chain_id", chainID),
	}
	if ids.repeatID != "" {
		fields = append(fields, zap.String("repeatability_request_id", ids.repeatID))
	}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	ce.Write(fields...)
}

func (c *Client) getBuf() *bytes.Buffer {
	if b, ok := c.bufs.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// maxPooledBuffer keeps one huge response from pinning memory in the pool.
const maxPooledBuffer = 64 << 10

func (c *Client) putBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	c.bufs.Put(b)
}

// ErrForeignNextLink is returned when a nextLink points at another scheme
// or host than the endpoint: following it would send credentials elsewhere.
var ErrForeignNextLink = errors.New("acs: nextLink leaves the configured endpoint")

// resolveNextLink turns a nextLink (absolute or relative) into a URL on the
// endpoint's origin, adding api-version when the link lacks it.
func (c *Client) resolveNextLink(op, link string) (*url.URL, error) {
	ref, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("acs: %s: nextLink does not parse: %w", op, err)
	}
	u := c.base.ResolveReference(ref)
	if u.User != nil || !sameOrigin(u, c.base) {
		return nil, fmt.Errorf("acs: %s: refusing nextLink to %s://%s: %w", op, u.Scheme, u.Host, ErrForeignNextLink)
	}
	u.Fragment, u.RawFragment = "", ""
	if !u.Query().Has("api-version") {
		if u.RawQuery == "" {
			u.RawQuery = c.apiQuery
		} else {
			u.RawQuery += "&" + c.apiQuery
		}
	}
	return u, nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOrDefault(a) == portOrDefault(b)
}

func portOrDefault(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
