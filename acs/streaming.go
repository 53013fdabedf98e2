package acs

import "context"

// The transcription and media streaming operations of a call connection. Their transports are
// set when the call is set up (MediaStreamingOptions, TranscriptionOptions); these start, change
// and stop them. Field order is the SDK's: the start and stop of media streaming write the
// callback before the context.

// StartTranscriptionRequest starts live transcription. An empty request is sent as {}, as the
// SDK sends startTranscription() without options.
type StartTranscriptionRequest struct {
	CallConnectionID      string `json:"-"`
	Locale                string `json:"locale,omitempty"`
	SpeechModelEndpointID string `json:"speechModelEndpointId,omitempty"`
	OperationContext      string `json:"operationContext,omitempty"`
	OperationCallbackURI  string `json:"operationCallbackUri,omitempty"`
}

// StartTranscription starts transcription: POST /calling/callConnections/{id}:startTranscription
// (202). TranscriptionStarted or TranscriptionFailed follows.
func (c *Client) StartTranscription(ctx context.Context, req *StartTranscriptionRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StartTranscription", req.CallConnectionID, ":startTranscription", req, nil, nil)
}

// UpdateTranscriptionRequest changes the running transcription's locale or speech model.
type UpdateTranscriptionRequest struct {
	CallConnectionID      string `json:"-"`
	Locale                string `json:"locale,omitempty"`
	SpeechModelEndpointID string `json:"speechModelEndpointId,omitempty"`
	OperationContext      string `json:"operationContext,omitempty"`
	OperationCallbackURI  string `json:"operationCallbackUri,omitempty"`
}

// UpdateTranscription changes it: POST /calling/callConnections/{id}:updateTranscription (202).
// TranscriptionUpdated or TranscriptionFailed follows.
func (c *Client) UpdateTranscription(ctx context.Context, req *UpdateTranscriptionRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "UpdateTranscription", req.CallConnectionID, ":updateTranscription", req, nil, nil)
}

// StopTranscriptionRequest stops live transcription.
type StopTranscriptionRequest struct {
	CallConnectionID     string `json:"-"`
	OperationContext     string `json:"operationContext,omitempty"`
	OperationCallbackURI string `json:"operationCallbackUri,omitempty"`
}

// StopTranscription stops it: POST /calling/callConnections/{id}:stopTranscription (202).
// TranscriptionStopped follows.
func (c *Client) StopTranscription(ctx context.Context, req *StopTranscriptionRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StopTranscription", req.CallConnectionID, ":stopTranscription", req, nil, nil)
}

// MediaStreamingRequest starts or stops media streaming.
type MediaStreamingRequest struct {
	CallConnectionID     string `json:"-"`
	OperationCallbackURI string `json:"operationCallbackUri,omitempty"`
	OperationContext     string `json:"operationContext,omitempty"`
}

// StartMediaStreaming starts streaming the call's audio: POST
// /calling/callConnections/{id}:startMediaStreaming (202). MediaStreamingStarted or
// MediaStreamingFailed follows.
func (c *Client) StartMediaStreaming(ctx context.Context, req *MediaStreamingRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StartMediaStreaming", req.CallConnectionID, ":startMediaStreaming", req, nil, nil)
}

// StopMediaStreaming stops it: POST /calling/callConnections/{id}:stopMediaStreaming (202).
// MediaStreamingStopped follows.
func (c *Client) StopMediaStreaming(ctx context.Context, req *MediaStreamingRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StopMediaStreaming", req.CallConnectionID, ":stopMediaStreaming", req, nil, nil)
}
