package callbacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// cloudEvent is one CloudEvents 1.0 envelope as ACS posts it to a callback URL. Its data is
// decoded with the envelope, in one pass over the body; absent or null, it is nil.
type cloudEvent struct {
	ID      string         `json:"id"`
	Source  string         `json:"source"`
	Type    string         `json:"type"`
	Subject string         `json:"subject"`
	Time    string         `json:"time"`
	Data    map[string]any `json:"data"`
}

var (
	errNotJSON        = errors.New("body is not a JSON array or object")
	errEventWithoutID = errors.New("event has no id")
)

// decodeEnvelopes accepts what ACS and Event Grid post: a JSON array of events, or one event.
func decodeEnvelopes[T any](body []byte) ([]T, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errNotJSON
	}
	switch body[0] {
	case '[':
		var events []T
		if err := json.Unmarshal(body, &events); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		return events, nil
	case '{':
		var e T
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		return []T{e}, nil
	}
	return nil, errNotJSON
}

// parseCallEvent turns one CloudEvent into a CallEvent: the envelope, the fields every event
// shares, and the typed event when callgate types its type (acsproto.EventField), built from the
// data's maps. Its data field is left unset: encodeCallEvent writes it from those maps. Types
// callgate does not type keep their data.
func parseCallEvent(ce cloudEvent) (*callgatev1.CallEvent, error) {
	if ce.ID == "" {
		return nil, errEventWithoutID
	}
	if ce.Type == "" {
		return nil, fmt.Errorf("event %s has no type", ce.ID)
	}
	ev := &callgatev1.CallEvent{Id: ce.ID, Type: ce.Type}
	m := ev.ProtoReflect()
	decodeFields(m, ce.Data, isSharedEventField)
	if ev.CallConnectionId == "" {
		ev.CallConnectionId = callIDFromSubject(ce.Subject, ce.Source)
	}
	// A recording's events may name no call connection: they are kept by recording alone.
	if ev.CallConnectionId == "" && !isRecordingEvent(ce.Type) {
		return nil, fmt.Errorf("event %s names no call connection", ce.ID)
	}
	// A time that does not parse is left out rather than refused: a 4xx would make ACS drop the
	// other events of the delivery too, and the event is useful without it.
	if t, err := time.Parse(time.RFC3339Nano, ce.Time); err == nil {
		ev.Time = timestamppb.New(t)
	}
	if fd := acsproto.EventField(ce.Type); fd != nil {
		typed := m.NewField(fd)
		decodeFields(typed.Message(), ce.Data, nil)
		m.Set(fd, typed)
	}
	return ev, nil
}

var callEventData = (&callgatev1.CallEvent{}).ProtoReflect().Descriptor().Fields().ByName("data").Number()

// encodeCallEvent is what the log stores for ev: its encoding with data as its data field, the
// bytes proto.Marshal gives for ev with Data set to structpb.NewStruct(data) (absent or null data
// is an empty Struct), written without building that Struct (structWire). ev's Data must be unset.
func encodeCallEvent(ev *callgatev1.CallEvent, data map[string]any) ([]byte, error) {
	field, fieldSize, err := sizeStructField(callEventData, data)
	if err != nil {
		return nil, fmt.Errorf("event %s: data: %w", ev.GetId(), err)
	}
	size := proto.Size(ev)
	b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(make([]byte, 0, size+fieldSize), ev)
	if err != nil {
		field.discard()
		return nil, err
	}
	return field.append(b), nil
}

// isSharedEventField says which of CallEvent's own fields come from the event's data: the ones
// every event carries. The others come from the envelope or the log, or are the typed event.
func isSharedEventField(fd protoreflect.FieldDescriptor) bool {
	switch fd.Name() {
	case "call_connection_id", "server_call_id", "correlation_id", "operation_context", "result_information":
		return true
	}
	return false
}

// decodeData decodes an Event Grid event's data once, into maps, and keeps it whole as a Struct;
// absent or null data is an empty Struct. Going through a map is twice as fast as protojson's
// Struct decoding.
func decodeData(raw json.RawMessage) (map[string]any, *structpb.Struct, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, &structpb.Struct{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("data is not a JSON object: %w", err)
	}
	s, err := dataStruct(m)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	return m, s, nil
}

// dataStruct is data as a Struct, refusing what a call event's encoding refuses (maxDataDepth),
// checked by the same sizing.
func dataStruct(data map[string]any) (*structpb.Struct, error) {
	sized, _, err := sizeStructField(0, data)
	if err != nil {
		return nil, err
	}
	sized.discard()
	return structpb.NewStruct(data)
}

// callIDFromSubject reads the ID out of `calling/callConnections/{id}`.
func callIDFromSubject(candidates ...string) string {
	const prefix = "calling/callConnections/"
	for _, s := range candidates {
		if rest, ok := strings.CutPrefix(s, prefix); ok && rest != "" {
			return rest
		}
	}
	return ""
}
