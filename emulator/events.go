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

	evPlayStarted                           = "PlayStarted"
	evPlayCompleted                         = "PlayCompleted"
	evPlayFailed                            = "PlayFailed"
	evPlayCanceled                          = "PlayCanceled"
	evRecognizeCompleted                    = "RecognizeCompleted"
	evRecognizeFailed                       = "RecognizeFailed"
	evRecognizeCanceled                     = "RecognizeCanceled"
	evContinuousDtmfRecognitionToneReceived = "ContinuousDtmfRecognitionToneReceived"
	evContinuousDtmfRecognitionStopped      = "ContinuousDtmfRecognitionStopped"
	evSendDtmfTonesCompleted                = "SendDtmfTonesCompleted"
	evHoldFailed                            = "HoldFailed"
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

	// Media results. "Action completed successfully." is recorded from the live service
	// (PlayStarted, PlayCompleted); the others are the documented code/subcode/message of the
	// play and recognize event code tables, as the troubleshooting page spells them (the live
	// service writes the cancellation as "Action falied, the operation was cancelled.").
	resultActionCompleted   = resultInformation{Code: 200, SubCode: 0, Message: "Action completed successfully."}
	resultFileInvalid       = resultInformation{Code: 400, SubCode: 8535, Message: "Action failed, file format is invalid."}
	resultMediaCanceled     = resultInformation{Code: 400, SubCode: 8508, Message: "Action failed, the operation was canceled."}
	resultMaxDigits         = resultInformation{Code: 200, SubCode: 8531, Message: "Action completed, max digits received."}
	resultStopTone          = resultInformation{Code: 200, SubCode: 8514, Message: "Action completed as stop tone was detected."}
	resultDtmfOptionMatched = resultInformation{Code: 200, SubCode: 8533, Message: "Action completed, DTMF option matched."}
	resultSpeechOption      = resultInformation{Code: 200, SubCode: 8545, Message: "Action completed, speech option matched."}
	resultSpeechRecognized  = resultInformation{Code: 200, SubCode: 8569, Message: "Action completed, speech was recognized."}
	resultInitialSilence    = resultInformation{Code: 400, SubCode: 8510, Message: "Action failed, initial silence timeout reached."}
	resultInterDigit        = resultInformation{Code: 400, SubCode: 8532, Message: "Action failed, inter-digit silence timeout reached."}
	resultPromptFailed      = resultInformation{Code: 500, SubCode: 8511, Message: "Action failed, encountered failure while trying to play the prompt."}
	resultNoOptionMatched   = resultInformation{Code: 400, SubCode: 8547, Message: "Action failed, recognized phrase does not match a valid option."}
	resultIncorrectTone     = resultInformation{Code: 500, SubCode: 8534, Message: "Action failed, incorrect tone entered."}
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
	MediaStreamingUpdate *mediaStreamingUpdate `json:"mediaStreamingUpdate,omitempty"`
	TranscriptionUpdate  *transcriptionUpdate  `json:"transcriptionUpdate,omitempty"`
	Participants         *[]callParticipant    `json:"participants,omitempty"`
	SequenceNumber       *int32                `json:"sequenceNumber,omitempty"`
	Participant          *identifierModel      `json:"participant,omitempty"`
	TransferTarget       *identifierModel      `json:"transferTarget,omitempty"`
	Transferee           *identifierModel      `json:"transferee,omitempty"`
	InvitationID         string                `json:"invitationId,omitempty"`
	FromCall             string                `json:"fromCall,omitempty"`
	// Media events.
	FailedPlaySourceIndex *int32        `json:"failedPlaySourceIndex,omitempty"`
	RecognitionType       string        `json:"recognitionType,omitempty"`
	DtmfResult            *dtmfResult   `json:"dtmfResult,omitempty"`
	ChoiceResult          *choiceResult `json:"choiceResult,omitempty"`
	SpeechResult          *speechResult `json:"speechResult,omitempty"`
	SequenceID            *int32        `json:"sequenceId,omitempty"`
	Tone                  string        `json:"tone,omitempty"`

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
