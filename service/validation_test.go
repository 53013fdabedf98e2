package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// badRequestFields returns the field names of err's google.rpc.BadRequest, failing unless err is
// INVALID_ARGUMENT with one.
func badRequestFields(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("status %v: %s, want InvalidArgument", st.Code(), st.Message())
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			var fields []string
			for _, v := range br.GetFieldViolations() {
				if v.GetDescription() == "" {
					t.Errorf("violation of %s has no description", v.GetField())
				}
				fields = append(fields, v.GetField())
			}
			return fields
		}
	}
	t.Fatalf("InvalidArgument %q without a BadRequest", st.Message())
	return nil
}

func TestValidation(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	call, user := "a-call-connection", "8:acs:"+s.Emulator.ResourceID()+"_validation"
	number, callerID := "+16471234567", &callgatev1.PhoneNumber{Value: callerID}
	teams := &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{
		MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{UserId: "0c7e2d54-0f4c-4c1b-9f7e-3a2b1c0d9e8f"}}}
	empty := &callgatev1.CommunicationIdentifier{}
	sixHeaders := map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}

	create := func(r *callgatev1.CreateCallRequest) func() error {
		return func() error { _, err := s.Calls.CreateCall(ctx, r); return err }
	}
	transfer := func(r *callgatev1.TransferCallRequest) func() error {
		if r.CallConnectionId == "" {
			r.CallConnectionId = call
		}
		return func() error { _, err := s.Calls.TransferCall(ctx, r); return err }
	}
	add := func(r *callgatev1.AddParticipantRequest) func() error {
		if r.CallConnectionId == "" {
			r.CallConnectionId = call
		}
		return func() error { _, err := s.Participants.AddParticipant(ctx, r); return err }
	}
	targets := func(ids ...*callgatev1.CommunicationIdentifier) []*callgatev1.CommunicationIdentifier { return ids }
	recognize := func(r *callgatev1.RecognizeRequest) func() error {
		r.CallConnectionId, r.TargetParticipant = call, userID(user)
		return func() error { _, err := s.Media.Recognize(ctx, r); return err }
	}

	for _, tc := range []struct {
		name string
		rpc  func() error
		want []string
	}{
		// CreateCall
		{"create: no targets", create(&callgatev1.CreateCallRequest{}), []string{"targets"}},
		{"create: malformed E.164", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user), phoneID("+1 647 123 4567")), SourceCallerIdNumber: callerID}), []string{"targets[1].phone_number.value"}},
		{"create: number without +", create(&callgatev1.CreateCallRequest{Targets: targets(phoneID("16471234567")), SourceCallerIdNumber: callerID}), []string{"targets[0].phone_number.value"}},
		{"create: number too long", create(&callgatev1.CreateCallRequest{Targets: targets(phoneID("+1234567890123456")), SourceCallerIdNumber: callerID}), []string{"targets[0].phone_number.value"}},
		{"create: anonymous target", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_PhoneNumber{PhoneNumber: &callgatev1.PhoneNumber{Value: "anonymous", IsAnonymous: true}}}), SourceCallerIdNumber: callerID}), []string{"targets[0].phone_number.is_anonymous"}},
		{"create: identifier with neither raw_id nor kind", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user), empty)}), []string{"targets[1]"}},
		{"create: raw_id disagrees with kind", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{RawId: "8:acs:other", Kind: userID(user).Kind})}), []string{"targets[0].raw_id"}},
		{"create: raw_id of a phone disagrees with its number", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{RawId: "4:+16470000000", Kind: phoneID(number).Kind}), SourceCallerIdNumber: callerID}), []string{"targets[0].raw_id"}},
		{"create: malformed raw phone", create(&callgatev1.CreateCallRequest{Targets: targets(rawOnly("4:12345")), SourceCallerIdNumber: callerID}), []string{"targets[0].raw_id"}},
		{"create: raw phone without 4:", create(&callgatev1.CreateCallRequest{Targets: targets(rawOnly(number)), SourceCallerIdNumber: callerID}), []string{"targets[0].raw_id"}},
		{"create: not an ACS user ID", create(&callgatev1.CreateCallRequest{Targets: targets(userID("bob"))}), []string{"targets[0].communication_user.id"}},
		{"create: unknown kind without raw_id", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}})}), []string{"targets[0].raw_id"}},
		// "unknown" is no way around the phone number rules.
		{"create: unknown kind hiding a malformed phone number", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{RawId: "4:+0471234567", Kind: &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}}), SourceCallerIdNumber: callerID}), []string{"targets[0].raw_id"}},
		{"create: unknown kind hiding a phone target without caller ID", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{RawId: "4:" + number, Kind: &callgatev1.CommunicationIdentifier_Unknown{Unknown: &callgatev1.UnknownIdentifier{}}})}), []string{"source_caller_id_number"}},
		{"create: Teams user without ID, bad cloud", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsUser{MicrosoftTeamsUser: &callgatev1.MicrosoftTeamsUser{Cloud: 9}}})}), []string{"targets[0].microsoft_teams_user.user_id", "targets[0].microsoft_teams_user.cloud"}},
		{"create: Teams app without ID", create(&callgatev1.CreateCallRequest{Targets: targets(&callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_MicrosoftTeamsApp{MicrosoftTeamsApp: &callgatev1.MicrosoftTeamsApp{}}})}), []string{"targets[0].microsoft_teams_app.app_id"}},
		{"create: repeated target", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user), rawOnly(user))}), []string{"targets[1]"}},
		{"create: phone target without caller ID", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user), phoneID(number))}), []string{"source_caller_id_number"}},
		{"create: raw phone target without caller ID", create(&callgatev1.CreateCallRequest{Targets: targets(rawOnly("4:" + number))}), []string{"source_caller_id_number"}},
		{"create: malformed caller ID", create(&callgatev1.CreateCallRequest{Targets: targets(phoneID(number)), SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "18005550100"}}), []string{"source_caller_id_number.value"}},
		{"create: anonymous caller ID", create(&callgatev1.CreateCallRequest{Targets: targets(phoneID(number)), SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+18005550100", IsAnonymous: true}}), []string{"source_caller_id_number.is_anonymous"}},
		{"create: request_id not a UUID", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user)), RequestId: "retry-1"}), []string{"request_id"}},
		{"create: every violation at once", create(&callgatev1.CreateCallRequest{Targets: targets(empty, phoneID("123")), RequestId: "x"}), []string{"targets[0]", "targets[1].phone_number.value", "source_caller_id_number", "request_id"}},

		// ConnectCall
		{"connect: no locator", func() error { _, err := s.Calls.ConnectCall(ctx, &callgatev1.ConnectCallRequest{}); return err }, []string{"call_locator"}},
		{"connect: empty server call ID", func() error {
			_, err := s.Calls.ConnectCall(ctx, &callgatev1.ConnectCallRequest{CallLocator: &callgatev1.ConnectCallRequest_ServerCallId{}})
			return err
		}, []string{"server_call_id"}},
		{"connect: group call ID not a UUID", func() error {
			_, err := s.Calls.ConnectCall(ctx, &callgatev1.ConnectCallRequest{CallLocator: &callgatev1.ConnectCallRequest_GroupCallId{GroupCallId: "group-1"}, RequestId: "nope"})
			return err
		}, []string{"group_call_id", "request_id"}},
		{"connect: empty room ID", func() error {
			_, err := s.Calls.ConnectCall(ctx, &callgatev1.ConnectCallRequest{CallLocator: &callgatev1.ConnectCallRequest_RoomId{}})
			return err
		}, []string{"room_id"}},

		// AnswerCall, RejectCall, RedirectCall
		{"answer: empty context", func() error { _, err := s.Calls.AnswerCall(ctx, &callgatev1.AnswerCallRequest{}); return err }, []string{"incoming_call_context"}},
		{"answer: answered_by not an ACS user", func() error {
			_, err := s.Calls.AnswerCall(ctx, &callgatev1.AnswerCallRequest{IncomingCallContext: "ctx", AnsweredBy: &callgatev1.CommunicationUser{Id: "4:" + number}})
			return err
		}, []string{"answered_by.id"}},
		{"answer: answered_by empty", func() error {
			_, err := s.Calls.AnswerCall(ctx, &callgatev1.AnswerCallRequest{IncomingCallContext: "ctx", AnsweredBy: &callgatev1.CommunicationUser{}, RequestId: "1"})
			return err
		}, []string{"answered_by.id", "request_id"}},
		{"reject: empty context, unknown reason", func() error {
			_, err := s.Calls.RejectCall(ctx, &callgatev1.RejectCallRequest{Reason: 7})
			return err
		}, []string{"incoming_call_context", "reason"}},
		{"reject: negative reason", func() error {
			_, err := s.Calls.RejectCall(ctx, &callgatev1.RejectCallRequest{IncomingCallContext: "ctx", Reason: -1})
			return err
		}, []string{"reason"}},
		{"redirect: empty context, no target", func() error { _, err := s.Calls.RedirectCall(ctx, &callgatev1.RedirectCallRequest{}); return err }, []string{"incoming_call_context", "target"}},
		{"redirect: anonymous target", func() error {
			_, err := s.Calls.RedirectCall(ctx, &callgatev1.RedirectCallRequest{IncomingCallContext: "ctx", Target: rawOnly("4:anonymous")})
			return err
		}, []string{"target.raw_id"}},

		// GetCall, HangUpCall
		{"get: no call connection", func() error { _, err := s.Calls.GetCall(ctx, &callgatev1.GetCallRequest{}); return err }, []string{"call_connection_id"}},
		{"hang up: no call connection, bad request_id", func() error {
			_, err := s.Calls.HangUpCall(ctx, &callgatev1.HangUpCallRequest{ForEveryone: true, RequestId: "abc"})
			return err
		}, []string{"call_connection_id", "request_id"}},

		// TransferCall
		{"transfer: nothing", func() error { _, err := s.Calls.TransferCall(ctx, &callgatev1.TransferCallRequest{}); return err }, []string{"call_connection_id", "target"}},
		{"transfer: bad transferee", transfer(&callgatev1.TransferCallRequest{Target: userID(user), Transferee: empty}), []string{"transferee"}},
		{"transfer: SIP UUI to an ACS user", transfer(&callgatev1.TransferCallRequest{Target: userID(user), CustomCallingContext: &callgatev1.CustomCallingContext{SipUserToUser: "uui"}}), []string{"custom_calling_context.sip_user_to_user"}},
		{"transfer: SIP X header to a Teams user", transfer(&callgatev1.TransferCallRequest{Target: teams, CustomCallingContext: &callgatev1.CustomCallingContext{SipXHeaders: map[string]string{"a": "1"}}}), []string{"custom_calling_context.sip_x_headers"}},
		{"transfer: six SIP X headers", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipXHeaders: sixHeaders}}), []string{"custom_calling_context.sip_x_headers"}},
		{"transfer: SIP X header given with its prefix", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipXHeaders: map[string]string{"X-MS-Custom-ticket": "1"}}}), []string{"custom_calling_context.sip_x_headers"}},
		{"transfer: SIP X header name not a token", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipXHeaders: map[string]string{"a b": "1"}}}), []string{"custom_calling_context.sip_x_headers"}},
		{"transfer: SIP X header name too long", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipXHeaders: map[string]string{strings.Repeat("n", 53): "1"}}}), []string{`custom_calling_context.sip_x_headers["` + strings.Repeat("n", 53) + `"]`}},
		// Over a bound: refused at once, before any other check.
		{"transfer: SIP value too long", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipUserToUser: strings.Repeat("u", 257), SipXHeaders: map[string]string{"a": "1\r\nVia: x"}}}), []string{"custom_calling_context.sip_user_to_user"}},
		{"transfer: SIP values broken", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), CustomCallingContext: &callgatev1.CustomCallingContext{SipUserToUser: "u\n", SipXHeaders: map[string]string{"a": "1\r\nVia: x"}}}), []string{"custom_calling_context.sip_user_to_user", "custom_calling_context.sip_x_headers"}},
		{"transfer: VoIP header without a name", transfer(&callgatev1.TransferCallRequest{Target: userID(user), CustomCallingContext: &callgatev1.CustomCallingContext{VoipHeaders: map[string]string{"": "1"}}}), []string{`custom_calling_context.voip_headers[""]`}},
		{"transfer: http callback off loopback", transfer(&callgatev1.TransferCallRequest{Target: userID(user), OperationCallbackUri: "http://example.com/events"}), []string{"operation_callback_uri"}},
		{"transfer: relative callback", transfer(&callgatev1.TransferCallRequest{Target: userID(user), OperationCallbackUri: "/events"}), []string{"operation_callback_uri"}},
		{"transfer: callback of another scheme", transfer(&callgatev1.TransferCallRequest{Target: userID(user), OperationCallbackUri: "ftp://example.com/events"}), []string{"operation_callback_uri"}},
		{"transfer: callback with user info", transfer(&callgatev1.TransferCallRequest{Target: userID(user), OperationCallbackUri: "https://u:p@example.com/events"}), []string{"operation_callback_uri"}},
		{"transfer: malformed caller ID", transfer(&callgatev1.TransferCallRequest{Target: phoneID(number), SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+0"}}), []string{"source_caller_id_number.value"}},

		// AddParticipant
		{"add: nothing", func() error {
			_, err := s.Participants.AddParticipant(ctx, &callgatev1.AddParticipantRequest{})
			return err
		}, []string{"call_connection_id", "participant"}},
		{"add: phone without caller ID", add(&callgatev1.AddParticipantRequest{Participant: phoneID(number)}), []string{"source_caller_id_number"}},
		{"add: invitation timeout over 180", add(&callgatev1.AddParticipantRequest{Participant: userID(user), InvitationTimeoutSeconds: 181}), []string{"invitation_timeout_seconds"}},
		{"add: negative invitation timeout", add(&callgatev1.AddParticipantRequest{Participant: userID(user), InvitationTimeoutSeconds: -1}), []string{"invitation_timeout_seconds"}},
		{"add: SIP header to a VoIP-only participant", add(&callgatev1.AddParticipantRequest{Participant: userID(user), CustomCallingContext: &callgatev1.CustomCallingContext{SipUserToUser: "uui", SipXHeaders: map[string]string{"a": "1"}}}), []string{"custom_calling_context.sip_user_to_user", "custom_calling_context.sip_x_headers"}},
		{"add: http callback off loopback, bad request_id", add(&callgatev1.AddParticipantRequest{Participant: userID(user), OperationCallbackUri: "http://10.0.0.1/cb", RequestId: "r"}), []string{"operation_callback_uri", "request_id"}},

		// CancelAddParticipant, RemoveParticipant, ListParticipants, GetParticipant
		{"cancel add: nothing", func() error {
			_, err := s.Participants.CancelAddParticipant(ctx, &callgatev1.CancelAddParticipantRequest{OperationCallbackUri: "callback"})
			return err
		}, []string{"call_connection_id", "invitation_id", "operation_callback_uri"}},
		{"remove: nothing", func() error {
			_, err := s.Participants.RemoveParticipant(ctx, &callgatev1.RemoveParticipantRequest{})
			return err
		}, []string{"call_connection_id", "participant"}},
		{"remove: malformed number", func() error {
			_, err := s.Participants.RemoveParticipant(ctx, &callgatev1.RemoveParticipantRequest{CallConnectionId: call, Participant: phoneID("0800"), RequestId: "?"})
			return err
		}, []string{"participant.phone_number.value", "request_id"}},
		{"list: no call connection", func() error {
			_, err := s.Participants.ListParticipants(ctx, &callgatev1.ListParticipantsRequest{})
			return err
		}, []string{"call_connection_id"}},
		{"get participant: nothing", func() error {
			_, err := s.Participants.GetParticipant(ctx, &callgatev1.GetParticipantRequest{})
			return err
		}, []string{"call_connection_id", "raw_id"}},
		{"get participant: a number without 4:", func() error {
			_, err := s.Participants.GetParticipant(ctx, &callgatev1.GetParticipantRequest{CallConnectionId: call, RawId: number})
			return err
		}, []string{"raw_id"}},

		// MuteParticipant
		{"mute: a phone number", func() error {
			_, err := s.Participants.MuteParticipant(ctx, &callgatev1.MuteParticipantRequest{CallConnectionId: call, Participant: phoneID(number)})
			return err
		}, []string{"participant"}},
		{"mute: a Teams user by raw ID", func() error {
			_, err := s.Participants.MuteParticipant(ctx, &callgatev1.MuteParticipantRequest{CallConnectionId: call, Participant: rawOnly("8:orgid:0c7e2d54")})
			return err
		}, []string{"participant"}},
		{"mute: nothing", func() error {
			_, err := s.Participants.MuteParticipant(ctx, &callgatev1.MuteParticipantRequest{RequestId: "1"})
			return err
		}, []string{"call_connection_id", "participant", "request_id"}},

		// MoveParticipants
		{"move: nothing", func() error {
			_, err := s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{RequestId: "r"})
			return err
		}, []string{"call_connection_id", "target_participants", "from_call", "request_id"}},
		{"move: malformed target, callback off loopback", func() error {
			_, err := s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: call, FromCall: "other",
				TargetParticipants: targets(userID(user), phoneID("0800")), OperationCallbackUri: "http://example.com/cb"})
			return err
		}, []string{"target_participants[1].phone_number.value", "operation_callback_uri"}},
		{"move: wait with a callback elsewhere", func() error {
			_, err := s.Participants.MoveParticipants(ctx, &callgatev1.MoveParticipantsRequest{CallConnectionId: call, FromCall: "other",
				TargetParticipants: targets(userID(user)), OperationCallbackUri: "https://example.com/cb", Wait: tenSeconds})
			return err
		}, []string{"wait"}},

		// Play
		{"play: nothing", func() error { _, err := s.Media.Play(ctx, &callgatev1.PlayRequest{}); return err }, []string{"call_connection_id", "play_sources"}},
		{"play: empty source, empty text, relative file", func() error {
			_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call, PlaySources: []*callgatev1.PlaySource{
				{}, {Source: &callgatev1.PlaySource_Text{Text: &callgatev1.TextSource{}}}, fileSource("/prompt.wav"), fileSource("ftp://media.example/a.wav"),
			}})
			return err
		}, []string{"play_sources[0].source", "play_sources[1].text.text", "play_sources[2].file.uri", "play_sources[3].file.uri"}},
		{"play: repeated and malformed targets, bad voice kind", func() error {
			_, err := s.Media.Play(ctx, &callgatev1.PlayRequest{CallConnectionId: call,
				PlaySources: []*callgatev1.PlaySource{{Source: &callgatev1.PlaySource_Text{Text: &callgatev1.TextSource{Text: "hi", VoiceKind: 7}}}},
				PlayTo:      targets(userID(user), rawOnly(user), phoneID("123"))})
			return err
		}, []string{"play_sources[0].text.voice_kind", "play_to[1]", "play_to[2].phone_number.value"}},

		// Recognize
		{"recognize: nothing", func() error { _, err := s.Media.Recognize(ctx, &callgatev1.RecognizeRequest{}); return err }, []string{"call_connection_id", "input_type", "target_participant"}},
		{"recognize: DTMF without its options", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF}), []string{"dtmf_options"}},
		{"recognize: DTMF with speech and choices", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF,
			DtmfOptions: &callgatev1.DtmfOptions{MaxTonesToCollect: 1}, SpeechOptions: &callgatev1.SpeechOptions{},
			Choices: []*callgatev1.RecognitionChoice{{Label: "a", Phrases: []string{"a"}}}}), []string{"speech_options", "choices"}},
		{"recognize: no tones to collect, timeouts out of range, unknown stop tone", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH_OR_DTMF,
			InitialSilenceTimeoutSeconds: proto.Int32(301),
			DtmfOptions:                  &callgatev1.DtmfOptions{InterToneTimeoutSeconds: proto.Int32(0), StopTones: []callgatev1.DtmfTone{0}},
			SpeechOptions:                &callgatev1.SpeechOptions{EndSilenceTimeoutMs: proto.Int64(0)}}),
			[]string{"initial_silence_timeout_seconds", "dtmf_options.max_tones_to_collect", "dtmf_options.inter_tone_timeout_seconds", "dtmf_options.stop_tones[0]", "speech_options.end_silence_timeout_ms"}},
		{"recognize: speech with 21 s of initial silence", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH,
			InitialSilenceTimeoutSeconds: proto.Int32(21)}), []string{"initial_silence_timeout_seconds"}},
		{"recognize: choices without any", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_CHOICES}), []string{"choices"}},
		{"recognize: some choices without a tone, one without phrases", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_CHOICES,
			Choices: []*callgatev1.RecognitionChoice{{Label: "yes", Phrases: []string{"yes"}, Tone: callgatev1.DtmfTone_DTMF_TONE_ONE}, {Label: "no", Phrases: []string{"no"}}, {Label: "maybe"}}}),
			[]string{"choices[1].tone", "choices[2].tone", "choices[2].phrases"}},
		{"recognize: eleven prompts in all", recognize(&callgatev1.RecognizeRequest{InputType: callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF,
			DtmfOptions: &callgatev1.DtmfOptions{MaxTonesToCollect: 1}, PlayPrompt: fileSource("https://media.example/a.wav"), PlayPrompts: fileSources(10)}), []string{"play_prompts"}},

		// Continuous DTMF, SendDtmfTones, Hold, Unhold, CancelAllMediaOperations
		{"start continuous DTMF: nothing", func() error {
			_, err := s.Media.StartContinuousDtmfRecognition(ctx, &callgatev1.StartContinuousDtmfRecognitionRequest{})
			return err
		}, []string{"call_connection_id", "target_participant"}},
		{"stop continuous DTMF: malformed target", func() error {
			_, err := s.Media.StopContinuousDtmfRecognition(ctx, &callgatev1.StopContinuousDtmfRecognitionRequest{CallConnectionId: call, TargetParticipant: rawOnly("+1647")})
			return err
		}, []string{"target_participant.raw_id"}},
		{"send tones: none, bad request_id", func() error {
			_, err := s.Media.SendDtmfTones(ctx, &callgatev1.SendDtmfTonesRequest{CallConnectionId: call, TargetParticipant: userID(user), RequestId: "x"})
			return err
		}, []string{"tones", "request_id"}},
		{"send tones: an unspecified and an unknown tone", func() error {
			_, err := s.Media.SendDtmfTones(ctx, &callgatev1.SendDtmfTonesRequest{CallConnectionId: call, TargetParticipant: userID(user), Tones: []callgatev1.DtmfTone{0, 99}})
			return err
		}, []string{"tones[0]", "tones[1]"}},
		{"hold: no target, empty music", func() error {
			_, err := s.Media.Hold(ctx, &callgatev1.HoldRequest{CallConnectionId: call, PlaySource: &callgatev1.PlaySource{}})
			return err
		}, []string{"target_participant", "play_source.source"}},
		{"unhold: no target", func() error {
			_, err := s.Media.Unhold(ctx, &callgatev1.UnholdRequest{CallConnectionId: call})
			return err
		}, []string{"target_participant"}},
		{"cancel all media: no call connection", func() error {
			_, err := s.Media.CancelAllMediaOperations(ctx, &callgatev1.CancelAllMediaOperationsRequest{})
			return err
		}, []string{"call_connection_id"}},

		// Transcription and media streaming
		{"start transcription: no call, a long locale, an http callback", func() error {
			_, err := s.Media.StartTranscription(ctx, &callgatev1.StartTranscriptionRequest{Locale: strings.Repeat("x", 36), OperationCallbackUri: "http://cb.example/x"})
			return err
		}, []string{"call_connection_id", "locale"}},
		{"update transcription: no locale", func() error {
			_, err := s.Media.UpdateTranscription(ctx, &callgatev1.UpdateTranscriptionRequest{CallConnectionId: call})
			return err
		}, []string{"locale"}},
		{"stop transcription: a wait with a callback", func() error {
			_, err := s.Media.StopTranscription(ctx, &callgatev1.StopTranscriptionRequest{CallConnectionId: call, OperationCallbackUri: "https://cb.example/x", Wait: tenSeconds})
			return err
		}, []string{"wait"}},
		{"start media streaming: an http callback off loopback", func() error {
			_, err := s.Media.StartMediaStreaming(ctx, &callgatev1.StartMediaStreamingRequest{CallConnectionId: call, OperationCallbackUri: "http://cb.example/x"})
			return err
		}, []string{"operation_callback_uri"}},
		{"stop media streaming: no call connection", func() error {
			_, err := s.Media.StopMediaStreaming(ctx, &callgatev1.StopMediaStreamingRequest{})
			return err
		}, []string{"call_connection_id"}},

		// Recording
		{"start recording: no call, unmixed MP3, an affinity channel of 5, a bad group call ID", func() error {
			_, err := s.Recordings.StartRecording(ctx, &callgatev1.StartRecordingRequest{Channel: callgatev1.RecordingChannel_RECORDING_CHANNEL_UNMIXED,
				Format: callgatev1.RecordingFormat_RECORDING_FORMAT_MP3, ChannelAffinity: []*callgatev1.ChannelAffinity{{Channel: 5, Participant: userID(user)}}})
			return err
		}, []string{"call_locator", "format", "channel_affinity[0].channel"}},
		{"start recording: a group call ID that is no UUID, a repeated participant", func() error {
			_, err := s.Recordings.StartRecording(ctx, &callgatev1.StartRecordingRequest{CallLocator: &callgatev1.StartRecordingRequest_GroupCallId{GroupCallId: "x"},
				Channel: callgatev1.RecordingChannel_RECORDING_CHANNEL_UNMIXED, AudioChannelParticipantOrdering: []*callgatev1.CommunicationIdentifier{userID(user), userID(user)}})
			return err
		}, []string{"group_call_id", "audio_channel_participant_ordering[1]"}},
		{"get recording: an ID of 1025", func() error {
			_, err := s.Recordings.GetRecording(ctx, &callgatev1.GetRecordingRequest{RecordingId: strings.Repeat("x", 1025)})
			return err
		}, []string{"recording_id"}},
		{"pause recording: no ID", func() error {
			_, err := s.Recordings.PauseRecording(ctx, &callgatev1.PauseRecordingRequest{})
			return err
		}, []string{"recording_id"}},
		{"delete recording: no chunk", func() error {
			_, err := s.Recordings.DeleteRecording(ctx, &callgatev1.DeleteRecordingRequest{RecordingId: "r"})
			return err
		}, []string{"document_id"}},
		{"download recording: a negative offset", func() error {
			st, err := s.Recordings.DownloadRecording(ctx, &callgatev1.DownloadRecordingRequest{RecordingId: "r", DocumentId: "d", Offset: -1})
			if err == nil {
				_, err = st.Recv()
			}
			return err
		}, []string{"offset"}},

		// Media options at set-up
		{"create: media options malformed", create(&callgatev1.CreateCallRequest{Targets: targets(userID(user)),
			CallIntelligenceOptions: &callgatev1.CallIntelligenceOptions{CognitiveServicesEndpoint: "http://cognitive.example/"},
			MediaStreamingOptions:   &callgatev1.MediaStreamingOptions{TransportUrl: "https://media.example/stream"},
			TranscriptionOptions:    &callgatev1.TranscriptionOptions{TransportUrl: "ws://media.example/t"},
			TeamsAppSource:          &callgatev1.MicrosoftTeamsApp{}}),
			[]string{"call_intelligence_options.cognitive_services_endpoint", "media_streaming_options.transport_url", "media_streaming_options.audio_channel",
				"transcription_options.locale", "transcription_options.transport_url", "teams_app_source.app_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Upstream.count()
			got := badRequestFields(t, tc.rpc())
			// Declared rules are reported before the builders' own: compare as sets.
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tc.want))) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
			if after := s.Upstream.since(before); len(after) > 0 {
				t.Errorf("an invalid request reached ACS: %v", after)
			}
		})
	}
}

// TestValidationMessagesQuoteNoValues: violation descriptions reach logs, so they never repeat
// what the caller sent (phone numbers, SIP header values).
func TestValidationMessagesQuoteNoValues(t *testing.T) {
	s := newStack(t)
	_, err := s.Participants.AddParticipant(context.Background(), &callgatev1.AddParticipantRequest{
		CallConnectionId:         "c",
		Participant:              &callgatev1.CommunicationIdentifier{RawId: "4:+16479990000", Kind: phoneID("+16471112222").Kind},
		SourceCallerIdNumber:     &callgatev1.PhoneNumber{Value: "+1800555"},
		InvitationTimeoutSeconds: 1000,
		CustomCallingContext:     &callgatev1.CustomCallingContext{SipXHeaders: map[string]string{"ticket": strings.Repeat("secret-value", 30)}},
	})
	msg := status.Convert(err).Message()
	for _, value := range []string{"16479990000", "16471112222", "secret-value"} {
		if strings.Contains(msg, value) {
			t.Errorf("message %q quotes %q", msg, value)
		}
	}
}
