package acsproto

import (
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// EventTypePrefix begins the CloudEvent type of every Call Automation event.
const EventTypePrefix = "Microsoft.Communication."

// The event types callgate types are the fields of CallEvent's `event` oneof, and each field's
// message is named as ACS names the event: CallEvent_CallConnected holds a CallConnected, the
// event of type Microsoft.Communication.CallConnected. That makes the proto the one list of event
// types: a new typed event is a message and a oneof field, and nothing else names it.
//
// An event that older api-versions name otherwise is typed under each name by a message of that
// name (SendDtmfCompleted beside SendDtmfTonesCompleted): the rule needs no table of aliases, a
// gateway set to an older --acs-api-version receives its events typed, and what waits for either
// name lists both. A field an older version names otherwise is a field of that name in the same
// message (RecognizeCompleted.collect_tones_result beside dtmf_result).

// EventType is the CloudEvent type of the event that m, a message of CallEvent's `event` oneof,
// types: EventType(&callgatev1.CallConnected{}) is "Microsoft.Communication.CallConnected".
func EventType(m proto.Message) string {
	return EventTypePrefix + string(m.ProtoReflect().Descriptor().Name())
}

// EventField is the field of CallEvent's `event` oneof that types events of the given CloudEvent
// type, or nil for a type callgate does not type.
func EventField(eventType string) protoreflect.FieldDescriptor {
	return eventFields()[eventType]
}

// EventTypes lists every CloudEvent type callgate types, in the oneof's order.
func EventTypes() []string {
	oneof := eventOneof()
	out := make([]string, oneof.Fields().Len())
	for i := range out {
		out[i] = EventTypePrefix + string(oneof.Fields().Get(i).Message().Name())
	}
	return out
}

func eventOneof() protoreflect.OneofDescriptor {
	return (&callgatev1.CallEvent{}).ProtoReflect().Descriptor().Oneofs().ByName("event")
}

// eventFields is built once, on first use, from the descriptor; it is never written after.
var eventFields = sync.OnceValue(func() map[string]protoreflect.FieldDescriptor {
	fields := eventOneof().Fields()
	m := make(map[string]protoreflect.FieldDescriptor, fields.Len())
	for i := range fields.Len() {
		fd := fields.Get(i)
		m[EventTypePrefix+string(fd.Message().Name())] = fd
	}
	return m
})
