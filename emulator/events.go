package emulator

import (
	"encoding/json"
	"fmt"
	"time"
)

// Callback event types (CloudEvent "type" is "Microsoft.Communication." + these).
const (
	evCallConnected                 = "CallConnected"
	evCallDisconnected              = "CallDisconnected"
	evCreateCallFailed              = "CreateCallFailed"
	evAnswerFailed                  = "AnswerFailed"
	evConnectFailed                 = "ConnectFailed"
	evParticipantsUpdated           = "ParticipantsUpdated"
	evAddParticipantSucceeded       = "AddParticipantSucceeded"
	evAddParticipantFailed          = "AddParticipantFailed"
	evCancelAddParticipantSucceeded = "CancelAddParticipantSucceeded"
	evCancelAddParticipantFailed    = "CancelAddParticipantFailed"
	evRemoveParticipantSucceeded    = "RemoveParticipantSucceeded"
	evCallTransferAccepted          = "CallTransferAccepted"
	evCallTransferFailed            = "CallTransferFailed"
	evMoveParticipantSucceeded      = "MoveParticipantSucceeded"
	evMoveParticipantFailed         = "MoveParticipantFailed"
)

const eventTypePrefix = "Microsoft.Communication."

// resultInformation is ResultInformation: a SIP-like code, the Call Automation
// subcode and a message. README explains where each value comes from.
type resultInformation struct {
	Code    int    `json:"code"`
	SubCode int    `json:"subCode"`
	Message string `json:"message"`
}

var (
	// Recorded from the live service (events-samples/).
	resultSuccess    = resultInformation{Code: 200, SubCode: 0, Message: ""}
	resultEndedByAPI = resultInformation{Code: 200, SubCode: 7000, Message: "Call was ended by Azure Communication Service Call Automation API or a server bot. DiagCode: 0#7000.@"}
	// The other legs of a call terminated for everyone.
	resultConversationEnded = callEnded(5001, "This conversation has ended.")
	// From the SDKs' parser tests, which copy service payloads.
	resultTransferred = resultInformation{Code: 200, SubCode: 7015, Message: "The transfer operation completed successfully."}
	// Code and subcode pairs of the documented call end tables.
	resultOthersLeft      = callEnded(5002, "The conversation has ended as all other participants have left the call.")
	resultTransferEnded   = callEnded(7015, "Call ended as the transfer completed successfully.")
	resultDeclined        = resultInformation{Code: 603, SubCode: 8538, Message: "Callee declined the call."}
	resultBusy            = resultInformation{Code: 486, SubCode: 8539, Message: "Callee is busy."}
	resultNoAnswer        = resultInformation{Code: 487, SubCode: 10004, Message: "Call was canceled on timeout, as target user didn't accept or reject it on time."}
	resultUnavailable     = resultInformation{Code: 480, SubCode: 10037, Message: "Target user didn't have any endpoints registered with ACS."}
	resultCallerCanceled  = resultInformation{Code: 487, SubCode: 540487, Message: "Call ended successfully as caller canceled the call."}
	resultNotAnsweredTime = resultInformation{Code: 408, SubCode: 8587, Message: "Incoming call not answered within time."}
	resultTransferRefused = resultInformation{Code: 603, SubCode: 8538, Message: "The transfer was refused."}
	resultCancelTooLate   = resultInformation{Code: 409, SubCode: 8519, Message: "Conflict: the invitation has already completed."}
	resultCallNotFound    = resultInformation{Code: 404, SubCode: 8522, Message: "Call not found."}
	resultMoveNotFound    = resultInformation{Code: 404, SubCode: 8522, Message: "Participant not found in the source call."}
)

// callEnded is the result of a CallDisconnected of the 5xxx (the
// conversation ended) and 7xxx (an API ended it) families. The live service
// appends ". DiagCode: 0#<subcode>.@" to the documented text, even after its
// full stop ("This conversation has ended.. DiagCode: 0#5001.@").
func callEnded(subCode int, text string) resultInformation {
	return resultInformation{Code: 200, SubCode: subCode, Message: fmt.Sprintf("%s. DiagCode: 0#%d.@", text, subCode)}
}

// eventData is the union of the data fields of the call-control events, in
// the order the live service writes them. Pointers mark fields an event type
// may lack entirely; an empty roster still encodes as [].
type eventData struct {
	Participants      *[]callParticipant `json:"participants,omitempty"`
	SequenceNumber    *int32             `json:"sequenceNumber,omitempty"`
	Participant       *identifierModel   `json:"participant,omitempty"`
	TransferTarget    *identifierModel   `json:"transferTarget,omitempty"`
	Transferee        *identifierModel   `json:"transferee,omitempty"`
	InvitationID      string             `json:"invitationId,omitempty"`
	FromCall          string             `json:"fromCall,omitempty"`
	OperationContext  string             `json:"operationContext,omitempty"`
	ResultInformation *resultInformation `json:"resultInformation,omitempty"`
	Version           string             `json:"version"`
	CallConnectionID  string             `json:"callConnectionId"`
	ServerCallID      string             `json:"serverCallId"`
	CorrelationID     string             `json:"correlationId"`
	PublicEventType   string             `json:"publicEventType"`
}

// cloudEvent is one callback event as the service posts it (CloudEvents 1.0,
// structured JSON, inside an array).
type cloudEvent struct {
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Data            eventData `json:"data"`
	Time            string    `json:"time"`
	SpecVersion     string    `json:"specversion"`
	DataContentType string    `json:"datacontenttype"`
	Subject         string    `json:"subject"`
}

// eventTime formats like the service: offset form, up to seven fractional
// digits with trailing zeros dropped ("2026-09-15T11:36:08.05571+00:00").
func eventTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.9999999-07:00")
}

// buildEvent encodes one callback body for the call connection c.
func buildEvent(c *callConn, kind string, d eventData, now time.Time) (outEvent, error) {
	d.Version = c.apiVersion
	d.CallConnectionID = c.id
	d.ServerCallID = c.conv.serverCallID
	d.CorrelationID = c.conv.correlationID
	d.PublicEventType = eventTypePrefix + kind
	subject := "calling/callConnections/" + c.id
	ev := cloudEvent{
		ID:              newUUID(),
		Source:          subject,
		Type:            eventTypePrefix + kind,
		Data:            d,
		Time:            eventTime(now),
		SpecVersion:     "1.0",
		DataContentType: "application/json",
		Subject:         subject,
	}
	body, err := json.Marshal([]cloudEvent{ev})
	if err != nil {
		return outEvent{}, err
	}
	return outEvent{id: ev.ID, kind: kind, callConnectionID: c.id, correlationID: c.conv.correlationID, body: body}, nil
}
