package acs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// CallParticipant is one participant of a call.
type CallParticipant struct {
	Identifier Identifier `json:"identifier,omitzero"`
	IsMuted    bool       `json:"isMuted,omitempty"`
	IsOnHold   bool       `json:"isOnHold,omitempty"`
}

// AddParticipantRequest invites a participant into a call. Adding a phone
// number needs SourceCallerIDNumber. InvitationTimeoutInSeconds is 0..180,
// 0 meaning the service default.
type AddParticipantRequest struct {
	CallConnectionID           string                `json:"-"`
	SourceCallerIDNumber       *PhoneNumberModel     `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName          string                `json:"sourceDisplayName,omitempty"`
	ParticipantToAdd           Identifier            `json:"participantToAdd"`
	InvitationTimeoutInSeconds int32                 `json:"invitationTimeoutInSeconds,omitempty"`
	OperationContext           string                `json:"operationContext,omitempty"`
	OperationCallbackURI       string                `json:"operationCallbackUri,omitempty"`
	CustomCallingContext       *CustomCallingContext `json:"customCallingContext,omitempty"`
	Repeatability              `json:"-"`
}

// AddParticipantResponse answers an add; InvitationID cancels it.
type AddParticipantResponse struct {
	Participant      *CallParticipant `json:"participant,omitempty"`
	OperationContext string           `json:"operationContext,omitempty"`
	InvitationID     string           `json:"invitationId,omitempty"`
}

// AddParticipant invites a participant: POST
// /calling/callConnections/{id}/participants:add (202). Like the SDK it
// always sends customCallingContext, empty when none is given.
func (c *Client) AddParticipant(ctx context.Context, req *AddParticipantRequest) (*AddParticipantResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants:add")
	if err != nil {
		return nil, err
	}
	body := *req
	if body.CustomCallingContext == nil {
		body.CustomCallingContext = &CustomCallingContext{}
	}
	var out AddParticipantResponse
	err = c.do(ctx, &call{op: "AddParticipant", method: http.MethodPost, url: u, body: &body,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelAddParticipantRequest withdraws a pending invitation.
type CancelAddParticipantRequest struct {
	CallConnectionID     string `json:"-"`
	InvitationID         string `json:"invitationId"`
	OperationContext     string `json:"operationContext,omitempty"`
	OperationCallbackURI string `json:"operationCallbackUri,omitempty"`
	Repeatability        `json:"-"`
}

// CancelAddParticipantResponse answers a cancel.
type CancelAddParticipantResponse struct {
	InvitationID     string `json:"invitationId,omitempty"`
	OperationContext string `json:"operationContext,omitempty"`
}

// CancelAddParticipant withdraws an invitation: POST
// /calling/callConnections/{id}/participants:cancelAddParticipant (202).
func (c *Client) CancelAddParticipant(ctx context.Context, req *CancelAddParticipantRequest) (*CancelAddParticipantResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants:cancelAddParticipant")
	if err != nil {
		return nil, err
	}
	var out CancelAddParticipantResponse
	err = c.do(ctx, &call{op: "CancelAddParticipant", method: http.MethodPost, url: u, body: req,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveParticipantRequest removes a participant from a call.
type RemoveParticipantRequest struct {
	CallConnectionID     string     `json:"-"`
	ParticipantToRemove  Identifier `json:"participantToRemove"`
	OperationContext     string     `json:"operationContext,omitempty"`
	OperationCallbackURI string     `json:"operationCallbackUri,omitempty"`
	Repeatability        `json:"-"`
}

// RemoveParticipantResponse answers a remove.
type RemoveParticipantResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

// RemoveParticipant removes a participant: POST
// /calling/callConnections/{id}/participants:remove (202).
func (c *Client) RemoveParticipant(ctx context.Context, req *RemoveParticipantRequest) (*RemoveParticipantResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants:remove")
	if err != nil {
		return nil, err
	}
	var out RemoveParticipantResponse
	err = c.do(ctx, &call{op: "RemoveParticipant", method: http.MethodPost, url: u, body: req,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// MuteParticipantsRequest mutes participants. The API mutes ACS users only
// (the stable API has no unmute); other kinds are refused before sending.
type MuteParticipantsRequest struct {
	CallConnectionID   string       `json:"-"`
	TargetParticipants []Identifier `json:"targetParticipants"`
	OperationContext   string       `json:"operationContext,omitempty"`
	Repeatability      `json:"-"`
}

// MuteParticipantsResponse answers a mute.
type MuteParticipantsResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

// MuteParticipants mutes ACS users: POST
// /calling/callConnections/{id}/participants:mute (200).
func (c *Client) MuteParticipants(ctx context.Context, req *MuteParticipantsRequest) (*MuteParticipantsResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants:mute")
	if err != nil {
		return nil, err
	}
	var out MuteParticipantsResponse
	err = c.do(ctx, &call{op: "MuteParticipants", method: http.MethodPost, url: u, body: req,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetParticipantRequest reads one participant by raw ID (Identifier.Raw()).
type GetParticipantRequest struct {
	CallConnectionID string
	ParticipantRawID string
}

// GetParticipant reads a participant: GET
// /calling/callConnections/{id}/participants/{rawId} (200), the raw ID
// escaped as the SDK does (8:acs:p is sent as 8%3Aacs%3Ap).
func (c *Client) GetParticipant(ctx context.Context, req *GetParticipantRequest) (*CallParticipant, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID, "participantRawId", req.ParticipantRawID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants/" + escapePathSegment(req.ParticipantRawID))
	if err != nil {
		return nil, err
	}
	var out CallParticipant
	err = c.do(ctx, &call{op: "GetParticipant", method: http.MethodGet, url: u, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListParticipantsRequest reads every participant of a call.
type ListParticipantsRequest struct {
	CallConnectionID string
}

// ListParticipantsResponse holds the participants of every page.
type ListParticipantsResponse struct {
	Participants []CallParticipant
}

// participantsPage is the REST GetParticipantsResponse.
type participantsPage struct {
	Value    []CallParticipant `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

// MaxParticipantPages bounds how many nextLink pages ListParticipants follows.
const MaxParticipantPages = 100

// ErrTooManyPages is returned when a listing does not end within
// MaxParticipantPages pages or a nextLink repeats.
var ErrTooManyPages = errors.New("acs: participant listing does not end")

// ListParticipants reads the participants: GET
// /calling/callConnections/{id}/participants (200), then every nextLink page.
// A nextLink must stay on the endpoint's scheme and host (ErrForeignNextLink
// otherwise): the client never sends its credentials anywhere else.
func (c *Client) ListParticipants(ctx context.Context, req *ListParticipantsRequest) (*ListParticipantsResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants")
	if err != nil {
		return nil, err
	}
	out := &ListParticipantsResponse{}
	seen := make(map[string]bool)
	for page := 1; ; page++ {
		var p participantsPage
		if err := c.do(ctx, &call{op: "ListParticipants", method: http.MethodGet, url: u, callConnectionID: req.CallConnectionID}, &p); err != nil {
			return nil, err
		}
		out.Participants = append(out.Participants, p.Value...)
		if p.NextLink == "" {
			return out, nil
		}
		if page >= MaxParticipantPages || seen[p.NextLink] {
			return nil, fmt.Errorf("acs: ListParticipants: stopped after %d pages: %w", page, ErrTooManyPages)
		}
		seen[p.NextLink] = true
		if u, err = c.resolveNextLink("ListParticipants", p.NextLink); err != nil {
			return nil, err
		}
	}
}

// MoveParticipantsRequest moves participants of another call (FromCall, a call connection ID)
// into this one. It is repeatable, and its identifiers carry their kind (a call-connection
// request, not a CallMedia one).
type MoveParticipantsRequest struct {
	CallConnectionID     string       `json:"-"`
	TargetParticipants   []Identifier `json:"targetParticipants"`
	OperationContext     string       `json:"operationContext,omitempty"`
	OperationCallbackURI string       `json:"operationCallbackUri,omitempty"`
	FromCall             string       `json:"fromCall"`
	Repeatability        `json:"-"`
}

// MoveParticipantsResponse answers a move: the call's participants as ACS accepted it.
type MoveParticipantsResponse struct {
	Participants     []CallParticipant `json:"participants,omitempty"`
	OperationContext string            `json:"operationContext,omitempty"`
	FromCall         string            `json:"fromCall,omitempty"`
}

// MoveParticipants moves participants here: POST
// /calling/callConnections/{id}/participants:moveHere (202). One MoveParticipantSucceeded or
// MoveParticipantFailed follows per participant.
func (c *Client) MoveParticipants(ctx context.Context, req *MoveParticipantsRequest) (*MoveParticipantsResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	if err := pathParameters("callConnectionId", req.CallConnectionID); err != nil {
		return nil, err
	}
	u, err := c.requestURL(callPath(req.CallConnectionID) + "/participants:moveHere")
	if err != nil {
		return nil, err
	}
	var out MoveParticipantsResponse
	err = c.do(ctx, &call{op: "MoveParticipants", method: http.MethodPost, url: u, body: req,
		repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
