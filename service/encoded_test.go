package service

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// What a stream sends from the stored bytes decodes to exactly the event with its sequence.
func TestStoredEventsDecodeAsTheEventWithItsSequence(t *testing.T) {
	data, _ := structpb.NewStruct(map[string]any{"callConnectionId": "c", "participants": []any{map[string]any{"isMuted": true}}})
	ev := &callgatev1.CallEvent{
		Id: "e1", Type: "Microsoft.Communication.ParticipantsUpdated", Time: timestamppb.Now(), CallConnectionId: "c",
		Data:  data,
		Event: &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: &callgatev1.ParticipantsUpdated{SequenceNumber: 3}},
	}
	stored, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if typ, err := storedEventType(stored); err != nil || typ != ev.GetType() {
		t.Fatalf("type %q %v", typ, err)
	}
	wire, err := proto.Marshal(storedCallEvent(stored, 42))
	if err != nil {
		t.Fatal(err)
	}
	got := &callgatev1.WatchCallResponse{}
	if err := proto.Unmarshal(wire, got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(ev).(*callgatev1.CallEvent)
	want.Sequence = 42
	if !proto.Equal(got.GetEvent(), want) {
		t.Fatalf("decoded %v, want %v", got.GetEvent(), want)
	}

	in := &callgatev1.IncomingCall{Id: "i1", IncomingCallContext: "ctx", To: &callgatev1.CommunicationIdentifier{RawId: "8:acs:x"}}
	stored, _ = proto.Marshal(in)
	wire, _ = proto.Marshal(storedIncomingCall(stored, 7))
	gotIn := &callgatev1.WatchIncomingCallsResponse{}
	if err := proto.Unmarshal(wire, gotIn); err != nil {
		t.Fatal(err)
	}
	in.Sequence = 7
	if !proto.Equal(gotIn.GetIncomingCall(), in) {
		t.Fatalf("decoded %v, want %v", gotIn.GetIncomingCall(), in)
	}

	if _, err := storedEventType([]byte{0xff, 0xff}); err == nil {
		t.Fatal("a corrupt stored event was read")
	}
}
