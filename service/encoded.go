package service

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/callgate/callgate/eventlog"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The log stores each event as its encoded CallEvent (or IncomingCall) without a sequence. A
// stream sends it without decoding it: the stored bytes, then the sequence appended as one more
// field (protobuf takes fields in any order), as the pre-encoded content of the response message.
// That response is built once per live event and sent by every watcher of the call
// (eventlog.Entry.Shared): a watcher costs the codec's copy of it, not a decode and an encode of
// the event's data, nor any allocation of its own.
var (
	watchCallEventField     = fieldNumber(&callgatev1.WatchCallResponse{}, "event")
	watchIncomingCallField  = fieldNumber(&callgatev1.WatchIncomingCallsResponse{}, "incoming_call")
	callEventSequenceField  = fieldNumber(&callgatev1.CallEvent{}, "sequence")
	callEventTypeField      = fieldNumber(&callgatev1.CallEvent{}, "type")
	incomingCallSequenceNum = fieldNumber(&callgatev1.IncomingCall{}, "sequence")
)

func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	return m.ProtoReflect().Descriptor().Fields().ByName(name).Number()
}

// embedStored encodes field `field` of a response as the stored message with its sequence.
func embedStored(field, sequenceField protowire.Number, stored []byte, seq uint64) []byte {
	inner := len(stored) + protowire.SizeTag(sequenceField) + protowire.SizeVarint(seq)
	b := make([]byte, 0, protowire.SizeTag(field)+protowire.SizeBytes(inner))
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(inner))
	b = append(b, stored...)
	b = protowire.AppendTag(b, sequenceField, protowire.VarintType)
	return protowire.AppendVarint(b, seq)
}

func storedCallEvent(stored []byte, seq uint64) *callgatev1.WatchCallResponse {
	m := &callgatev1.WatchCallResponse{}
	m.ProtoReflect().SetUnknown(embedStored(watchCallEventField, callEventSequenceField, stored, seq))
	return m
}

func storedIncomingCall(stored []byte, seq uint64) *callgatev1.WatchIncomingCallsResponse {
	m := &callgatev1.WatchIncomingCallsResponse{}
	m.ProtoReflect().SetUnknown(embedStored(watchIncomingCallField, incomingCallSequenceNum, stored, seq))
	return m
}

// sharedCallEvent is what every watcher of a call sends for one of its events.
type sharedCallEvent struct {
	resp      *callgatev1.WatchCallResponse // shared: only read (proto.Marshal may run concurrently)
	eventType string
	err       error // the stored bytes do not decode
}

func newSharedCallEvent(e eventlog.Entry) any {
	eventType, err := storedEventType(e.Payload)
	if err != nil {
		return &sharedCallEvent{err: err}
	}
	return &sharedCallEvent{resp: storedCallEvent(e.Payload, e.Seq), eventType: eventType}
}

func newSharedIncomingCall(e eventlog.Entry) any { return storedIncomingCall(e.Payload, e.Seq) }

// storedEventType reads the CloudEvent type out of a stored CallEvent, checking its encoding on
// the way.
func storedEventType(stored []byte) (string, error) {
	var eventType string
	for b := stored; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", fmt.Errorf("stored event: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num == callEventTypeField && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", fmt.Errorf("stored event: %w", protowire.ParseError(n))
			}
			eventType = string(v)
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", fmt.Errorf("stored event: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	return eventType, nil
}
