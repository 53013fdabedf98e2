package emulator

import "encoding/json"

// Request and response bodies of the Call Automation REST API, stable
// 2026-03-12 (communicationservicescallautomation.json). Only the fields the
// emulator acts on or echoes are modelled; the rest of a request is accepted
// and ignored, as the service ignores options it has no use for.

type customCallingContext struct {
	VoipHeaders           map[string]string `json:"voipHeaders,omitempty"`
	SipHeaders            map[string]string `json:"sipHeaders,omitempty"`
	TeamsPhoneCallDetails json.RawMessage   `json:"teamsPhoneCallDetails,omitempty"`
}

type createCallRequest struct {
	Targets                 []identifierModel        `json:"targets"`
	SourceCallerIDNumber    *phoneNumberModel        `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName       string                   `json:"sourceDisplayName,omitempty"`
	Source                  *communicationUserModel  `json:"source,omitempty"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallbackURI             string                   `json:"callbackUri"`
	CallIntelligenceOptions *callIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	MediaStreamingOptions   *mediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *transcriptionOptions    `json:"transcriptionOptions,omitempty"`
	TeamsAppSource          *teamsAppModel           `json:"teamsAppSource,omitempty"`
}

type answerCallRequest struct {
	IncomingCallContext     string                   `json:"incomingCallContext"`
	CallbackURI             string                   `json:"callbackUri"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallIntelligenceOptions *callIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	AnsweredBy              *communicationUserModel  `json:"answeredBy,omitempty"`
	MediaStreamingOptions   *mediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *transcriptionOptions    `json:"transcriptionOptions,omitempty"`
}

type redirectCallRequest struct {
	IncomingCallContext string           `json:"incomingCallContext"`
	Target              *identifierModel `json:"target"`
}

type rejectCallRequest struct {
	IncomingCallContext string `json:"incomingCallContext"`
	CallRejectReason    string `json:"callRejectReason,omitempty"`
}

type callLocator struct {
	GroupCallID  string `json:"groupCallId,omitempty"`
	ServerCallID string `json:"serverCallId,omitempty"`
	RoomID       string `json:"roomId,omitempty"`
	Kind         string `json:"kind,omitempty"`
}

type connectRequest struct {
	CallLocator             *callLocator             `json:"callLocator"`
	CallbackURI             string                   `json:"callbackUri"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallIntelligenceOptions *callIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	MediaStreamingOptions   *mediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *transcriptionOptions    `json:"transcriptionOptions,omitempty"`
}

type transferToParticipantRequest struct {
	TargetParticipant    *identifierModel      `json:"targetParticipant"`
	OperationContext     string                `json:"operationContext,omitempty"`
	Transferee           *identifierModel      `json:"transferee,omitempty"`
	OperationCallbackURI string                `json:"operationCallbackUri,omitempty"`
	CustomCallingContext *customCallingContext `json:"customCallingContext,omitempty"`
	SourceCallerIDNumber *phoneNumberModel     `json:"sourceCallerIdNumber,omitempty"`
}

type addParticipantRequest struct {
	SourceCallerIDNumber       *phoneNumberModel     `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName          string                `json:"sourceDisplayName,omitempty"`
	ParticipantToAdd           *identifierModel      `json:"participantToAdd"`
	InvitationTimeoutInSeconds *int                  `json:"invitationTimeoutInSeconds,omitempty"`
	OperationContext           string                `json:"operationContext,omitempty"`
	OperationCallbackURI       string                `json:"operationCallbackUri,omitempty"`
	CustomCallingContext       *customCallingContext `json:"customCallingContext,omitempty"`
}

type removeParticipantRequest struct {
	ParticipantToRemove  *identifierModel `json:"participantToRemove"`
	OperationContext     string           `json:"operationContext,omitempty"`
	OperationCallbackURI string           `json:"operationCallbackUri,omitempty"`
}

type muteParticipantsRequest struct {
	TargetParticipants []identifierModel `json:"targetParticipants"`
	OperationContext   string            `json:"operationContext,omitempty"`
}

type cancelAddParticipantRequest struct {
	InvitationID         string `json:"invitationId"`
	OperationContext     string `json:"operationContext,omitempty"`
	OperationCallbackURI string `json:"operationCallbackUri,omitempty"`
}

type moveParticipantsRequest struct {
	TargetParticipants   []identifierModel `json:"targetParticipants"`
	OperationContext     string            `json:"operationContext,omitempty"`
	OperationCallbackURI string            `json:"operationCallbackUri,omitempty"`
	FromCall             string            `json:"fromCall"`
}

// callConnectionProperties is CallConnectionProperties, the body of create
// (201), answer, connect and get (200).
type callConnectionProperties struct {
	CallConnectionID     string                      `json:"callConnectionId"`
	ServerCallID         string                      `json:"serverCallId,omitempty"`
	Targets              []identifierModel           `json:"targets"`
	CallConnectionState  string                      `json:"callConnectionState"`
	CallbackURI          string                      `json:"callbackUri,omitempty"`
	SourceCallerIDNumber *phoneNumberModel           `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName    *string                     `json:"sourceDisplayName,omitempty"`
	Source               *identifierModel            `json:"source,omitempty"`
	CorrelationID        string                      `json:"correlationId,omitempty"`
	AnsweredBy           *communicationUserModel     `json:"answeredBy,omitempty"`
	MediaStreaming       *mediaStreamingSubscription `json:"mediaStreamingSubscription,omitempty"`
	Transcription        *transcriptionSubscription  `json:"transcriptionSubscription,omitempty"`
	AnsweredFor          *phoneNumberModel           `json:"answeredFor,omitempty"`
}

// callParticipant is CallParticipant.
type callParticipant struct {
	Identifier identifierModel `json:"identifier"`
	IsMuted    bool            `json:"isMuted"`
	IsOnHold   bool            `json:"isOnHold"`
}

type getParticipantsResponse struct {
	Value []callParticipant `json:"value"`
}

type addParticipantResponse struct {
	Participant      callParticipant `json:"participant"`
	OperationContext string          `json:"operationContext,omitempty"`
	InvitationID     string          `json:"invitationId"`
}

type operationContextResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

type cancelAddParticipantResponse struct {
	InvitationID     string `json:"invitationId"`
	OperationContext string `json:"operationContext,omitempty"`
}

type moveParticipantsResponse struct {
	Participants     []callParticipant `json:"participants"`
	OperationContext string            `json:"operationContext,omitempty"`
	FromCall         string            `json:"fromCall"`
}
