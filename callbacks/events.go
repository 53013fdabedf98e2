package callbacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const eventTypePrefix = "Microsoft.Communication."

// cloudEvent is one CloudEvents 1.0 envelope as ACS posts it to a callback URL.
type cloudEvent struct {
	ID      string          `json:"id"`
	Source  string          `json:"source"`
	Type    string          `json:"type"`
	Subject string          `json:"subject"`
	Time    string          `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// eventData is the union of the data fields of the call-control events this gateway types.
type eventData struct {
	CallConnectionID  string             `json:"callConnectionId"`
	ServerCallID      string             `json:"serverCallId"`
	CorrelationID     string             `json:"correlationId"`
	OperationContext  string             `json:"operationContext"`
	ResultInformation *resultInformation `json:"resultInformation"`
	SequenceNumber    int32              `json:"sequenceNumber"`
	Participants      []struct {
		Identifier *identifierModel `json:"identifier"`
		IsMuted    bool             `json:"isMuted"`
		IsOnHold   bool             `json:"isOnHold"`
	} `json:"participants"`
	Participant    *identifierModel `json:"participant"`
	InvitationID   string           `json:"invitationId"`
	TransferTarget *identifierModel `json:"transferTarget"`
	Transferee     *identifierModel `json:"transferee"`
}

type resultInformation struct {
	Code        int32              `json:"code"`
	SubCode     int32              `json:"subCode"`
	Message     string             `json:"message"`
	SIPDetails  *sipDiagnosticInfo `json:"sipDetails"`
	Q850Details *sipDiagnosticInfo `json:"q850Details"`
}

type sipDiagnosticInfo struct {
	Code    int32  `json:"code"`
	Message string `json:"message"`
}

func (r *resultInformation) toProto() *callgatev1.ResultInformation {
	if r == nil {
		return nil
	}
	return &callgatev1.ResultInformation{
		Code: r.Code, SubCode: r.SubCode, Message: r.Message,
		SipDetails: r.SIPDetails.toProto(), Q850Details: r.Q850Details.toProto(),
	}
}

func (s *sipDiagnosticInfo) toProto() *callgatev1.SipDiagnosticInfo {
	if s == nil {
		return nil
	}
	return &callgatev1.SipDiagnosticInfo{Code: s.Code, Message: s.Message}
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

// parseCallEvent turns one CloudEvent into a CallEvent. Types it does not know keep their data.
func parseCallEvent(ce cloudEvent) (*callgatev1.CallEvent, error) {
	if ce.ID == "" {
		return nil, errEventWithoutID
	}
	if ce.Type == "" {
		return nil, fmt.Errorf("event %s has no type", ce.ID)
	}
	var d eventData
	data := &structpb.Struct{}
	if len(ce.Data) > 0 && string(ce.Data) != "null" {
		var err error
		if data, err = dataStruct(ce.Data); err != nil {
			return nil, fmt.Errorf("event %s: %w", ce.ID, err)
		}
		if err := json.Unmarshal(ce.Data, &d); err != nil {
			return nil, fmt.Errorf("event %s: malformed data: %w", ce.ID, err)
		}
	}
	callID := d.CallConnectionID
	if callID == "" {
		callID = callIDFromSubject(ce.Subject, ce.Source)
	}
	if callID == "" {
		return nil, fmt.Errorf("event %s names no call connection", ce.ID)
	}
	ev := &callgatev1.CallEvent{
		Id:                ce.ID,
		Type:              ce.Type,
		CallConnectionId:  callID,
		ServerCallId:      d.ServerCallID,
		CorrelationId:     d.CorrelationID,
		OperationContext:  d.OperationContext,
		ResultInformation: d.ResultInformation.toProto(),
		Data:              data,
	}
	// A time that does not parse is left out rather than refused: a 4xx would make ACS drop the
	// other events of the delivery too, and the event is useful without it.
	if t, err := time.Parse(time.RFC3339Nano, ce.Time); err == nil {
		ev.Time = timestamppb.New(t)
	}
	setTypedEvent(ev, &d)
	return ev, nil
}

// dataStruct keeps an event's data whole, as a Struct. Going through a map is twice as fast as
// protojson's Struct decoding, and the callback handler does it for every event.
func dataStruct(raw json.RawMessage) (*structpb.Struct, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("data is not a JSON object: %w", err)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return s, nil
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

func setTypedEvent(ev *callgatev1.CallEvent, d *eventData) {
	switch strings.TrimPrefix(ev.Type, eventTypePrefix) {
	case "CallConnected":
		ev.Event = &callgatev1.CallEvent_CallConnected{CallConnected: &callgatev1.CallConnected{}}
	case "CallDisconnected":
		ev.Event = &callgatev1.CallEvent_CallDisconnected{CallDisconnected: &callgatev1.CallDisconnected{}}
	case "CreateCallFailed":
		ev.Event = &callgatev1.CallEvent_CreateCallFailed{CreateCallFailed: &callgatev1.CreateCallFailed{}}
	case "AnswerFailed":
		ev.Event = &callgatev1.CallEvent_AnswerFailed{AnswerFailed: &callgatev1.AnswerFailed{}}
	case "ConnectFailed":
		ev.Event = &callgatev1.CallEvent_ConnectFailed{ConnectFailed: &callgatev1.ConnectFailed{}}
	case "ParticipantsUpdated":
		pu := &callgatev1.ParticipantsUpdated{SequenceNumber: d.SequenceNumber}
		for _, p := range d.Participants {
			pu.Participants = append(pu.Participants, &callgatev1.CallParticipant{
				Identifier: p.Identifier.toProto(), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold,
			})
		}
		ev.Event = &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: pu}
	case "AddParticipantSucceeded":
		ev.Event = &callgatev1.CallEvent_AddParticipantSucceeded{AddParticipantSucceeded: &callgatev1.AddParticipantSucceeded{Participant: d.Participant.toProto()}}
	case "AddParticipantFailed":
		ev.Event = &callgatev1.CallEvent_AddParticipantFailed{AddParticipantFailed: &callgatev1.AddParticipantFailed{Participant: d.Participant.toProto()}}
	case "CancelAddParticipantSucceeded":
		ev.Event = &callgatev1.CallEvent_CancelAddParticipantSucceeded{CancelAddParticipantSucceeded: &callgatev1.CancelAddParticipantSucceeded{InvitationId: d.InvitationID}}
	case "CancelAddParticipantFailed":
		ev.Event = &callgatev1.CallEvent_CancelAddParticipantFailed{CancelAddParticipantFailed: &callgatev1.CancelAddParticipantFailed{InvitationId: d.InvitationID}}
	case "RemoveParticipantSucceeded":
		ev.Event = &callgatev1.CallEvent_RemoveParticipantSucceeded{RemoveParticipantSucceeded: &callgatev1.RemoveParticipantSucceeded{Participant: d.Participant.toProto()}}
	case "RemoveParticipantFailed":
		ev.Event = &callgatev1.CallEvent_RemoveParticipantFailed{RemoveParticipantFailed: &callgatev1.RemoveParticipantFailed{Participant: d.Participant.toProto()}}
	case "CallTransferAccepted":
		ev.Event = &callgatev1.CallEvent_CallTransferAccepted{CallTransferAccepted: &callgatev1.CallTransferAccepted{
			TransferTarget: d.TransferTarget.toProto(), Transferee: d.Transferee.toProto(),
		}}
	case "CallTransferFailed":
		ev.Event = &callgatev1.CallEvent_CallTransferFailed{CallTransferFailed: &callgatev1.CallTransferFailed{}}
	}
}
