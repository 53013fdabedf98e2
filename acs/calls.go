package acs

import (
	"context"
	"encoding/json"
	"net/http"
)

// CallConnectionState is the state of a call connection.
type CallConnectionState string

// Call connection states of the 2026-03-12 API.
const (
	CallStateUnknown          CallConnectionState = "unknown"
	CallStateConnecting       CallConnectionState = "connecting"
	CallStateConnected        CallConnectionState = "connected"
	CallStateTransferring     CallConnectionState = "transferring"
	CallStateTransferAccepted CallConnectionState = "transferAccepted"
	CallStateDisconnecting    CallConnectionState = "disconnecting"
	CallStateDisconnected     CallConnectionState = "disconnected"
)

// CallRejectReason is why an incoming call is rejected.
type CallRejectReason string

// Reject reasons; an empty reason lets the service default to none.
const (
	RejectNone      CallRejectReason = "none"
	RejectBusy      CallRejectReason = "busy"
	RejectForbidden CallRejectReason = "forbidden"
)

// CallConnectionProperties is the state of a call connection, returned by
// CreateCall, AnswerCall, Connect and GetCall.
type CallConnectionProperties struct {
	CallConnectionID           string                      `json:"callConnectionId,omitempty"`
	ServerCallID               string                      `json:"serverCallId,omitempty"`
	Targets                    []Identifier                `json:"targets,omitempty"`
	CallConnectionState        CallConnectionState         `json:"callConnectionState,omitempty"`
	CallbackURI                string                      `json:"callbackUri,omitempty"`
	SourceCallerIDNumber       *PhoneNumberModel           `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName          string                      `json:"sourceDisplayName,omitempty"`
	Source                     *Identifier                 `json:"source,omitempty"`
	CorrelationID              string                      `json:"correlationId,omitempty"`
	AnsweredBy                 *CommunicationUserModel     `json:"answeredBy,omitempty"`
	MediaStreamingSubscription *MediaStreamingSubscription `json:"mediaStreamingSubscription,omitempty"`
	TranscriptionSubscription  *TranscriptionSubscription  `json:"transcriptionSubscription,omitempty"`
	AnsweredFor                *PhoneNumberModel           `json:"answeredFor,omitempty"`
}

// CreateCallRequest places an outbound call to one target (1:1) or several
// (group call). Calling a phone number needs SourceCallerIDNumber, a number
// the resource owns.
type CreateCallRequest struct {
	Targets                 []Identifier             `json:"targets"`
	SourceCallerIDNumber    *PhoneNumberModel        `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName       string                   `json:"sourceDisplayName,omitempty"`
	Source                  *CommunicationUserModel  `json:"source,omitempty"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallbackURI             string                   `json:"callbackUri"`
	CallIntelligenceOptions *CallIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	MediaStreamingOptions   *MediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *TranscriptionOptions    `json:"transcriptionOptions,omitempty"`
	TeamsAppSource          *MicrosoftTeamsAppModel  `json:"teamsAppSource,omitempty"`
	Repeatability           `json:"-"`
}

// CreateCall places a call: POST /calling/callConnections (201).
func (c *Client) CreateCall(ctx context.Context, req *CreateCallRequest) (*CallConnectionProperties, error) {
	if req == nil {
		return nil, nilRequest()
	}
	u, err := c.requestURL("/calling/callConnections")
	if err != nil {
		return nil, err
	}
	var out CallConnectionProperties
	err = c.do(ctx, &call{op: "CreateCall", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CallLocatorKind says which ID a CallLocator carries.
type CallLocatorKind string

// Locator kinds.
const (
	GroupCallLocatorKind  CallLocatorKind = "groupCallLocator"
	ServerCallLocatorKind CallLocatorKind = "serverCallLocator"
	RoomCallLocatorKind   CallLocatorKind = "roomCallLocator"
)

// CallLocator names a running call to connect to. Set exactly one ID; Kind
// is derived from it when empty.
type CallLocator struct {
	GroupCallID  string          `json:"groupCallId,omitempty"`
	ServerCallID string          `json:"serverCallId,omitempty"`
	RoomID       string          `json:"roomId,omitempty"`
	Kind         CallLocatorKind `json:"kind,omitempty"`
}

// GroupCallLocator locates a group call by its ID.
func GroupCallLocator(groupCallID string) CallLocator {
	return CallLocator{GroupCallID: groupCallID, Kind: GroupCallLocatorKind}
}

// ServerCallLocator locates a call by its server call ID.
func ServerCallLocator(serverCallID string) CallLocator {
	return CallLocator{ServerCallID: serverCallID, Kind: ServerCallLocatorKind}
}

// RoomCallLocator locates the call of an ACS room.
func RoomCallLocator(roomID string) CallLocator {
	return CallLocator{RoomID: roomID, Kind: RoomCallLocatorKind}
}

func (l CallLocator) impliedKind() (CallLocatorKind, int) {
	var kind CallLocatorKind
	n := 0
	if l.GroupCallID != "" {
		kind, n = GroupCallLocatorKind, n+1
	}
	if l.ServerCallID != "" {
		kind, n = ServerCallLocatorKind, n+1
	}
	if l.RoomID != "" {
		kind, n = RoomCallLocatorKind, n+1
	}
	return kind, n
}

type callLocatorJSON CallLocator

// MarshalJSON fills an empty Kind from the ID that is set.
func (l CallLocator) MarshalJSON() ([]byte, error) {
	if l.Kind == "" {
		l.Kind, _ = l.impliedKind()
	}
	return json.Marshal(callLocatorJSON(l))
}

// ConnectRequest joins the gateway to a running call (server call, group
// call or room).
type ConnectRequest struct {
	CallLocator             CallLocator              `json:"callLocator"`
	CallbackURI             string                   `json:"callbackUri"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallIntelligenceOptions *CallIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	MediaStreamingOptions   *MediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *TranscriptionOptions    `json:"transcriptionOptions,omitempty"`
	Repeatability           `json:"-"`
}

// Connect joins a running call: POST /calling/callConnections:connect (200).
func (c *Client) Connect(ctx context.Context, req *ConnectRequest) (*CallConnectionProperties, error) {
	if req == nil {
		return nil, nilRequest()
	}
	u, err := c.requestURL("/calling/callConnections:connect")
	if err != nil {
		return nil, err
	}
	var out CallConnectionProperties
	err = c.do(ctx, &call{op: "Connect", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AnswerCallRequest answers an incoming call; IncomingCallContext comes from
// the IncomingCall event.
type AnswerCallRequest struct {
	IncomingCallContext     string                   `json:"incomingCallContext"`
	CallbackURI             string                   `json:"callbackUri"`
	OperationContext        string                   `json:"operationContext,omitempty"`
	CallIntelligenceOptions *CallIntelligenceOptions `json:"callIntelligenceOptions,omitempty"`
	AnsweredBy              *CommunicationUserModel  `json:"answeredBy,omitempty"`
	MediaStreamingOptions   *MediaStreamingOptions   `json:"mediaStreamingOptions,omitempty"`
	TranscriptionOptions    *TranscriptionOptions    `json:"transcriptionOptions,omitempty"`
	Repeatability           `json:"-"`
}

// AnswerCall answers an incoming call: POST /calling/callConnections:answer (200).
func (c *Client) AnswerCall(ctx context.Context, req *AnswerCallRequest) (*CallConnectionProperties, error) {
	if req == nil {
		return nil, nilRequest()
	}
	u, err := c.requestURL("/calling/callConnections:answer")
	if err != nil {
		return nil, err
	}
	var out CallConnectionProperties
	err = c.do(ctx, &call{op: "AnswerCall", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RejectCallRequest rejects an incoming call.
type RejectCallRequest struct {
	IncomingCallContext string           `json:"incomingCallContext"`
	CallRejectReason    CallRejectReason `json:"callRejectReason,omitempty"`
	Repeatability       `json:"-"`
}

// RejectCall rejects an incoming call: POST /calling/callConnections:reject (204).
func (c *Client) RejectCall(ctx context.Context, req *RejectCallRequest) error {
	if req == nil {
		return nilRequest()
	}
	u, err := c.requestURL("/calling/callConnections:reject")
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: "RejectCall", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}, nil)
}

// RedirectCallRequest redirects an incoming call to another target.
type RedirectCallRequest struct {
	IncomingCallContext string     `json:"incomingCallContext"`
	Target              Identifier `json:"target"`
	Repeatability       `json:"-"`
}

// RedirectCall redirects an incoming call: POST /calling/callConnections:redirect (204).
func (c *Client) RedirectCall(ctx context.Context, req *RedirectCallRequest) error {
	if req == nil {
		return nilRequest()
	}
	u, err := c.requestURL("/calling/callConnections:redirect")
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: "RedirectCall", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability}, nil)
}

// GetCallRequest reads a call connection.
type GetCallRequest struct {
	CallConnectionID string
}

// GetCall reads a call connection: GET /calling/callConnections/{id} (200).
func (c *Client) GetCall(ctx context.Context, req *GetCallRequest) (*CallConnectionProperties, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID))
	if err != nil {
		return nil, err
	}
	var out CallConnectionProperties
	err = c.do(ctx, &call{op: "GetCall", method: http.MethodGet, url: u, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// HangUpRequest makes the gateway leave a call; the other parties stay.
type HangUpRequest struct {
	CallConnectionID string
}

// HangUp leaves a call: DELETE /calling/callConnections/{id} (204). The API
// does not mark it repeatable, so it carries no repeatability headers; it is
// idempotent in effect.
func (c *Client) HangUp(ctx context.Context, req *HangUpRequest) error {
	if req == nil {
		return nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID))
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: "HangUp", method: http.MethodDelete, url: u, callConnectionID: req.CallConnectionID}, nil)
}

// TerminateCallRequest ends a call for every participant.
type TerminateCallRequest struct {
	CallConnectionID string
	Repeatability
}

// TerminateCall ends the call for everyone: POST
// /calling/callConnections/{id}:terminate (204), with no body.
func (c *Client) TerminateCall(ctx context.Context, req *TerminateCallRequest) error {
	if req == nil {
		return nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + ":terminate")
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: "TerminateCall", method: http.MethodPost, url: u, repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, nil)
}

// TransferToParticipantRequest transfers a 1:1 call (or, with Transferee,
// one participant of a group call) to another target. OperationContext is
// sent as given: the SDK puts a random UUID there when it is empty; set one
// to correlate the CallTransferAccepted/Failed events.
type TransferToParticipantRequest struct {
	CallConnectionID     string                `json:"-"`
	TargetParticipant    Identifier            `json:"targetParticipant"`
	OperationContext     string                `json:"operationContext,omitempty"`
	Transferee           *Identifier           `json:"transferee,omitempty"`
	OperationCallbackURI string                `json:"operationCallbackUri,omitempty"`
	CustomCallingContext *CustomCallingContext `json:"customCallingContext,omitempty"`
	SourceCallerIDNumber *PhoneNumberModel     `json:"sourceCallerIdNumber,omitempty"`
	Repeatability        `json:"-"`
}

// TransferCallResponse answers a transfer.
type TransferCallResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

// TransferToParticipant transfers the call: POST
// /calling/callConnections/{id}:transferToParticipant (202). Like the SDK it
// always sends customCallingContext, empty when none is given.
func (c *Client) TransferToParticipant(ctx context.Context, req *TransferToParticipantRequest) (*TransferCallResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + ":transferToParticipant")
	if err != nil {
		return nil, err
	}
	body := *req
	if body.CustomCallingContext == nil {
		body.CustomCallingContext = &CustomCallingContext{}
	}
	var out TransferCallResponse
	err = c.do(ctx, &call{op: "TransferToParticipant", method: http.MethodPost, url: u, body: &body,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func nilRequest() error {
	return &ValidationError{Violations: []FieldViolation{{Field: "request", Description: "must not be nil"}}}
}
