package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// restCall is one authenticated REST request, read and routed.
type restCall struct {
	r           *http.Request
	body        []byte
	apiVersion  string
	callID      string // {callConnectionId} of the path
	rawID       string // {participantRawId} of the path, unescaped
	recordingID string // {recordingId} of the path, unescaped
}

// restHandler does the work of one operation and returns the status and
// body to answer with (body nil for none).
type restHandler func(rc *restCall) (int, any, *apiError)

// bodyTarget is the target of a problem with the whole body, "$" as the
// JSON path of the root.
const bodyTarget = "$"

// decode reads the JSON body into v; an empty or malformed body is a 400.
func (rc *restCall) decode(v any) *apiError {
	if len(rc.body) == 0 {
		return errInvalid(bodyTarget, "The request body is required.")
	}
	if err := json.Unmarshal(rc.body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errInvalid(te.Field, "The request body is not valid JSON for this operation: field %s has the wrong type.", te.Field)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errInvalid(bodyTarget, "The request body is not valid JSON for this operation: syntax error.")
		}
		return errInvalid(bodyTarget, "The request body is not valid JSON for this operation: cannot decode.")
	}
	return nil
}

// checkPath checks the IDs of the request path before anything looks them up.
func (rc *restCall) checkPath() *apiError {
	var bad violations
	if rc.callID != "" {
		bad.id("callConnectionId", "CallConnectionId", rc.callID, maxCallConnectionIDBytes, true)
	}
	return bad.err()
}

// readBody reads a request body of at most maxRequestBody bytes; a larger
// one is refused (413) without reading it all.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > maxRequestBody {
		return nil, errTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge()
	case err != nil:
		return nil, errInvalid(bodyTarget, "The request body could not be read.")
	}
	return body, nil
}

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /calling/keys", e.serveJWKS)
	mux.HandleFunc("GET /calling/.well-known/acsopenidconfiguration", e.serveOpenIDConfiguration)
	mux.HandleFunc("/calling/", e.serveREST)
	mux.HandleFunc("/v1/objects/", e.serveRecordingContent)
	e.controlRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.BaseURL() == "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			e.SetBaseURL(scheme + "://" + r.Host)
		}
		mux.ServeHTTP(w, r)
	})
}

// route finds the operation of a /calling/ request. The path is split in its
// escaped form so a participant raw ID ("8%3Aacs%3A...") stays one segment.
func (e *Emulator) route(r *http.Request) (restHandler, string, string, *apiError) {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/calling/"), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, "", "", &apiError{status: http.StatusBadRequest, code: subInvalidArgument, message: "The request path is not valid."}
		}
		segs[i] = u
	}
	method := r.Method
	notAllowed := &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: "The requested method is not allowed on this resource."}
	notFound := &apiError{status: http.StatusNotFound, code: "NotFound", message: "The requested resource was not found."}
	notSupported := &apiError{status: http.StatusMethodNotAllowed, code: subNotImplemented, message: "Functionality not supported at this time."}
	post := func(h restHandler, callID, rawID string) (restHandler, string, string, *apiError) {
		if method != http.MethodPost {
			return nil, "", "", notAllowed
		}
		return h, callID, rawID, nil
	}

	if segs[0] == "recordings" {
		switch {
		case len(segs) == 1:
			return post(e.startRecording, "", "")
		case len(segs) == 2 && segs[1] != "":
			id, action, hasAction := strings.Cut(segs[1], ":")
			// A recording ID is base64: it has no ':' of its own, and its '=' and '/' arrive escaped.
			h := map[string]restHandler{"pause": e.recordingOp("pause"), "resume": e.recordingOp("resume")}[action]
			switch {
			case hasAction && h != nil:
				return post(h, "", "\x00"+id)
			case hasAction:
				return nil, "", "", notFound
			case method == http.MethodGet:
				return e.recordingOp("get"), "", "\x00" + id, nil
			case method == http.MethodDelete:
				return e.recordingOp("stop"), "", "\x00" + id, nil
			}
			return nil, "", "", notAllowed
		}
		return nil, "", "", notFound
	}
	switch len(segs) {
	case 1:
		switch segs[0] {
		case "callConnections":
			return post(e.createCall, "", "")
		case "callConnections:answer":
			return post(e.answerCall, "", "")
		case "callConnections:reject":
			return post(e.rejectCall, "", "")
		case "callConnections:redirect":
			return post(e.redirectCall, "", "")
		case "callConnections:connect":
			return post(e.connectCall, "", "")
		}
	case 2:
		if segs[0] != "callConnections" || segs[1] == "" {
			break
		}
		id, action, hasAction := strings.Cut(segs[1], ":")
		if !hasAction {
			switch method {
			case http.MethodGet:
				return e.getCall, id, "", nil
			case http.MethodDelete:
				return e.hangUp, id, "", nil
			}
			return nil, "", "", notAllowed
		}
		switch action {
		case "terminate":
			return post(e.terminate, id, "")
		case "transferToParticipant":
			return post(e.transfer, id, "")
		case "play":
			return post(e.play, id, "")
		case "recognize":
			return post(e.recognize, id, "")
		case "cancelAllMediaOperations":
			return post(e.cancelAllMediaOperations, id, "")
		case "startContinuousDtmfRecognition":
			return post(e.continuousDtmf(true), id, "")
		case "stopContinuousDtmfRecognition":
			return post(e.continuousDtmf(false), id, "")
		case "sendDtmfTones":
			return post(e.sendDtmfTones, id, "")
		case "hold":
			return post(e.hold, id, "")
		case "unhold":
			return post(e.unhold, id, "")
		case "startMediaStreaming":
			return post(e.streamOp(streamMedia, "start"), id, "")
		case "stopMediaStreaming":
			return post(e.streamOp(streamMedia, "stop"), id, "")
		case "startTranscription":
			return post(e.streamOp(streamTranscription, "start"), id, "")
		case "updateTranscription":
			return post(e.streamOp(streamTranscription, "update"), id, "")
		case "stopTranscription":
			return post(e.streamOp(streamTranscription, "stop"), id, "")
		default:
			return nil, "", "", notSupported
		}
	case 3:
		if segs[0] != "callConnections" {
			break
		}
		id := segs[1]
		switch segs[2] {
		case "participants":
			if method != http.MethodGet {
				return nil, "", "", notAllowed
			}
			return e.listParticipants, id, "", nil
		case "participants:add":
			return post(e.addParticipant, id, "")
		case "participants:remove":
			return post(e.removeParticipant, id, "")
		case "participants:mute":
			return post(e.muteParticipants, id, "")
		case "participants:cancelAddParticipant":
			return post(e.cancelAddParticipant, id, "")
		case "participants:moveHere":
			return post(e.moveParticipants, id, "")
		}
	case 4:
		if segs[0] != "callConnections" || segs[2] != "participants" || segs[3] == "" {
			break
		}
		if method != http.MethodGet {
			return nil, "", "", notAllowed
		}
		return e.getParticipant, segs[1], segs[3], nil
	}
	return nil, "", "", notFound
}

// serveREST answers the Call Automation API: route, inject faults, check
// api-version and HMAC, honour Repeatability-Request-ID, then do the work.
func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if id := r.Header.Get("x-ms-client-request-id"); id != "" {
		w.Header().Set("x-ms-client-request-id", id)
	}
	h, callID, rawID, aerr := e.route(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if e.injectRequestFault(w, r) {
		return
	}
	if aerr := checkAPIVersion(r); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, aerr := readBody(w, r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if err := verifyHMAC(r, body, e.cfg.AccessKey, time.Now()); err != nil {
		e.log.Debug("request rejected: authentication", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("reason", err.Error()))
		writeAPIError(w, errUnauthorized())
		return
	}
	rc := &restCall{r: r, body: body, apiVersion: r.URL.Query().Get("api-version"), callID: callID, rawID: rawID}
	if id, ok := strings.CutPrefix(rawID, "\x00"); ok {
		// route marks a recording ID so: it is not a participant's raw ID.
		rc.rawID, rc.recordingID = "", id
	}
	run := func(w http.ResponseWriter) {
		aerr := rc.checkPath()
		var status int
		var v any
		if aerr == nil {
			status, v, aerr = h(rc)
		}
		if aerr != nil {
			writeAPIError(w, aerr)
			status = aerr.status
		} else if v == nil {
			w.WriteHeader(status)
		} else {
			writeJSON(w, status, v)
		}
		if ce := e.log.Check(zap.DebugLevel, "request"); ce != nil {
			ce.Write(zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Int("status", status),
				zap.String("call_connection_id", truncate(callID)), zap.Duration("duration", time.Since(start)))
		}
	}
	if id := r.Header.Get("Repeatability-Request-ID"); id != "" && r.Method == http.MethodPost {
		e.repeat.serve(w, r, id, body, run)
		return
	}
	run(w)
}

func (e *Emulator) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, e.signer.jwks())
}

func (e *Emulator) serveOpenIDConfiguration(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, openIDConfiguration{
		Issuer:                           e.Issuer(),
		JWKSURI:                          e.JWKSURL(),
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
	})
}
