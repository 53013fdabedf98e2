package emulator

import (
	"context"
	"net/http"

	"go.uber.org/zap"
)

// Media streaming and live transcription of a call connection: the transports come from
// set-up (mediaStreamingOptions, transcriptionOptions); a stream starts at CallConnected when
// set-up says so, or on :startMediaStreaming / :startTranscription. Started follows once the
// WebSocket is open and its metadata sent; Failed when it cannot be opened (or set-up gave no
// transport URL) or breaks; Stopped on :stop..., after which the socket closes.

// Event types and their update payloads.
const (
	evMediaStreamingStarted = "MediaStreamingStarted"
	evMediaStreamingStopped = "MediaStreamingStopped"
	evMediaStreamingFailed  = "MediaStreamingFailed"
	evTranscriptionStarted  = "TranscriptionStarted"
	evTranscriptionUpdated  = "TranscriptionUpdated"
	evTranscriptionStopped  = "TranscriptionStopped"
	evTranscriptionFailed   = "TranscriptionFailed"
)

type mediaStreamingUpdate struct {
	ContentType                 string `json:"contentType"`
	MediaStreamingStatus        string `json:"mediaStreamingStatus"`
	MediaStreamingStatusDetails string `json:"mediaStreamingStatusDetails"`
}

type transcriptionUpdate struct {
	TranscriptionStatus        string `json:"transcriptionStatus"`
	TranscriptionStatusDetails string `json:"transcriptionStatusDetails"`
}

// Failure results: ACS documents no code for these; the emulator uses 400/8581 for a stream it
// could not open or that broke, 400/8582 for a call set up without a transport URL.
var (
	resultStreamFailed     = resultInformation{Code: 400, SubCode: 8581, Message: "Action failed, the WebSocket connection could not be established or was lost."}
	resultStreamURLMissing = resultInformation{Code: 400, SubCode: 8582, Message: "Action failed, no transport URL was given at call setup."}
)

type streamRequest struct {
	Locale                string `json:"locale,omitempty"`
	SpeechModelEndpointID string `json:"speechModelEndpointId,omitempty"`
	OperationContext      string `json:"operationContext,omitempty"`
	OperationCallbackURI  string `json:"operationCallbackUri,omitempty"`
}

// inBackground runs f on the emulator's background group, unless the emulator is closed; Close
// cancels ctx and waits for f.
func (e *Emulator) inBackground(f func(ctx context.Context)) bool {
	e.bgMu.Lock()
	defer e.bgMu.Unlock()
	if e.bgClosed {
		return false
	}
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		f(e.bgCtx)
	}()
	return true
}

// streamEvent raises a stream's state event with its update.
func (e *Emulator) streamEventLocked(c *callConn, kind, ev, status, details, opContext, callback string, res resultInformation) {
	d := eventData{OperationContext: opContext, ResultInformation: &res}
	if kind == streamMedia {
		d.MediaStreamingUpdate = &mediaStreamingUpdate{ContentType: "Audio", MediaStreamingStatus: status, MediaStreamingStatusDetails: details}
	} else {
		d.TranscriptionUpdate = &transcriptionUpdate{TranscriptionStatus: status, TranscriptionStatusDetails: details}
	}
	e.emitLocked(c, ev, callback, d)
}

func currentStream(c *callConn, kind string) **wsStream {
	if kind == streamMedia {
		return &c.stream
	}
	return &c.transcriber
}

func (c *callConn) setSubscriptionState(kind, state string) {
	if kind == streamMedia && c.streamingSub != nil {
		c.streamingSub.State = state
	}
	if kind == streamTranscription && c.transcriptionSub != nil {
		c.transcriptionSub.State = state
	}
}

// startStreamsAtSetUpLocked starts what set-up asked to start once connected.
func (e *Emulator) startStreamsAtSetUpLocked(c *callConn) {
	if o := c.streamingOpts; o != nil && o.StartMediaStreaming != nil && *o.StartMediaStreaming {
		e.startStreamLocked(c, streamMedia, streamRequest{})
	}
	if o := c.transcriptionOpts; o != nil && o.StartTranscription != nil && *o.StartTranscription {
		e.startStreamLocked(c, streamTranscription, streamRequest{})
	}
}

// startStreamLocked opens a new stream of the kind on c's transport.
func (e *Emulator) startStreamLocked(c *callConn, kind string, req streamRequest) {
	s := &wsStream{e: e, c: c, kind: kind, operationContext: req.OperationContext, callback: req.OperationCallbackURI,
		out: make(chan []byte, streamBuffer), closing: make(chan struct{})}
	if kind == streamMedia {
		o := c.streamingOpts
		s.url, s.subscriptionID = o.TransportURL, c.streamingSub.ID
		s.rate = 16000
		if o.AudioFormat == "pcm24KMono" {
			s.rate = 24000
		}
		s.unmixed = o.AudioChannelType == "unmixed"
		s.bidirectional = o.EnableBidirectional != nil && *o.EnableBidirectional
		s.dtmf = o.EnableDtmfTones != nil && *o.EnableDtmfTones
	} else {
		o := c.transcriptionOpts
		s.url, s.subscriptionID = o.TransportURL, c.transcriptionSub.ID
		s.locale, s.model = firstOf(req.Locale, c.transcriptionSub.Locale), firstOf(req.SpeechModelEndpointID, o.SpeechModelEndpointID)
		c.transcriptionSub.Locale = s.locale
		s.intermediate = o.EnableIntermediateResults != nil && *o.EnableIntermediateResults
	}
	if s.url == "" {
		failed, status := evMediaStreamingFailed, "mediaStreamingFailed"
		if kind == streamTranscription {
			failed, status = evTranscriptionFailed, "transcriptionFailed"
		}
		e.streamEventLocked(c, kind, failed, status, "streamUrlMissing", s.operationContext, s.callback, resultStreamURLMissing)
		return
	}
	*currentStream(c, kind) = s
	if !e.inBackground(s.run) {
		*currentStream(c, kind) = nil
	}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// streamStarted is told by a stream that its socket is open and its metadata sent: it takes
// the call's audio from now on, and Started is raised. False when the stream was stopped (or
// its call ended) meanwhile: it closes without a word.
func (e *Emulator) streamStarted(s *wsStream) bool {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c := s.c
	if *currentStream(c, s.kind) != s || !c.live() {
		return false
	}
	c.setSubscriptionState(s.kind, "active")
	ev, status := evMediaStreamingStarted, "mediaStreamingStarted"
	if s.kind == streamTranscription {
		ev, status = evTranscriptionStarted, "transcriptionStarted"
	}
	e.streamEventLocked(c, s.kind, ev, status, "subscriptionStarted", s.operationContext, s.callback, resultActionCompleted)
	s.hub = e.hubLocked(c.conv)
	s.hub.addStream(s)
	e.log.Info("stream started", append(c.logFields(), zap.String("stream", s.kind), zap.String("transport_url", redactURL(s.url)))...)
	return true
}

// streamEnded is told by a stream that it could not open (wasOpen false) or broke: Failed is
// raised, unless it was stopped meanwhile.
func (e *Emulator) streamEnded(s *wsStream, wasOpen bool) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c := s.c
	if *currentStream(c, s.kind) != s {
		return
	}
	*currentStream(c, s.kind) = nil
	if s.hub != nil {
		s.hub.removeStream(s)
	}
	s.close()
	if !c.live() {
		return
	}
	c.setSubscriptionState(s.kind, "inactive")
	details := "streamConnectionUnsuccessful"
	if wasOpen {
		details = "streamConnectionInterrupted"
	} else if s.kind == streamMedia {
		details = "initialWebSocketConnectionFailed"
	}
	ev, status := evMediaStreamingFailed, "mediaStreamingFailed"
	if s.kind == streamTranscription {
		ev, status = evTranscriptionFailed, "transcriptionFailed"
	}
	e.streamEventLocked(c, s.kind, ev, status, details, s.operationContext, s.callback, resultStreamFailed)
}

// stopStreamLocked ends c's stream of the kind; with stopped set it raises Stopped and closes
// the socket once the event is delivered; the call ending closes it without an event.
func (e *Emulator) stopStreamLocked(c *callConn, kind string, stopped bool, opContext, callback string) {
	s := *currentStream(c, kind)
	if s == nil {
		return
	}
	*currentStream(c, kind) = nil
	if s.hub != nil {
		s.hub.removeStream(s)
	}
	c.setSubscriptionState(kind, "inactive")
	if !stopped {
		s.close()
		return
	}
	ev, status := evMediaStreamingStopped, "mediaStreamingStopped"
	if kind == streamTranscription {
		ev, status = evTranscriptionStopped, "transcriptionStopped"
	}
	n := len(e.outbox)
	e.streamEventLocked(c, kind, ev, status, "subscriptionStopped", opContext, callback, resultActionCompleted)
	if len(e.outbox) > n {
		e.outbox[len(e.outbox)-1].after = s.close
	} else {
		s.close()
	}
}

// errStreaming refuses a streaming operation the call was not set up for, or one that does not
// fit the stream's state (the live service's codes for these are not documented).
func errStreaming(msg string) *apiError {
	return errInvalid(bodyTarget, "%s", msg)
}

// streamOp serves :startMediaStreaming, :stopMediaStreaming, :startTranscription,
// :updateTranscription and :stopTranscription.
func (e *Emulator) streamOp(kind, op string) restHandler {
	return func(rc *restCall) (int, any, *apiError) {
		var req streamRequest
		if aerr := rc.decode(&req); aerr != nil {
			return 0, nil, aerr
		}
		var bad violations
		bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
		bad.id("locale", "Locale", req.Locale, maxLocaleBytes, op == "update")
		bad.id("speechModelEndpointId", "SpeechModelEndpointId", req.SpeechModelEndpointID, maxMediaIDBytes, false)
		if kind == streamMedia && (req.Locale != "" || req.SpeechModelEndpointID != "") {
			bad.add(bodyTarget, "Media streaming takes no locale or speech model.")
		}
		if aerr := bad.err(); aerr != nil {
			return 0, nil, aerr
		}
		e.mu.Lock()
		defer e.unlockAndFlush()
		c, aerr := e.establishedCallLocked(rc.callID)
		if aerr != nil {
			return 0, nil, aerr
		}
		if (kind == streamMedia && c.streamingOpts == nil) || (kind == streamTranscription && c.transcriptionOpts == nil) {
			return 0, nil, errStreaming("The call was not set up with " + kind + " options: " + kind + " is set at call setup.")
		}
		running := *currentStream(c, kind) != nil
		switch op {
		case "start":
			if running {
				return 0, nil, errStreaming("The " + kind + " stream is already started.")
			}
			e.startStreamLocked(c, kind, req)
		case "stop":
			if !running {
				return 0, nil, errStreaming("The " + kind + " stream is not started.")
			}
			e.stopStreamLocked(c, kind, true, req.OperationContext, req.OperationCallbackURI)
		case "update":
			if !running {
				return 0, nil, errStreaming("Transcription is not started.")
			}
			s := c.transcriber
			s.locale = req.Locale
			if req.SpeechModelEndpointID != "" {
				s.model = req.SpeechModelEndpointID
			}
			c.transcriptionSub.Locale = req.Locale
			e.streamEventLocked(c, kind, evTranscriptionUpdated, "transcriptionUpdated", "transcriptionLocaleUpdated", req.OperationContext, req.OperationCallbackURI, resultActionCompleted)
		}
		return http.StatusAccepted, nil, nil
	}
}
