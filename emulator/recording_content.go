package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Recording files, at locations shaped like the live ones: {base}/v1/objects/{documentId}/
// content/audio (or video) and .../content/acsmetadata to read, {base}/v1/objects/{documentId}
// to delete. Requests are signed as the SDK signs them for ACS's storage: HMAC over the path
// without its query and the ACS endpoint's host as x-ms-host (not Host) gives it; a Range is
// honoured (206); a delete answers 200, as the SDK expects.

func (e *Emulator) serveRecordingContent(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/objects/"), "/")
	part := ""
	switch {
	case len(segs) == 1 && r.Method == http.MethodDelete:
	case len(segs) == 3 && segs[1] == "content" && r.Method == http.MethodGet:
		part = segs[2]
	case len(segs) == 1 || len(segs) == 3:
		writeContentError(w, &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: "The requested method is not allowed on this resource."})
		return
	default:
		writeContentError(w, &apiError{status: http.StatusNotFound, code: "NotFound", message: "The requested resource was not found."})
		return
	}
	if err := verifyContentHMAC(r, e.cfg.AccessKey, time.Now()); err != nil {
		e.log.Debug("recording content request rejected: authentication", zap.String("path", r.URL.Path), zap.String("reason", err.Error()))
		writeContentError(w, errUnauthorized())
		return
	}
	e.mu.Lock()
	doc, ok := e.documents[segs[0]]
	if ok && doc.deleted {
		ok = false
	}
	if ok && r.Method == http.MethodDelete {
		doc.deleted = true
	}
	e.mu.Unlock()
	switch {
	case !ok:
		writeContentError(w, &apiError{status: http.StatusNotFound, code: "NotFound", message: "The recording file was not found."})
		return
	case r.Method == http.MethodDelete:
		e.log.Info("recording file deleted", zap.String("document_id", doc.id))
		w.WriteHeader(http.StatusOK)
		return
	}
	var body []byte
	var contentType string
	switch part {
	case doc.kind:
		if doc.content == nil {
			writeContentError(w, errRecordingFormat(doc.rec.format))
			return
		}
		body, contentType = doc.content, doc.contentType
	case "acsmetadata":
		body, contentType = doc.metadata, "application/json"
	default:
		writeContentError(w, &apiError{status: http.StatusNotFound, code: "NotFound", message: "The recording has no " + truncate(part) + " content."})
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Accept-Ranges", "bytes")
	rng := r.Header.Get("Range")
	if rng == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	from, to, err := parseRange(rng, len(body))
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(body)))
		writeContentError(w, &apiError{status: http.StatusRequestedRangeNotSatisfiable, code: "InvalidRange", message: err.Error()})
		return
	}
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(body)))
	w.Header().Set("Content-Length", strconv.Itoa(to-from+1))
	w.WriteHeader(http.StatusPartialContent)
	_, _ = w.Write(body[from : to+1])
}

// parseRange reads one byte range, bytes=N- or bytes=N-M, of a body of size n.
func parseRange(h string, n int) (from, to int, err error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	first, last, dash := strings.Cut(spec, "-")
	if !ok || !dash || strings.Contains(spec, ",") {
		return 0, 0, errors.New("the Range must be one range, bytes=N- or bytes=N-M")
	}
	from, err = strconv.Atoi(first)
	if err != nil || from < 0 || from >= n {
		return 0, 0, fmt.Errorf("the range starts past the file's %d bytes", n)
	}
	to = n - 1
	if last != "" {
		if to, err = strconv.Atoi(last); err != nil || to < from {
			return 0, 0, errors.New("the range's end is before its start")
		}
		to = min(to, n-1)
	}
	return from, to, nil
}

// verifyContentHMAC checks a recording-content request as the SDK signs it:
// METHOD \n path (no query) \n x-ms-date;x-ms-host;x-ms-content-sha256, the content hash that of
// an empty body.
func verifyContentHMAC(r *http.Request, key []byte, now time.Time) error {
	sig, ok := strings.CutPrefix(r.Header.Get("Authorization"), hmacScheme+"SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=")
	if !ok {
		return errors.New("authorization is not HMAC-SHA256 over x-ms-date;host;x-ms-content-sha256")
	}
	host := r.Header.Get("x-ms-host")
	if host == "" {
		return errors.New("no x-ms-host: recording content is signed for the ACS endpoint's host")
	}
	empty := sha256.Sum256(nil)
	hash := r.Header.Get("x-ms-content-sha256")
	if hash != base64.StdEncoding.EncodeToString(empty[:]) {
		return errors.New("x-ms-content-sha256 is not that of an empty body")
	}
	date, err := http.ParseTime(r.Header.Get("x-ms-date"))
	if err != nil {
		return fmt.Errorf("unparseable x-ms-date: %w", err)
	}
	if skew := now.Sub(date); skew > maxClockSkew || skew < -maxClockSkew {
		return fmt.Errorf("x-ms-date is %s away from the emulator clock", skew.Round(time.Second))
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Method + "\n" + r.URL.EscapedPath() + "\n" + r.Header.Get("x-ms-date") + ";" + host + ";" + hash))
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("signature does not match")
	}
	return nil
}

// writeContentError answers a recording-content request that failed. The SDK reads the
// storage's errors as {"status", "message"} (contentDownloader.js) where the REST API's are
// {"error": {"code", "message"}}: the body carries both, so either reader gets the reason.
func writeContentError(w http.ResponseWriter, aerr *apiError) {
	writeJSON(w, aerr.status, map[string]any{
		"error":   map[string]string{"code": aerr.code, "message": aerr.message},
		"status":  aerr.status,
		"message": aerr.message,
	})
}
