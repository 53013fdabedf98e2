package client

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The typed calls take and answer the generated messages. Each call that changes something fills
// an empty request_id once (the request given is not modified), sends every attempt with it, and
// retries as RetryPolicy says; Wait sets the request's `wait`.

// CreateCall places a call (CallService.CreateCall). With Wait it answers once the call is
// connected, with the CallConnected event in result_event; a CreateCallFailed is ABORTED.
func (c *Client) CreateCall(ctx context.Context, req *callgatev1.CreateCallRequest, opts ...CallOption) (*callgatev1.CreateCallResponse, error) {
	return mutate(ctx, c, c.calls.CreateCall, req, opts, false)
}

// Connect joins a call in progress (CallService.ConnectCall).
func (c *Client) Connect(ctx context.Context, req *callgatev1.ConnectCallRequest, opts ...CallOption) (*callgatev1.ConnectCallResponse, error) {
	return mutate(ctx, c, c.calls.ConnectCall, req, opts, false)
}

// Answer answers an incoming call (CallService.AnswerCall), for example one from WatchIncoming.
func (c *Client) Answer(ctx context.Context, req *callgatev1.AnswerCallRequest, opts ...CallOption) (*callgatev1.AnswerCallResponse, error) {
	return mutate(ctx, c, c.calls.AnswerCall, req, opts, false)
}

// Reject rejects an incoming call (CallService.RejectCall).
func (c *Client) Reject(ctx context.Context, req *callgatev1.RejectCallRequest, opts ...CallOption) (*callgatev1.RejectCallResponse, error) {
	return mutate(ctx, c, c.calls.RejectCall, req, opts, false)
}

// Redirect sends an incoming call elsewhere without answering it (CallService.RedirectCall).
func (c *Client) Redirect(ctx context.Context, req *callgatev1.RedirectCallRequest, opts ...CallOption) (*callgatev1.RedirectCallResponse, error) {
	return mutate(ctx, c, c.calls.RedirectCall, req, opts, false)
}

// GetCall reads a call's state (CallService.GetCall).
func (c *Client) GetCall(ctx context.Context, req *callgatev1.GetCallRequest, opts ...CallOption) (*callgatev1.GetCallResponse, error) {
	return read(ctx, c, c.calls.GetCall, req, opts)
}

// HangUp leaves the call, or ends it for everyone (CallService.HangUpCall). Leaving takes no
// request_id at ACS, so a retry after a lost answer may find the call gone: that retry succeeds,
// since the call is hung up either way.
func (c *Client) HangUp(ctx context.Context, req *callgatev1.HangUpCallRequest, opts ...CallOption) (*callgatev1.HangUpCallResponse, error) {
	sent := false
	hangUp := func(ctx context.Context, req *callgatev1.HangUpCallRequest, o ...grpc.CallOption) (*callgatev1.HangUpCallResponse, error) {
		resp, err := c.calls.HangUpCall(ctx, req, o...)
		if sent && status.Code(err) == codes.NotFound {
			return &callgatev1.HangUpCallResponse{}, nil
		}
		sent = true
		return resp, err
	}
	return mutate(ctx, c, hangUp, req, opts, false)
}

// Transfer transfers the call, or moves a participant of a group call (CallService.TransferCall).
// The response's operation_context matches the transfer's events (see Operation).
func (c *Client) Transfer(ctx context.Context, req *callgatev1.TransferCallRequest, opts ...CallOption) (*callgatev1.TransferCallResponse, error) {
	return mutate(ctx, c, c.calls.TransferCall, req, opts, true)
}

// AddParticipant invites a participant (ParticipantService.AddParticipant). With Wait it answers
// once the participant joined; one who did not (busy, declined, no answer) is ABORTED with the
// AddParticipantFailed event (FailureEvent).
func (c *Client) AddParticipant(ctx context.Context, req *callgatev1.AddParticipantRequest, opts ...CallOption) (*callgatev1.AddParticipantResponse, error) {
	return mutate(ctx, c, c.participants.AddParticipant, req, opts, true)
}

// CancelAddParticipant withdraws an invitation (ParticipantService.CancelAddParticipant).
func (c *Client) CancelAddParticipant(ctx context.Context, req *callgatev1.CancelAddParticipantRequest, opts ...CallOption) (*callgatev1.CancelAddParticipantResponse, error) {
	return mutate(ctx, c, c.participants.CancelAddParticipant, req, opts, true)
}

// RemoveParticipant removes a participant (ParticipantService.RemoveParticipant).
func (c *Client) RemoveParticipant(ctx context.Context, req *callgatev1.RemoveParticipantRequest, opts ...CallOption) (*callgatev1.RemoveParticipantResponse, error) {
	return mutate(ctx, c, c.participants.RemoveParticipant, req, opts, true)
}

// MuteParticipant mutes an ACS user (ParticipantService.MuteParticipant).
func (c *Client) MuteParticipant(ctx context.Context, req *callgatev1.MuteParticipantRequest, opts ...CallOption) (*callgatev1.MuteParticipantResponse, error) {
	return mutate(ctx, c, c.participants.MuteParticipant, req, opts, false)
}

// ListParticipants lists everyone in the call (ParticipantService.ListParticipants).
func (c *Client) ListParticipants(ctx context.Context, req *callgatev1.ListParticipantsRequest, opts ...CallOption) (*callgatev1.ListParticipantsResponse, error) {
	return read(ctx, c, c.participants.ListParticipants, req, opts)
}

// GetParticipant reads one participant (ParticipantService.GetParticipant).
func (c *Client) GetParticipant(ctx context.Context, req *callgatev1.GetParticipantRequest, opts ...CallOption) (*callgatev1.GetParticipantResponse, error) {
	return read(ctx, c, c.participants.GetParticipant, req, opts)
}
