package service

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strconv"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// RecordingServer serves callgate.v1.RecordingService: ACS's CallRecording operations, and the
// files of recordings, read from the locations ACS's own RecordingFileStatusUpdated events gave
// (the recordings log): a caller names a recording and a chunk, never a URL, so no caller can
// make the gateway fetch anything else with its credentials.
type RecordingServer struct {
	callgatev1.UnsafeRecordingServiceServer
	*core
}

var _ callgatev1.RecordingServiceServer = (*RecordingServer)(nil)

// downloadChunk bounds one message of DownloadRecording: well under gRPC's 4 MiB, large enough
// that a recording of an hour (115 MB of 16 kHz WAV) is some 1,800 messages.
const downloadChunk = 64 << 10

// outcomeStartRecording is a recording's first state event, or its failure.
var outcomeStartRecording = func() outcome {
	o := outcomeOf(&callgatev1.RecordingStateChanged{}, &callgatev1.StartRecordingFailed{})
	o.recording = true
	return o
}()

func recordingIDOf(ev *callgatev1.CallEvent) string {
	switch e := ev.GetEvent().(type) {
	case *callgatev1.CallEvent_RecordingStateChanged:
		return e.RecordingStateChanged.GetRecordingId()
	case *callgatev1.CallEvent_StartRecordingFailed:
		return e.StartRecordingFailed.GetRecordingId()
	}
	return ""
}

var (
	recordingContents = map[callgatev1.RecordingContent]string{
		callgatev1.RecordingContent_RECORDING_CONTENT_AUDIO:       acs.RecordingContentAudio,
		callgatev1.RecordingContent_RECORDING_CONTENT_AUDIO_VIDEO: acs.RecordingContentAudioVideo,
	}
	recordingChannels = map[callgatev1.RecordingChannel]string{
		callgatev1.RecordingChannel_RECORDING_CHANNEL_MIXED:   acs.RecordingChannelMixed,
		callgatev1.RecordingChannel_RECORDING_CHANNEL_UNMIXED: acs.RecordingChannelUnmixed,
	}
	recordingFormats = map[callgatev1.RecordingFormat]string{
		callgatev1.RecordingFormat_RECORDING_FORMAT_WAV: acs.RecordingFormatWAV,
		callgatev1.RecordingFormat_RECORDING_FORMAT_MP3: acs.RecordingFormatMP3,
		callgatev1.RecordingFormat_RECORDING_FORMAT_MP4: acs.RecordingFormatMP4,
	}
	recordingStates = map[string]callgatev1.RecordingState{
		"active":   callgatev1.RecordingState_RECORDING_STATE_ACTIVE,
		"inactive": callgatev1.RecordingState_RECORDING_STATE_INACTIVE,
	}
	recordingKinds = map[string]callgatev1.RecordingKind{
		"azureCommunicationServices": callgatev1.RecordingKind_RECORDING_KIND_AZURE_COMMUNICATION_SERVICES,
		"teams":                      callgatev1.RecordingKind_RECORDING_KIND_TEAMS,
		"teamsCompliance":            callgatev1.RecordingKind_RECORDING_KIND_TEAMS_COMPLIANCE,
	}
)

// StartRecording starts recording a call.
func (s *RecordingServer) StartRecording(ctx context.Context, req *callgatev1.StartRecordingRequest) (*callgatev1.StartRecordingResponse, error) {
	return startRecording.serve(ctx, s.core, req)
}

var startRecording = unary[*callgatev1.StartRecordingRequest, *callgatev1.StartRecordingResponse, *acs.StartRecordingRequest, *acs.RecordingStateResponse]{
	build: func(c *core, v *validator, req *callgatev1.StartRecordingRequest) (*acs.StartRecordingRequest, outcome) {
		up := &acs.StartRecordingRequest{
			// The gateway receives every recording's state events, as it does every call's.
			RecordingStateCallbackURI: c.callbackURL,
			RecordingContentType:      recordingContents[req.GetContent()],
			RecordingChannelType:      recordingChannels[req.GetChannel()],
			RecordingFormatType:       recordingFormats[req.GetFormat()],
			PauseOnStart:              optionalBool(req.PauseOnStart),
			Repeatability:             acs.Repeatability{RequestID: req.GetRequestId()},
		}
		// Which locator is set, and its form, are declared rules.
		switch l := req.GetCallLocator().(type) {
		case *callgatev1.StartRecordingRequest_CallConnectionId:
			up.CallConnectionID = l.CallConnectionId
		case *callgatev1.StartRecordingRequest_ServerCallId:
			loc := acs.ServerCallLocator(l.ServerCallId)
			up.CallLocator = &loc
		case *callgatev1.StartRecordingRequest_GroupCallId:
			loc := acs.GroupCallLocator(l.GroupCallId)
			up.CallLocator = &loc
		}
		v.recordingLayout(req)
		seen := map[string]int{}
		for i, id := range req.GetAudioChannelParticipantOrdering() {
			p := v.identifier(elem("audio_channel_participant_ordering", i), id, existing)
			up.AudioChannelParticipantOrdering = append(up.AudioChannelParticipantOrdering, p)
			if j, ok := seen[p.RawID]; ok && p.RawID != "" {
				v.add(fieldIndex("audio_channel_participant_ordering", i), "repeats "+fieldIndex("audio_channel_participant_ordering", j))
			}
			seen[p.RawID] = i
		}
		channels := map[int32]int{}
		for i, a := range req.GetChannelAffinity() {
			p := v.identifier(path{name: fieldIndex("channel_affinity", i) + ".participant", index: -1}, a.GetParticipant(), existing)
			up.ChannelAffinity = append(up.ChannelAffinity, acs.ChannelAffinity{Channel: a.GetChannel(), Participant: p})
			if j, ok := channels[a.GetChannel()]; ok {
				v.add(fieldIndex("channel_affinity", i)+".channel", "repeats the channel of "+fieldIndex("channel_affinity", j))
			}
			channels[a.GetChannel()] = i
		}
		if es := req.GetExternalStorage(); es != nil {
			if u, err := url.Parse(es.GetBlobContainerUrl()); err != nil || !u.IsAbs() || u.Scheme != "https" || u.Host == "" || u.User != nil {
				v.add("external_storage.blob_container_url", "must be an https URL of a Blob Storage container (https://<account>.blob.core.windows.net/<container>)")
			}
			up.ExternalStorage = &acs.ExternalStorage{RecordingStorageKind: acs.RecordingStorageBlob, RecordingDestinationContainerURL: es.GetBlobContainerUrl()}
		}
		if v.wait > 0 && up.CallConnectionID == "" {
			v.add("wait", "needs call_connection_id: the events of a recording started by another locator may name no call connection to watch")
		}
		return up, outcomeStartRecording
	},
	call: (*acs.Client).StartRecording,
	respond: func(_ *acs.StartRecordingRequest, res *acs.RecordingStateResponse) *callgatev1.StartRecordingResponse {
		return &callgatev1.StartRecordingResponse{RecordingId: res.RecordingID, State: recordingStates[res.RecordingState], Kind: recordingKinds[res.RecordingKind]}
	},
}

// recordingLayout checks what ACS documents of a recording's content, channels and format:
// audio and video is mixed MP4, audio is WAV or MP3, unmixed is WAV, and the channel
// assignments are for unmixed recordings.
func (v *validator) recordingLayout(req *callgatev1.StartRecordingRequest) {
	video := req.GetContent() == callgatev1.RecordingContent_RECORDING_CONTENT_AUDIO_VIDEO
	unmixed := req.GetChannel() == callgatev1.RecordingChannel_RECORDING_CHANNEL_UNMIXED
	switch f := req.GetFormat(); {
	case video && f != callgatev1.RecordingFormat_RECORDING_FORMAT_UNSPECIFIED && f != callgatev1.RecordingFormat_RECORDING_FORMAT_MP4:
		v.add("format", "audio and video is recorded as MP4")
	case !video && f == callgatev1.RecordingFormat_RECORDING_FORMAT_MP4:
		v.add("format", "MP4 records audio and video: content RECORDING_CONTENT_AUDIO_VIDEO")
	case unmixed && f == callgatev1.RecordingFormat_RECORDING_FORMAT_MP3:
		v.add("format", "an unmixed recording is WAV")
	}
	if video && unmixed {
		v.add("channel", "audio and video is recorded mixed")
	}
	if !unmixed {
		if len(req.GetAudioChannelParticipantOrdering()) > 0 {
			v.add("audio_channel_participant_ordering", "only for RECORDING_CHANNEL_UNMIXED")
		}
		if len(req.GetChannelAffinity()) > 0 {
			v.add("channel_affinity", "only for RECORDING_CHANNEL_UNMIXED")
		}
	}
}

// recordingAction is an RPC that asks ACS one thing of a recording, named by its ID alone, and
// answers an empty response.
func recordingAction[Req interface {
	proto.Message
	GetRecordingId() string
}, Resp proto.Message](call func(*acs.Client, context.Context, *acs.RecordingRequest) error) unary[Req, Resp, *acs.RecordingRequest, struct{}] {
	return unary[Req, Resp, *acs.RecordingRequest, struct{}]{
		build: func(_ *core, _ *validator, req Req) (*acs.RecordingRequest, outcome) {
			return &acs.RecordingRequest{RecordingID: req.GetRecordingId()}, outcome{}
		},
		call: noResult(call),
		respond: func(*acs.RecordingRequest, struct{}) Resp {
			var r Resp
			return r.ProtoReflect().New().Interface().(Resp)
		},
	}
}

// PauseRecording pauses a recording.
func (s *RecordingServer) PauseRecording(ctx context.Context, req *callgatev1.PauseRecordingRequest) (*callgatev1.PauseRecordingResponse, error) {
	return pauseRecording.serve(ctx, s.core, req)
}

var pauseRecording = recordingAction[*callgatev1.PauseRecordingRequest, *callgatev1.PauseRecordingResponse]((*acs.Client).PauseRecording)

// ResumeRecording resumes a paused recording.
func (s *RecordingServer) ResumeRecording(ctx context.Context, req *callgatev1.ResumeRecordingRequest) (*callgatev1.ResumeRecordingResponse, error) {
	return resumeRecording.serve(ctx, s.core, req)
}

var resumeRecording = recordingAction[*callgatev1.ResumeRecordingRequest, *callgatev1.ResumeRecordingResponse]((*acs.Client).ResumeRecording)

// StopRecording stops a recording.
func (s *RecordingServer) StopRecording(ctx context.Context, req *callgatev1.StopRecordingRequest) (*callgatev1.StopRecordingResponse, error) {
	return stopRecording.serve(ctx, s.core, req)
}

var stopRecording = recordingAction[*callgatev1.StopRecordingRequest, *callgatev1.StopRecordingResponse]((*acs.Client).StopRecording)

// storedRecording is what the recordings log holds of one recording: its events, oldest first.
type storedRecording struct {
	events []*callgatev1.RecordingEvent
}

// recordingEvents reads a recording's events from the log; events it cannot read are logged
// and skipped, as streams skip them.
func (c *core) recordingEvents(ctx context.Context, recordingID string) (storedRecording, error) {
	entries, err := c.events.RecordingEvents(ctx, recordingID)
	if err != nil {
		if errors.Is(err, eventlog.ErrInvalidArgument) {
			return storedRecording{}, invalidArgument(violation("recording_id", "cannot be looked up: too long"))
		}
		return storedRecording{}, status.Errorf(codes.Unavailable, "cannot read the recording's events: %v", err)
	}
	var out storedRecording
	for _, e := range entries {
		ev := &callgatev1.RecordingEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			c.log.Error("unreadable recording event in the log, skipped", zap.String("recording_id", recordingID), zap.Uint64("sequence", e.Seq), zap.Error(err))
			continue
		}
		ev.Sequence = e.Seq
		out.events = append(out.events, ev)
	}
	return out, nil
}

// recording folds the events into the recording they tell of.
func (r storedRecording) recording(id string) *callgatev1.Recording {
	out := &callgatev1.Recording{RecordingId: id}
	for _, ev := range r.events {
		if ev.GetCallConnectionId() != "" {
			out.CallConnectionId = ev.GetCallConnectionId()
		}
		if ev.GetServerCallId() != "" {
			out.ServerCallId = ev.GetServerCallId()
		}
		switch e := ev.GetEvent().(type) {
		case *callgatev1.RecordingEvent_RecordingStateChanged:
			out.State = e.RecordingStateChanged.GetState()
			if k := e.RecordingStateChanged.GetRecordingKind(); k != callgatev1.RecordingKind_RECORDING_KIND_UNSPECIFIED {
				out.Kind = k
			}
			if t := e.RecordingStateChanged.GetStartDateTime(); t != nil {
				out.StartTime = t
			}
		case *callgatev1.RecordingEvent_RecordingFileStatusUpdated:
			f := e.RecordingFileStatusUpdated
			out.Chunks = append(out.Chunks, f.GetRecordingStorageInfo().GetRecordingChunks()...)
			out.DurationMs += f.GetRecordingDurationMs()
			out.SessionEndReason = f.GetSessionEndReason()
			if out.StartTime == nil {
				out.StartTime = f.GetRecordingStartTime()
			}
		}
	}
	return out
}

// location is where ACS said a chunk's file is: JSON names of RecordingChunk's locations.
func (r storedRecording) location(documentID, field string) (string, bool) {
	found := false
	for _, ev := range r.events {
		for _, ch := range chunkStructs(ev.GetData()) {
			f := ch.GetFields()
			if f["documentId"].GetStringValue() != documentID {
				continue
			}
			found = true
			if loc := f[field].GetStringValue(); loc != "" {
				return loc, true
			}
		}
	}
	return "", found
}

// chunkStructs are the recordingChunks of a RecordingFileStatusUpdated's data.
func chunkStructs(data *structpb.Struct) []*structpb.Struct {
	var out []*structpb.Struct
	for _, v := range data.GetFields()["recordingStorageInfo"].GetStructValue().GetFields()["recordingChunks"].GetListValue().GetValues() {
		if s := v.GetStructValue(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// redacted is ev as callers get it: the chunks' locations are the gateway's (they may carry
// storage signatures, and the gateway's credentials are what reads them).
func redacted(ev *callgatev1.RecordingEvent) *callgatev1.RecordingEvent {
	if len(chunkStructs(ev.GetData())) == 0 {
		return ev
	}
	out := proto.Clone(ev).(*callgatev1.RecordingEvent)
	for _, ch := range chunkStructs(out.GetData()) {
		for _, k := range []string{"contentLocation", "metadataLocation", "deleteLocation"} {
			delete(ch.Fields, k)
		}
	}
	return out
}

// GetRecording reads a recording: its state from ACS, and what the recordings log holds of it
// (its files, its call). A recording ACS no longer knows (it forgets stopped ones) is answered
// from the log alone; one neither knows is NOT_FOUND.
func (s *RecordingServer) GetRecording(ctx context.Context, req *callgatev1.GetRecordingRequest) (*callgatev1.GetRecordingResponse, error) {
	v, err := s.declared(req)
	if err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	id := req.GetRecordingId()
	stored, err := s.recordingEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	rec := stored.recording(id)
	st, err := s.acs.GetRecording(ctx, &acs.RecordingRequest{RecordingID: id})
	switch {
	case err == nil:
		rec.State = recordingStates[st.RecordingState]
		if k, ok := recordingKinds[st.RecordingKind]; ok {
			rec.Kind = k
		}
	case acs.IsNotFound(err) && len(stored.events) > 0:
		// Stopped, and forgotten by ACS: the log's last state stands.
	default:
		return nil, s.upstreamError(err)
	}
	return &callgatev1.GetRecordingResponse{Recording: rec}, nil
}

// WatchRecordings streams the recordings' events.
func (s *RecordingServer) WatchRecordings(req *callgatev1.WatchRecordingsRequest, stream grpc.ServerStreamingServer[callgatev1.WatchRecordingsResponse]) error {
	v, err := s.declared(req)
	if err != nil {
		return err
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := stream.Context()
	w, err := s.events.WatchRecordings(ctx, req.GetRecordingId(), req.GetAfterSequence())
	if err != nil {
		return watchError(err, "recording_id", req.GetAfterSequence())
	}
	field := zap.String("recording_id", req.GetRecordingId())
	return s.pump(ctx, w, &s.metrics.watchRecordings, field, func(e eventlog.Entry) (bool, bool, error) {
		ev := &callgatev1.RecordingEvent{}
		if err := proto.Unmarshal(e.Payload, ev); err != nil {
			s.log.Error("unreadable recording event in the log, skipped", field, zap.Uint64("sequence", e.Seq), zap.Error(err))
			return false, false, nil
		}
		ev = redacted(ev)
		ev.Sequence = e.Seq
		return true, false, stream.Send(&callgatev1.WatchRecordingsResponse{Item: &callgatev1.WatchRecordingsResponse_Event{Event: ev}})
	}, func(hb *callgatev1.Heartbeat) error {
		return stream.Send(&callgatev1.WatchRecordingsResponse{Item: &callgatev1.WatchRecordingsResponse_Heartbeat{Heartbeat: hb}})
	}, nil)
}

// chunkLocation finds where ACS said a chunk's file is: NOT_FOUND for a chunk the log knows
// nothing of (no RecordingFileStatusUpdated named it yet), FAILED_PRECONDITION for one without
// that file.
func (c *core) chunkLocation(ctx context.Context, recordingID, documentID, field string) (string, error) {
	stored, err := c.recordingEvents(ctx, recordingID)
	if err != nil {
		return "", err
	}
	loc, found := stored.location(documentID, field)
	switch {
	case !found:
		return "", status.Errorf(codes.NotFound, "recording %s has no chunk %s that ACS announced (RecordingFileStatusUpdated); its files come after it stops", recordingID, documentID)
	case loc == "":
		return "", status.Errorf(codes.FailedPrecondition, "ACS gave no %s for chunk %s", field, documentID)
	}
	return loc, nil
}

// DownloadRecording streams a chunk's content or metadata from ACS.
func (s *RecordingServer) DownloadRecording(req *callgatev1.DownloadRecordingRequest, stream grpc.ServerStreamingServer[httpbody.HttpBody]) error {
	v, err := s.declared(req)
	if err != nil {
		return err
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := stream.Context()
	field := "contentLocation"
	if req.GetFile() == callgatev1.RecordingFile_RECORDING_FILE_METADATA {
		field = "metadataLocation"
	}
	loc, err := s.chunkLocation(ctx, req.GetRecordingId(), req.GetDocumentId(), field)
	if err != nil {
		return err
	}
	d, err := s.acs.DownloadRecording(ctx, &acs.DownloadRequest{Location: loc, Offset: req.GetOffset(), Length: req.GetLength()})
	if err != nil {
		return s.contentError(err)
	}
	defer d.Body.Close()
	contentType := d.ContentType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	buf := make([]byte, downloadChunk)
	sent := req.GetOffset()
	for {
		n, rerr := io.ReadFull(d.Body, buf)
		if n > 0 {
			msg := &httpbody.HttpBody{Data: buf[:n]}
			if contentType != "" {
				msg.ContentType, contentType = contentType, ""
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
			sent += int64(n)
			s.metrics.downloaded.Add(float64(n))
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF), errors.Is(rerr, io.ErrUnexpectedEOF):
			return nil
		case ctx.Err() != nil:
			return status.FromContextError(ctx.Err()).Err()
		default:
			s.log.Warn("recording download cut short", zap.String("recording_id", req.GetRecordingId()), zap.Int64("resume_offset", sent), zap.Error(rerr))
			st, derr := status.New(codes.Unavailable, "the download from ACS was cut short; resume with offset="+strconv.FormatInt(sent, 10)).
				WithDetails(&errdetails.ErrorInfo{Reason: "DOWNLOAD_INTERRUPTED", Domain: errorDomain, Metadata: map[string]string{"resume_offset": strconv.FormatInt(sent, 10)}})
			if derr != nil {
				return status.Error(codes.Unavailable, "the download from ACS was cut short")
			}
			return st.Err()
		}
	}
}

// contentError maps a failed download or delete: a location the acs client refuses is not the
// caller's doing.
func (c *core) contentError(err error) error {
	if errors.Is(err, acs.ErrForeignLocation) {
		c.log.Error("a recording location is not on ACS storage; refused", zap.Error(err))
		return status.Error(codes.FailedPrecondition, "the recording's location is not on ACS storage: the gateway does not fetch it")
	}
	return c.upstreamError(err)
}

// DeleteRecording deletes a chunk from ACS's storage.
func (s *RecordingServer) DeleteRecording(ctx context.Context, req *callgatev1.DeleteRecordingRequest) (*callgatev1.DeleteRecordingResponse, error) {
	v, err := s.declared(req)
	if err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	loc, err := s.chunkLocation(ctx, req.GetRecordingId(), req.GetDocumentId(), "deleteLocation")
	if err != nil {
		return nil, err
	}
	if err := s.acs.DeleteRecording(ctx, loc); err != nil {
		return nil, s.contentError(err)
	}
	return &callgatev1.DeleteRecordingResponse{}, nil
}
