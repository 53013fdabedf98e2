package callbacks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/callgate/callgate/acsproto"
	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Recordings have events of two origins: their state changes (RecordingStateChanged,
// StartRecordingFailed) are callbacks, posted to the recording-state callback URL the gateway
// gives ACS, which is its calls path; their files are announced by Event Grid
// (Microsoft.Communication.RecordingFileStatusUpdated), on the Event Grid path. Both go to the
// recordings log by recording ID; the state changes also go to their call's log, when they
// name a call connection, so that WatchCall shows them.

// RecordingLog is where recording events are stored: *eventlog.Log. A Log that is not one
// refuses recording deliveries with 503, so that ACS delivers them again.
type RecordingLog interface {
	AppendRecording(ctx context.Context, recordingID, eventID string, payload []byte) (seq uint64, duplicate bool, err error)
}

const recordingFileStatusUpdatedType = acsproto.EventTypePrefix + "RecordingFileStatusUpdated"

var (
	recordingStateChangedType = acsproto.EventType(&callgatev1.RecordingStateChanged{})
	startRecordingFailedType  = acsproto.EventType(&callgatev1.StartRecordingFailed{})
)

func isRecordingEvent(eventType string) bool {
	return eventType == recordingStateChangedType || eventType == startRecordingFailedType
}

// recordingEventOf is a recording's callback event as the recordings log keeps it, nil for the
// events of calls; an error for data no client could decode.
func recordingEventOf(ev *callgatev1.CallEvent, data map[string]any, source string) (*callgatev1.RecordingEvent, error) {
	rec := &callgatev1.RecordingEvent{
		Id: ev.GetId(), Type: ev.GetType(), Time: ev.GetTime(), CallConnectionId: ev.GetCallConnectionId(),
		ServerCallId: ev.GetServerCallId(), CorrelationId: ev.GetCorrelationId(), ResultInformation: ev.GetResultInformation(),
	}
	switch e := ev.GetEvent().(type) {
	case *callgatev1.CallEvent_RecordingStateChanged:
		rec.RecordingId = e.RecordingStateChanged.GetRecordingId()
		rec.Event = &callgatev1.RecordingEvent_RecordingStateChanged{RecordingStateChanged: e.RecordingStateChanged}
	case *callgatev1.CallEvent_StartRecordingFailed:
		rec.RecordingId = e.StartRecordingFailed.GetRecordingId()
		rec.Event = &callgatev1.RecordingEvent_StartRecordingFailed{StartRecordingFailed: e.StartRecordingFailed}
	default:
		return nil, nil
	}
	var err error
	if rec.Data, err = dataStruct(data); err != nil {
		return nil, fmt.Errorf("event %s: data: %w", ev.GetId(), err)
	}
	if rec.RecordingId == "" {
		rec.RecordingId = recordingIDFromSource(source)
	}
	return rec, nil
}

// recordingIDFromSource reads the recording ID out of
// `calling/recordings/{serverCallId}/{recordingId}/{event}`.
func recordingIDFromSource(source string) string {
	parts := strings.Split(strings.TrimPrefix(source, "/"), "/")
	if len(parts) >= 4 && parts[0] == "calling" && parts[1] == "recordings" {
		return parts[3]
	}
	return ""
}

// recordingIDFromSubject reads the IDs out of an Event Grid recording subject,
// `/recording/call/{call-id}/serverCallId/{server-call-id}/recordingId/{recording-id}`.
func recordingIDFromSubject(subject string) (recordingID, serverCallID string) {
	parts := strings.Split(strings.Trim(subject, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		switch parts[i] {
		case "recordingId":
			recordingID = parts[i+1]
		case "serverCallId":
			serverCallID = parts[i+1]
		}
	}
	return recordingID, serverCallID
}

// parseRecordingFiles turns an Event Grid RecordingFileStatusUpdated into a RecordingEvent. Its
// data is kept whole, chunk locations included: the gateway downloads from them (and answers
// them to nobody).
func parseRecordingFiles(ev *gridEvent) (*callgatev1.RecordingEvent, error) {
	if ev.ID == "" {
		return nil, errEventWithoutID
	}
	recordingID, serverCallID := recordingIDFromSubject(ev.Subject)
	if recordingID == "" {
		return nil, fmt.Errorf("event %s: subject names no recording", ev.ID)
	}
	data, s, err := decodeData(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	files := &callgatev1.RecordingFileStatusUpdated{}
	decodeFields(files.ProtoReflect(), data, nil)
	rec := &callgatev1.RecordingEvent{Id: ev.ID, Type: recordingFileStatusUpdatedType, RecordingId: recordingID, ServerCallId: serverCallID, Data: s,
		Event: &callgatev1.RecordingEvent_RecordingFileStatusUpdated{RecordingFileStatusUpdated: files}}
	if t, err := time.Parse(time.RFC3339Nano, ev.when()); err == nil {
		rec.Time = timestamppb.New(t)
	}
	return rec, nil
}

// storeRecordings appends recording events to the recordings log.
func (h *Handler) storeRecordings(ctx context.Context, recs []*callgatev1.RecordingEvent) error {
	if len(recs) == 0 {
		return nil
	}
	store, ok := h.store.(RecordingLog)
	if !ok {
		return errors.New("the event log keeps no recordings")
	}
	for _, rec := range recs {
		payload, err := proto.Marshal(rec)
		if err != nil {
			return err
		}
		seq, dup, err := store.AppendRecording(ctx, rec.GetRecordingId(), rec.GetId(), payload)
		if err != nil {
			return err
		}
		if !dup {
			h.metrics.event(rec.GetType())
		}
		h.log.Debug("recording event stored", zap.String("recording_id", rec.GetRecordingId()), zap.String("event_type", rec.GetType()),
			zap.String("event_id", rec.GetId()), zap.Uint64("sequence", seq), zap.Bool("duplicate", dup))
	}
	return nil
}

// storeRecordingFiles stores an Event Grid RecordingFileStatusUpdated.
func (h *Handler) storeRecordingFiles(r *http.Request, ev *gridEvent) (int, string) {
	rec, err := parseRecordingFiles(ev)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	if err := h.storeRecordings(r.Context(), []*callgatev1.RecordingEvent{rec}); err != nil {
		if errors.Is(err, eventlog.ErrInvalidArgument) {
			return http.StatusBadRequest, err.Error()
		}
		h.log.Warn("cannot store recording files; asking Event Grid to deliver again", zap.String("event_id", ev.ID), zap.Error(err))
		h.metrics.delivery(r, outcomeStoreFailed)
		return http.StatusServiceUnavailable, "event not stored, deliver again"
	}
	return http.StatusOK, ""
}
