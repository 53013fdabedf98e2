package service_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Every string, list and map a request can carry, at any depth, has a declared bound: a new RPC
// or field without one fails here.
func TestEveryRequestFieldIsBounded(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var check func(md protoreflect.MessageDescriptor)
	check = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
			return
		}
		seen[md.FullName()] = true
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			rules, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
			name := string(md.Name()) + "." + string(fd.Name())
			switch {
			case fd.IsMap():
				m := rules.GetMap()
				if !m.HasMaxPairs() || !bounded(m.GetKeys()) || (fd.MapValue().Kind() == protoreflect.StringKind && !bounded(m.GetValues())) {
					t.Errorf("%s: a map needs max_pairs and bounded keys and values", name)
				}
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					check(fd.MapValue().Message())
				}
			case fd.IsList():
				r := rules.GetRepeated()
				if !r.HasMaxItems() {
					t.Errorf("%s: a list needs max_items", name)
				}
				if fd.Kind() == protoreflect.StringKind && !bounded(r.GetItems()) {
					t.Errorf("%s: a list of strings needs bounded items", name)
				}
				if fd.Kind() == protoreflect.MessageKind {
					check(fd.Message())
				}
			case fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind:
				if !bounded(rules) {
					t.Errorf("%s: a string needs max_len, max_bytes or a format of bounded length", name)
				}
			case fd.Kind() == protoreflect.MessageKind:
				check(fd.Message())
			}
		}
	}
	for _, svc := range []string{"callgate.v1.CallService", "callgate.v1.ParticipantService", "callgate.v1.MediaService", "callgate.v1.RecordingService"} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			t.Fatal(err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			check(methods.Get(i).Input())
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d request messages checked", len(seen))
	}
}

func bounded(r *validate.FieldRules) bool {
	s := r.GetString()
	return s.HasMaxLen() || s.HasMaxBytes() || s.GetUuid() || r.GetBytes().HasMaxLen()
}

// Over a bound is INVALID_ARGUMENT naming the field, at once, and nothing reaches ACS, for the
// bounds the issue names (targets, identifiers, custom headers, operation context, display names).
func TestOverTheBoundsIsRefusedBeforeACS(t *testing.T) {
	s := newStack(t)
	ctx := testContext(t)
	targets := func(n int) []*callgatev1.CommunicationIdentifier {
		out := make([]*callgatev1.CommunicationIdentifier, n)
		for i := range out {
			out[i] = userID(fmt.Sprintf("8:acs:%s_%d", s.Emulator.ResourceID(), i))
		}
		return out
	}
	voip := map[string]string{}
	for i := range 1001 {
		voip[fmt.Sprint("h", i)] = "v"
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	before := s.Upstream.count()
	for _, c := range []struct {
		name  string
		rpc   func() error
		field string
	}{
		{"101 targets", func() error {
			_, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: targets(101)})
			return err
		}, "targets"},
		{"raw ID of 257", func() error {
			_, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{rawOnly("8:acs:" + long(251))}})
			return err
		}, "targets[0].raw_id"},
		{"display name of 257", func() error {
			_, err := s.Calls.CreateCall(ctx, &callgatev1.CreateCallRequest{Targets: targets(1), SourceDisplayName: long(257)})
			return err
		}, "source_display_name"},
		{"operation context of 4097", func() error {
			_, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: "c", Participant: targets(1)[0], OperationContext: long(4097)})
			return err
		}, "operation_context"},
		{"1001 VoIP headers", func() error {
			_, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{CallConnectionId: "c", Participant: targets(1)[0],
				CustomCallingContext: &callgatev1.CustomCallingContext{VoipHeaders: voip}})
			return err
		}, "custom_calling_context.voip_headers"},
		{"call connection ID of 257", func() error {
			_, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{CallConnectionId: long(257)})
			return err
		}, "call_connection_id"},
		{"11 play sources", func() error {
			_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: "c", PlaySources: fileSources(11)})
			return err
		}, "play_sources"},
		{"text of 4001 characters", func() error {
			_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: "c", PlaySources: []*callgatev1.PlaySource{textSource(long(4001))}})
			return err
		}, "play_sources[0].text.text"},
		{"SSML of 16385 characters", func() error {
			_, err := s.Media.Hold(ctx, &callgatev1.HoldRequest{CallConnectionId: "c", TargetParticipant: targets(1)[0],
				PlaySource: &callgatev1.PlaySource{Source: &callgatev1.PlaySource_Ssml{Ssml: &callgatev1.SsmlSource{SsmlText: long(16385)}}}})
			return err
		}, "play_source.ssml.ssml_text"},
		{"19 tones", func() error {
			_, err := s.Media.SendDtmfTones(ctx, &callgatev1.SendDtmfTonesRequest{CallConnectionId: "c", TargetParticipant: targets(1)[0],
				Tones: slices.Repeat([]callgatev1.DtmfTone{callgatev1.DtmfTone_DTMF_TONE_ONE}, 19)})
			return err
		}, "tones"},
		{"21 choices", func() error {
			choices := make([]*callgatev1.RecognitionChoice, 21)
			for i := range choices {
				choices[i] = &callgatev1.RecognitionChoice{Label: fmt.Sprint(i), Phrases: []string{fmt.Sprint(i)}}
			}
			_, err := s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{CallConnectionId: "c", TargetParticipant: targets(1)[0],
				InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_CHOICES, Choices: choices})
			return err
		}, "choices"},
		{"101 participants to move", func() error {
			_, err := s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: "c", FromCall: "d", TargetParticipants: targets(101)})
			return err
		}, "target_participants"},
		{"101 event types", func() error {
			stream, err := s.Calls.WatchCall(ctx, &callgatev1.WatchCallRequest{CallConnectionId: "c", EventTypes: strings.Split(long(101), "")})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}, "event_types"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fields := badRequestFields(t, c.rpc())
			if len(fields) != 1 || fields[0] != c.field {
				t.Errorf("violations %q, want only %s", fields, c.field)
			}
		})
	}
	if n := s.Upstream.count() - before; n != 0 {
		t.Errorf("%d requests reached ACS", n)
	}
}

// The CreateCall with 10,000 targets that once took the process to gigabytes: over gRPC it is
// over the message limit, over REST over the targets bound; either way refused at once.
func TestTenThousandTargets(t *testing.T) {
	s := newStack(t)
	ids := make([]*callgatev1.CommunicationIdentifier, 10_000)
	var body strings.Builder
	body.WriteString(`{"targets":[`)
	for i := range ids {
		raw := fmt.Sprintf("8:acs:%s_%06d", s.Emulator.ResourceID(), i)
		ids[i] = rawOnly(raw)
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"rawId":%q}`, raw)
	}
	body.WriteString(`]}`)
	before := s.Upstream.count()
	_, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: ids})
	if c := status.Code(err); c != codes.InvalidArgument && c != codes.ResourceExhausted {
		t.Errorf("gRPC: %v, want InvalidArgument or ResourceExhausted", err)
	}
	code, out := s.rest(t, "POST", "/v1/calls", body.String())
	if code != 400 || !strings.Contains(fmt.Sprint(out), "targets") {
		t.Errorf("REST: %d %v, want 400 naming targets", code, out)
	}
	if n := s.Upstream.count() - before; n != 0 {
		t.Errorf("%d requests reached ACS", n)
	}
}
