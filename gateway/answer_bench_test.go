package gateway

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// BenchmarkAnswerEncoding encodes one GetCall answer, of the size ACS's are, as REST does
// (protojson, through grpc-gateway) and as gRPC does (protobuf): what a REST answer costs the
// process before it is written.
//
//	go test -run '^$' -bench BenchmarkAnswerEncoding -benchmem ./gateway/
func BenchmarkAnswerEncoding(b *testing.B) {
	answer := &callgatev1.GetCallResponse{Call: benchCall()}
	b.Run("protojson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := protojson.Marshal(answer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("protobuf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := proto.Marshal(answer); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchCall is a call as ACS describes one, of the size its answers are.
func benchCall() *callgatev1.Call {
	user := func(raw string) *callgatev1.CommunicationIdentifier {
		return &callgatev1.CommunicationIdentifier{RawId: raw, Kind: &callgatev1.CommunicationIdentifier_CommunicationUser{
			CommunicationUser: &callgatev1.CommunicationUser{Id: raw}}}
	}
	return &callgatev1.Call{
		CallConnectionId: "401f3500-62bd-46a0-a6d4-8d4b7d2f0f8b",
		ServerCallId:     "aHR0cHM6Ly9hcGkuZmxpZ2h0cHJveHkuc2t5cGUuY29tL2FwaS92Mi9jcC9jb252LXVzZWEtMDEuY29udi5za3lwZS5jb20vY29udi9hYmM",
		CorrelationId:    "7f9b0d1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
		State:            callgatev1.CallState_CALL_STATE_CONNECTING,
		Targets:          []*callgatev1.CommunicationIdentifier{user("8:acs:11111111-2222-3333-4444-555555555555_00000017-aaaa-bbbb-cccc-dddddddddddd")},
		Source:           user("8:acs:11111111-2222-3333-4444-555555555555_00000017-eeee-ffff-0000-111111111111"),
	}
}
