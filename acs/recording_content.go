package acs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Recording files live in ACS's storage, at the locations a RecordingFileStatusUpdated event
// gives (contentLocation, metadataLocation, deleteLocation). The SDK reads and deletes them in
// its own way (contentDownloader.js), which this file follows: the request goes to the storage
// host, but is signed as if it went to the ACS endpoint (x-ms-host names the endpoint's host, and
// the string to sign has the path without its query), and carries the location as OriginalUrl.

// storageHostSuffixes are the storage hosts the SDK sends recording requests to; it refuses any
// other. The client also accepts the endpoint's own origin, where an emulator serves both.
var storageHostSuffixes = []string{".asm.skype.com", ".asyncgw.teams.microsoft.com", ".ams.gov.teams.microsoft.us"}

// ErrForeignLocation is returned for a recording location outside ACS's storage hosts and the
// endpoint's origin: the gateway's credentials are never sent anywhere else.
var ErrForeignLocation = errors.New("acs: recording location is not on ACS storage")

// DownloadRequest reads a recording file from a location ACS gave.
type DownloadRequest struct {
	// Location is the contentLocation or metadataLocation of a recording chunk.
	Location string
	// Offset skips that many bytes; Length, when positive, reads at most that many. Sent as
	// Range (bytes=Offset- or bytes=Offset-(Offset+Length-1)); none when both are 0.
	Offset, Length int64
}

// Download is a recording file being read: the caller reads Body and must close it.
type Download struct {
	Body        io.ReadCloser
	ContentType string
	// Partial is set for a 206 answer to a Range. Body holds the range asked for either way: of
	// a whole file sent by a server that ignored Range, the client skips to the offset.
	Partial bool
	// Size is the bytes Body holds, -1 when ACS did not say.
	Size int64
}

// DownloadRecording reads a recording file: GET {location} (200, or 206 for a Range). Answers
// other than 200 and 206 are errors, retried as other requests are; the body is not.
func (c *Client) DownloadRecording(ctx context.Context, req *DownloadRequest) (*Download, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if req.Offset < 0 || req.Length < 0 {
		return nil, &ValidationError{Violations: []FieldViolation{{Field: "offset", Description: "offset and length must not be negative"}}}
	}
	rng := ""
	switch {
	case req.Length > 0:
		rng = fmt.Sprintf("bytes=%d-%d", req.Offset, req.Offset+req.Length-1)
	case req.Offset > 0:
		rng = fmt.Sprintf("bytes=%d-", req.Offset)
	}
	resp, err := c.contentRequest(ctx, "DownloadRecording", http.MethodGet, req.Location, rng, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, err
	}
	d := &Download{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Partial: resp.StatusCode == http.StatusPartialContent, Size: resp.ContentLength}
	if rng != "" && !d.Partial {
		// A server may ignore Range and send the whole file: the caller still gets the bytes it
		// asked for, never the file's start as if it were at Offset.
		if err := d.skipToRange(req.Offset, req.Length); err != nil {
			_ = resp.Body.Close()
			return nil, err
		}
	}
	return d, nil
}

// skipToRange makes a whole file's Body the range [offset, offset+length) of it.
func (d *Download) skipToRange(offset, length int64) error {
	if _, err := io.CopyN(io.Discard, d.Body, offset); err != nil {
		return fmt.Errorf("acs: skipping to offset %d of a download that ignored Range: %w", offset, err)
	}
	if d.Size >= 0 {
		d.Size = max(d.Size-offset, 0)
	}
	if length > 0 {
		d.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(d.Body, length), d.Body}
		if d.Size >= 0 {
			d.Size = min(d.Size, length)
		}
	}
	return nil
}

// DeleteRecording deletes a recording chunk: DELETE {deleteLocation}. The SDK takes only 200
// as success (a 204 is an error to it), and so does this client.
func (c *Client) DeleteRecording(ctx context.Context, location string) error {
	resp, err := c.contentRequest(ctx, "DeleteRecording", http.MethodDelete, location, "", http.StatusOK)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxResponse))
	return resp.Body.Close()
}

// contentURL checks a recording location: absolute, no user info, and on ACS storage over
// https or on the endpoint's own origin.
func (c *Client) contentURL(location string) (*url.URL, error) {
	u, err := url.Parse(location)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%w: not an absolute URL", ErrForeignLocation)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: it carries user information", ErrForeignLocation)
	}
	if sameOrigin(u, c.base) {
		return u, nil
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" {
		for _, s := range storageHostSuffixes {
			if strings.HasSuffix(host, s) {
				return u, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: host %s", ErrForeignLocation, u.Host)
}

// contentRequest sends a recording-content request with retries until an answer of one of the
// ok statuses, whose body the caller owns.
func (c *Client) contentRequest(ctx context.Context, op, method, location, rng string, ok ...int) (resp *http.Response, err error) {
	u, err := c.contentURL(location)
	if err != nil {
		return nil, err
	}
	ctx, span := c.tracing.start(ctx, &call{op: op, method: method})
	attempts := 0
	defer func() { endSpan(span, attempts, err) }()
	clientRequestID := NewUUID()
	for attempt := 1; ; attempt++ {
		attempts = attempt
		resp, err = c.contentAttempt(ctx, op, method, u, location, rng, clientRequestID, ok)
		if err == nil {
			return resp, nil
		}
		if attempt >= c.retry.MaxAttempts {
			return nil, err
		}
		retry, wait := c.retry.retryDecision(ctx, err, attempt)
		if !retry {
			return nil, err
		}
		c.observer.Retry(op, retryReason(err))
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (retry abandoned: %w)", err, serr)
		}
	}
}

func (c *Client) contentAttempt(ctx context.Context, op, method string, u *url.URL, location, rng, clientRequestID string, ok []int) (_ *http.Response, err error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("acs: %s: %w", op, err)
	}
	req.URL = u
	req.Host = u.Host
	h := req.Header
	h["Originalurl"] = []string{location}
	h["X-Ms-Host"] = []string{c.base.Host}
	h["Accept"] = []string{"application/json"}
	if rng != "" {
		h["Range"] = []string{rng}
	}
	h["User-Agent"] = []string{c.userAgent}
	h["X-Ms-Client-Request-Id"] = []string{clientRequestID}
	c.tracing.inject(ctx, h)
	if k, isKey := c.cred.(*KeyCredential); isKey {
		k.authorizeContent(req, c.base.Host)
	} else if err := c.cred.Authorize(ctx, req, nil); err != nil {
		return nil, fmt.Errorf("acs: %s: %w", op, err)
	}
	start := time.Now()
	status := 0
	defer func() {
		s, code := attemptOutcome(status, err)
		c.observer.Attempt(op, s, code, time.Since(start))
	}()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &transportError{err: fmt.Errorf("acs: %s: %w", op, err)}
	}
	status = resp.StatusCode
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if readErr != nil {
		return nil, &transportError{err: fmt.Errorf("acs: %s: reading the %d response: %w", op, resp.StatusCode, readErr)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The SDK refuses a 204 to a delete; so does the client, as an error of its own.
		return nil, &Error{Operation: op, StatusCode: resp.StatusCode, Code: "UnexpectedStatus", Message: "ACS answered " + strconv.Itoa(resp.StatusCode), ClientRequestID: clientRequestID}
	}
	return nil, decodeError(op, resp.StatusCode, resp.Header, body, clientRequestID, time.Now())
}

// authorizeContent signs a recording-content request as the SDK does: host is the ACS
// endpoint's (x-ms-host), the path is without its query, the body is empty.
func (k *KeyCredential) authorizeContent(req *http.Request, endpointHost string) {
	date := time.Now().UTC().Format(http.TimeFormat)
	sum := sha256.Sum256(nil)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	req.Header["X-Ms-Date"] = []string{date}
	req.Header["X-Ms-Content-Sha256"] = []string{hash}
	req.Header["Authorization"] = []string{k.authorization(req.Method, req.URL.EscapedPath(), endpointHost, date, hash)}
}
