package emulator

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Recording (CallRecording): a recording takes the call's audio from its media hub, frame by
// frame while active, so its file is exactly as long as the time it recorded (paused time left
// out) and holds what participants said and what applications played over bidirectional
// streams. When it stops (or its call ends) its file is written, and Event Grid's
// RecordingFileStatusUpdated announces it at the configured webhook, with locations on the
// emulator shaped like the live ones (recording_content.go serves them).

const (
	evRecordingStateChanged = "RecordingStateChanged"
	recordingRate           = 16000 // Hz, as ACS's WAV recordings
	// maxRecordingFrames bounds a recording: an hour of frames (115 MB of mixed WAV);
	// beyond, it records nothing more.
	maxRecordingFrames = 60 * 60 * 50
	// maxUnmixedChannels is ACS's channel range (0 to 4).
	maxUnmixedChannels = 5
	// maxRecordingIDBytes bounds the {recordingId} of a path: callgate's bound.
	maxRecordingIDBytes = 1024
)

type startRecordingRequest struct {
	CallLocator                     *callLocator      `json:"callLocator,omitempty"`
	CallConnectionID                string            `json:"callConnectionId,omitempty"`
	RecordingStateCallbackURI       string            `json:"recordingStateCallbackUri,omitempty"`
	RecordingContentType            string            `json:"recordingContentType,omitempty"`
	RecordingChannelType            string            `json:"recordingChannelType,omitempty"`
	RecordingFormatType             string            `json:"recordingFormatType,omitempty"`
	AudioChannelParticipantOrdering []identifierModel `json:"audioChannelParticipantOrdering,omitempty"`
	ChannelAffinity                 []channelAffinity `json:"channelAffinity,omitempty"`
	PauseOnStart                    *bool             `json:"pauseOnStart,omitempty"`
	ExternalStorage                 *externalStorage  `json:"externalStorage,omitempty"`
}

type channelAffinity struct {
	Channel     *int             `json:"channel,omitempty"`
	Participant *identifierModel `json:"participant"`
}

type externalStorage struct {
	RecordingStorageKind             string `json:"recordingStorageKind"`
	RecordingDestinationContainerURL string `json:"recordingDestinationContainerUrl,omitempty"`
}

type recordingStateResponse struct {
	RecordingID    string `json:"recordingId"`
	RecordingState string `json:"recordingState"`
	RecordingKind  string `json:"recordingKind"`
}

type pauseInterval struct {
	start    time.Time
	duration time.Duration
}

// recording is one recording of a conversation.
type recording struct {
	id               string
	conv             *conversation
	callConnectionID string // the connection its events name
	correlationID    string
	callback         string
	apiVersion       string
	content          string
	channel          string
	format           string
	state            string // active or inactive
	paused, stopped  bool
	started          time.Time
	pausedAt         time.Time
	pauses           []pauseInterval

	// The audio, appended by the clock under the hub's lock while the recording is in the
	// hub; read once it left it (paused, stopped).
	frames    int64
	mixed     []int16        // at recordingRate
	tracks    [][]int16      // unmixed, one per channel
	channelOf map[string]int // unmixed: participant raw ID -> channel
	reserved  map[string]int // channelAffinity and audioChannelParticipantOrdering
}

// recordingDocument is a written recording file: what recording_content.go serves.
type recordingDocument struct {
	id          string
	rec         *recording
	content     []byte // nil for a format the emulator cannot make
	contentType string
	kind        string // audio or video: the content location's last segment
	metadata    []byte
	deleted     bool
}

// appendFrame records one frame (under the hub's lock).
func (r *recording) appendFrame(roster []string, frames map[string][]int16, all []int16) {
	if r.frames >= maxRecordingFrames {
		return
	}
	r.frames++
	if r.channel != "unmixed" {
		r.mixed = append(r.mixed, decimate(all, recordingRate)...)
		return
	}
	per := recordingRate / 50
	got := make(map[int][]int16)
	for _, id := range roster {
		f := frames[id]
		ch, ok := r.channelOf[id]
		if !ok {
			if reserved, has := r.reserved[id]; has {
				ch, ok = reserved, true
			} else if !isSilent(f) {
				// Channels go to participants as their first audio arrives (ACS's default).
				ch, ok = r.freeChannel()
			}
			if !ok {
				continue
			}
			r.channelOf[id] = ch
		}
		got[ch] = decimate(f, recordingRate)
	}
	for ch := range got {
		for len(r.tracks) <= ch {
			r.tracks = append(r.tracks, make([]int16, (r.frames-1)*int64(per)))
		}
	}
	for ch := range r.tracks {
		f, ok := got[ch]
		if !ok {
			f = make([]int16, per)
		}
		r.tracks[ch] = append(r.tracks[ch], f...)
	}
}

func (r *recording) freeChannel() (int, bool) {
	used := map[int]bool{}
	for _, ch := range r.channelOf {
		used[ch] = true
	}
	for _, ch := range r.reserved {
		used[ch] = true
	}
	for ch := range maxUnmixedChannels {
		if !used[ch] {
			return ch, true
		}
	}
	return 0, false
}

// duration is what the recording recorded.
func (r *recording) duration() time.Duration { return time.Duration(r.frames) * frameDuration }

func newRecordingID(connection string) string {
	b, _ := json.Marshal(map[string]string{"PlatformEndpointId": connection, "ResourceSpecificId": newUUID()})
	// Standard base64, padding kept: the IDs carry '=' as the live ones do.
	return base64.StdEncoding.EncodeToString(b)
}

func newDocumentID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "0-emu-d1-" + hex.EncodeToString(b[:])
}

// startRecording is POST /calling/recordings.
func (e *Emulator) startRecording(rc *restCall) (int, any, *apiError) {
	var req startRecordingRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	var kind, locID string
	switch {
	case req.CallLocator != nil && req.CallConnectionID != "":
		bad.add(bodyTarget, "Only one of callLocator or callConnectionId may be given.")
	case req.CallLocator != nil:
		kind, locID = bad.locator(req.CallLocator)
		if kind == locatorRoom {
			bad.add("callLocator.kind", "A room call cannot be recorded by its room ID.")
		}
	case req.CallConnectionID != "":
		bad.id("callConnectionId", "CallConnectionId", req.CallConnectionID, maxCallConnectionIDBytes, true)
	default:
		bad.add(bodyTarget, "One of callLocator or callConnectionId is required.")
	}
	if req.RecordingStateCallbackURI != "" {
		bad.callbackURI("recordingStateCallbackUri", "RecordingStateCallbackUri", req.RecordingStateCallbackURI, true, e.cfg.AllowInsecureCallbacks)
	}
	content, channel, format := firstOf(req.RecordingContentType, "audio"), firstOf(req.RecordingChannelType, "mixed"), req.RecordingFormatType
	switch content {
	case "audio":
		format = firstOf(format, "wav")
	case "audioVideo":
		format = firstOf(format, "mp4")
	default:
		bad.add("recordingContentType", "The field RecordingContentType must be one of audio, audioVideo.")
	}
	switch {
	case channel != "mixed" && channel != "unmixed":
		bad.add("recordingChannelType", "The field RecordingChannelType must be one of mixed, unmixed.")
	case format != "wav" && format != "mp3" && format != "mp4":
		bad.add("recordingFormatType", "The field RecordingFormatType must be one of wav, mp3, mp4.")
	case content == "audioVideo" && (format != "mp4" || channel != "mixed"):
		bad.add("recordingFormatType", "Audio and video is recorded mixed, as mp4.")
	case content == "audio" && format == "mp4":
		bad.add("recordingFormatType", "Audio is recorded as wav or mp3.")
	case channel == "unmixed" && format != "wav":
		bad.add("recordingFormatType", "An unmixed recording is wav.")
	}
	reserved := map[string]int{}
	if len(req.AudioChannelParticipantOrdering)+len(req.ChannelAffinity) > 0 && channel != "unmixed" {
		bad.add("recordingChannelType", "Channel assignments are for unmixed recordings.")
	}
	if len(req.AudioChannelParticipantOrdering) > maxUnmixedChannels || len(req.ChannelAffinity) > maxUnmixedChannels {
		bad.add("channelAffinity", "At most %d channels.", maxUnmixedChannels)
	}
	for i, a := range req.ChannelAffinity {
		field := indexed("channelAffinity", i)
		id, ok := bad.identifier(field+".participant", a.Participant, existingParty)
		switch {
		case a.Channel == nil || *a.Channel < 0 || *a.Channel >= maxUnmixedChannels:
			bad.add(field+".channel", "The field Channel must be between 0 and %d.", maxUnmixedChannels-1)
		case ok:
			reserved[id.RawID] = *a.Channel
		}
	}
	next := 0
	for i := range req.AudioChannelParticipantOrdering {
		id, ok := bad.identifier(indexed("audioChannelParticipantOrdering", i), &req.AudioChannelParticipantOrdering[i], existingParty)
		if !ok {
			continue
		}
		if _, has := reserved[id.RawID]; has {
			continue
		}
		for containsValue(reserved, next) {
			next++
		}
		reserved[id.RawID] = next
	}
	if es := req.ExternalStorage; es != nil {
		switch es.RecordingStorageKind {
		case "azureCommunicationServices":
		case "azureBlobStorage":
			if err := httpsURL(es.RecordingDestinationContainerURL); err != nil {
				bad.add("externalStorage.recordingDestinationContainerUrl", "The field RecordingDestinationContainerUrl %v.", err)
			}
		default:
			bad.add("externalStorage.recordingStorageKind", "The field RecordingStorageKind must be one of azureCommunicationServices, azureBlobStorage.")
		}
	}
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	var v *conversation
	var conn *callConn
	switch {
	case req.CallConnectionID != "":
		c, aerr := e.establishedCallLocked(req.CallConnectionID)
		if aerr != nil {
			return 0, nil, aerr
		}
		v, conn = c.conv, c
	case kind == locatorServerCall:
		v = e.convs[locID]
	case kind == locatorGroupCall:
		v = e.locators["group:"+locID]
	}
	if v == nil || v.ended {
		return 0, nil, errCallNotFound()
	}
	if conn == nil {
		for _, c := range v.conns {
			if c.established() {
				conn = c
				break
			}
		}
	}
	r := &recording{conv: v, callback: req.RecordingStateCallbackURI, apiVersion: rc.apiVersion, content: content, channel: channel, format: format,
		started: time.Now(), correlationID: v.correlationID, channelOf: map[string]int{}, reserved: reserved, state: "active"}
	if conn != nil {
		r.callConnectionID = conn.id
		r.callback = firstOf(r.callback, conn.callbackURI)
	}
	r.id = newRecordingID(firstOf(r.callConnectionID, newUUID()))
	e.recordings[r.id] = r
	v.recordings = append(v.recordings, r)
	if req.PauseOnStart != nil && *req.PauseOnStart {
		r.paused, r.state, r.pausedAt = true, "inactive", time.Now()
	} else {
		e.hubLocked(v).addRecording(r)
	}
	e.recordingEventLocked(r)
	e.log.Info("recording started", zap.String("recording_id", r.id), zap.String("correlation_id", v.correlationID), zap.String("format", format), zap.String("channel", channel))
	return http.StatusAccepted, recordingStateResponse{RecordingID: r.id, RecordingState: "inactive", RecordingKind: "azureCommunicationServices"}, nil
}

func containsValue(m map[string]int, v int) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// liveRecordingLocked finds a recording the REST API may act on: ACS forgets stopped ones.
func (e *Emulator) liveRecordingLocked(id string) (*recording, *apiError) {
	r, ok := e.recordings[id]
	if !ok || r.stopped {
		return nil, errNotFound("Recording %s not found.", truncate(id))
	}
	return r, nil
}

// recordingOp serves GET /calling/recordings/{id}, DELETE (stop), :pause and :resume.
func (e *Emulator) recordingOp(op string) restHandler {
	return func(rc *restCall) (int, any, *apiError) {
		var bad violations
		bad.id("recordingId", "RecordingId", rc.recordingID, maxRecordingIDBytes, true)
		if aerr := bad.err(); aerr != nil {
			return 0, nil, aerr
		}
		e.mu.Lock()
		defer e.unlockAndFlush()
		r, aerr := e.liveRecordingLocked(rc.recordingID)
		if aerr != nil {
			return 0, nil, aerr
		}
		switch op {
		case "get":
			return http.StatusOK, recordingStateResponse{RecordingID: r.id, RecordingState: r.state, RecordingKind: "azureCommunicationServices"}, nil
		case "pause":
			if !r.paused {
				r.paused, r.state, r.pausedAt = true, "inactive", time.Now()
				e.hubLocked(r.conv).removeRecording(r)
				e.recordingEventLocked(r)
			}
			return http.StatusAccepted, nil, nil
		case "resume":
			if r.paused {
				r.pauses = append(r.pauses, pauseInterval{start: r.pausedAt, duration: time.Since(r.pausedAt)})
				r.paused, r.state = false, "active"
				e.hubLocked(r.conv).addRecording(r)
				e.recordingEventLocked(r)
			}
			return http.StatusAccepted, nil, nil
		}
		e.finishRecordingLocked(r, "StopRecording")
		return http.StatusNoContent, nil, nil
	}
}

// finishRecordingLocked stops r, writes its file and announces it on Event Grid.
func (e *Emulator) finishRecordingLocked(r *recording, reason string) {
	if r.stopped {
		return
	}
	if r.paused {
		r.pauses = append(r.pauses, pauseInterval{start: r.pausedAt, duration: time.Since(r.pausedAt)})
	} else if h := r.conv.hub; h != nil {
		h.removeRecording(r)
	}
	r.stopped, r.paused, r.state = true, false, "inactive"
	n := len(e.outbox)
	e.recordingEventLocked(r)
	stateEvent := len(e.outbox) > n
	doc := e.writeRecordingLocked(r)
	base := e.BaseURL() + "/v1/objects/" + doc.id
	ev := eventGridEvent{
		ID:      newUUID(),
		Topic:   e.eventGridTopic(),
		Subject: "/recording/call/" + r.correlationID + "/serverCallId/" + r.conv.serverCallID + "/recordingId/" + r.id,
		Data: map[string]any{
			"recordingStorageInfo": map[string]any{"recordingChunks": []map[string]any{{
				"documentId": doc.id, "index": 0, "endReason": "SessionEnded",
				"contentLocation": base + "/content/" + doc.kind, "metadataLocation": base + "/content/acsmetadata", "deleteLocation": base,
			}}},
			"recordingStartTime":  eventGridTime(r.started),
			"recordingDurationMs": r.duration().Milliseconds(),
			"sessionEndReason":    reason,
		},
		EventType:       "Microsoft.Communication.RecordingFileStatusUpdated",
		DataVersion:     "1.0",
		MetadataVersion: "1",
		EventTime:       eventGridTime(time.Now()),
	}
	webhook := e.webhookURL
	e.log.Info("recording stopped", zap.String("recording_id", r.id), zap.Duration("duration", r.duration()), zap.String("document_id", doc.id))
	if webhook == "" {
		e.log.Warn("recording files not announced: no Event Grid webhook configured", zap.String("recording_id", r.id))
		return
	}
	announce := func() {
		e.inBackground(func(ctx context.Context) {
			if err := e.deliverEventGrid(ctx, webhook, ev); err != nil && ctx.Err() == nil {
				e.log.Warn("RecordingFileStatusUpdated not delivered", zap.String("webhook", redactURL(webhook)), zap.Error(err))
			}
		})
	}
	if stateEvent {
		// The files are announced once the stop's state event is delivered: ACS writes them
		// after the recording stopped, and the announcement never overtakes the stop.
		e.outbox[len(e.outbox)-1].after = announce
	} else {
		announce()
	}
}

// writeRecordingLocked makes r's file and its metadata.
func (e *Emulator) writeRecordingLocked(r *recording) *recordingDocument {
	doc := &recordingDocument{id: newDocumentID(), rec: r, kind: "audio"}
	if r.content == "audioVideo" {
		doc.kind = "video"
	}
	channels := 1
	if r.format == "wav" {
		doc.contentType = "audio/wav"
		if r.channel == "unmixed" {
			channels = max(len(r.tracks), 1)
			tracks := r.tracks
			if len(tracks) == 0 {
				tracks = [][]int16{make([]int16, r.frames*recordingRate/50)}
			}
			n := len(tracks[0])
			inter := make([]int16, 0, n*len(tracks))
			for i := range n {
				for _, t := range tracks {
					inter = append(inter, t[i])
				}
			}
			doc.content = wavFile(inter, len(tracks), recordingRate)
		} else {
			doc.content = wavFile(r.mixed, 1, recordingRate)
		}
	}
	pauses := []map[string]any{}
	for _, p := range r.pauses {
		pauses = append(pauses, map[string]any{"startTime": eventGridTime(p.start), "duration": p.duration.Milliseconds()})
	}
	participants := []map[string]any{}
	if r.channel == "unmixed" {
		for id, ch := range r.channelOf {
			participants = append(participants, map[string]any{"participantId": id, "channel": ch})
		}
	} else {
		for _, p := range r.conv.participants {
			participants = append(participants, map[string]any{"participantId": p.id.RawID})
		}
	}
	// The live service writes contentType and channelType the other way round (the JS SDK's
	// recorded metadata has "contentType":"mixed","channelType":"audioVideo"); so does this.
	meta := map[string]any{
		"resourceId": e.cfg.ResourceID, "callId": r.correlationID, "chunkDocumentId": doc.id, "chunkIndex": 0,
		"chunkStartTime": eventGridTime(r.started), "chunkDuration": r.duration().Milliseconds(), "pauseResumeIntervals": pauses,
		"recordingInfo": map[string]any{"contentType": r.channel, "channelType": r.content, "format": r.format,
			"audioConfiguration": map[string]any{"sampleRate": recordingRate, "bitRate": recordingRate * 16 * channels, "channels": channels}},
		"participants": participants,
	}
	doc.metadata, _ = json.Marshal(meta)
	e.documents[doc.id] = doc
	return doc
}

// recordingEventLocked raises RecordingStateChanged with r's state, as the live service does
// (source calling/recordings/{serverCallId}/{recordingId}/RecordingStateChanged).
func (e *Emulator) recordingEventLocked(r *recording) {
	if r.callback == "" {
		e.log.Debug("recording event not sent: no callback", zap.String("recording_id", r.id))
		return
	}
	source := "calling/recordings/" + r.conv.serverCallID + "/" + r.id + "/" + evRecordingStateChanged
	d := recordingEventData{EventSource: source, RecordingID: r.id, State: r.state, StartDateTime: eventTime(r.started),
		RecordingKind: "azureCommunicationServices", ResultInformation: resultSuccess, Version: r.apiVersion,
		CallConnectionID: r.callConnectionID, ServerCallID: r.conv.serverCallID, CorrelationID: r.correlationID, PublicEventType: eventTypePrefix + evRecordingStateChanged}
	ev := struct {
		ID              string             `json:"id"`
		Source          string             `json:"source"`
		Type            string             `json:"type"`
		Data            recordingEventData `json:"data"`
		Time            string             `json:"time"`
		SpecVersion     string             `json:"specversion"`
		DataContentType string             `json:"datacontenttype"`
		Subject         string             `json:"subject"`
	}{newUUID(), source, eventTypePrefix + evRecordingStateChanged, d, eventTime(time.Now()), "1.0", "application/json", source}
	body, err := json.Marshal([]any{ev})
	if err != nil {
		e.log.Error("encoding recording event", zap.Error(err))
		return
	}
	// Queued with the call's events (or the recording's own, without a call), in order.
	key := firstOf(r.callConnectionID, r.id)
	e.outbox = append(e.outbox, outEvent{id: ev.ID, kind: evRecordingStateChanged, callConnectionID: key, correlationID: r.correlationID, url: r.callback, body: body})
}

type recordingEventData struct {
	EventSource       string            `json:"eventSource"`
	RecordingID       string            `json:"recordingId"`
	State             string            `json:"state"`
	StartDateTime     string            `json:"startDateTime"`
	RecordingKind     string            `json:"recordingKind"`
	ResultInformation resultInformation `json:"resultInformation"`
	Version           string            `json:"version"`
	CallConnectionID  string            `json:"callConnectionId,omitempty"`
	ServerCallID      string            `json:"serverCallId"`
	CorrelationID     string            `json:"correlationId"`
	PublicEventType   string            `json:"publicEventType"`
}

// errRecordingFormat answers the content download of a format the emulator cannot encode.
func errRecordingFormat(format string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "UnsupportedRecordingFormat",
		message: fmt.Sprintf("The emulator cannot make %s files (it has no %s encoder): start the recording with recordingFormatType wav.", format, format)}
}
