package gateway

import (
	"testing"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// A response made of stored bytes alone goes out as those very bytes, not a copy; any other
// message is encoded as grpc-go would.
func TestServerCodecSendsStoredBytesAsTheyAre(t *testing.T) {
	c := lenientCodec{encoding.GetCodecV2(grpcproto.Name)}
	stored := protowire.AppendString(protowire.AppendTag(nil, 1000, protowire.BytesType), "a field this message does not know")
	resp := &callgatev1.WatchCallResponse{}
	resp.ProtoReflect().SetUnknown(stored)
	out, err := c.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := proto.Marshal(resp)
	if got := out.Materialize(); string(got) != string(want) {
		t.Fatalf("stored bytes sent as % x, want % x", got, want)
	}
	if len(out) != 1 || &out[0].ReadOnlyData()[0] != &stored[0] {
		t.Error("the stored bytes were copied")
	}

	mixed := &callgatev1.WatchCallResponse{Item: &callgatev1.WatchCallResponse_Heartbeat{Heartbeat: &callgatev1.Heartbeat{LatestSequence: 7}}}
	mixed.ProtoReflect().SetUnknown(stored)
	out, err = c.Marshal(mixed)
	if err != nil {
		t.Fatal(err)
	}
	back := &callgatev1.WatchCallResponse{}
	if err := proto.Unmarshal(out.Materialize(), back); err != nil || back.GetHeartbeat().GetLatestSequence() != 7 || string(back.ProtoReflect().GetUnknown()) != string(stored) {
		t.Errorf("a message with fields and unknown bytes: %v, %v", back, err)
	}
}
