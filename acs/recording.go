package acs

import (
	"context"
	"net/http"
)

// Recording operations (CallRecording): start, read, pause, resume and stop a call's recording.
// A recording is named by the ID ACS answers at start, opaque base64 that ends in '=': it goes
// into paths escaped as the SDK escapes it (%3D).

// Recording content, channel and format types, and storage kinds, as ACS names them.
const (
	RecordingContentAudio      = "audio"
	RecordingContentAudioVideo = "audioVideo"
	RecordingChannelMixed      = "mixed"
	RecordingChannelUnmixed    = "unmixed"
	RecordingFormatWAV         = "wav"
	RecordingFormatMP3         = "mp3"
	RecordingFormatMP4         = "mp4"
	RecordingStorageBlob       = "azureBlobStorage"
)

// ChannelAffinity puts a participant of an unmixed recording on a channel (0 to 4).
type ChannelAffinity struct {
	Channel     int32      `json:"channel"`
	Participant Identifier `json:"participant"`
}

// ExternalStorage is where ACS writes a recording instead of its own storage.
type ExternalStorage struct {
	RecordingStorageKind             string `json:"recordingStorageKind"`
	RecordingDestinationContainerURL string `json:"recordingDestinationContainerUrl,omitempty"`
}

// StartRecordingRequest starts recording a call, by its connection (CallConnectionID) or by a
// locator (server or group call: rooms cannot be recorded), in the SDK's field order.
// Identifiers carry their kind here, unlike in the CallMedia operations.
type StartRecordingRequest struct {
	CallLocator                     *CallLocator      `json:"callLocator,omitempty"`
	CallConnectionID                string            `json:"callConnectionId,omitempty"`
	RecordingStateCallbackURI       string            `json:"recordingStateCallbackUri,omitempty"`
	RecordingContentType            string            `json:"recordingContentType,omitempty"`
	RecordingChannelType            string            `json:"recordingChannelType,omitempty"`
	RecordingFormatType             string            `json:"recordingFormatType,omitempty"`
	AudioChannelParticipantOrdering []Identifier      `json:"audioChannelParticipantOrdering,omitempty"`
	ChannelAffinity                 []ChannelAffinity `json:"channelAffinity,omitempty"`
	PauseOnStart                    *bool             `json:"pauseOnStart,omitempty"`
	ExternalStorage                 *ExternalStorage  `json:"externalStorage,omitempty"`
	Repeatability                   `json:"-"`
}

// RecordingStateResponse is a recording's state: RecordingState is "active" or "inactive",
// RecordingKind "azureCommunicationServices", "teams" or "teamsCompliance".
type RecordingStateResponse struct {
	RecordingID    string `json:"recordingId"`
	RecordingState string `json:"recordingState,omitempty"`
	RecordingKind  string `json:"recordingKind,omitempty"`
}

// StartRecording starts recording: POST /calling/recordings (200 or 202), repeatable.
// RecordingStateChanged or StartRecordingFailed follows at RecordingStateCallbackURI.
func (c *Client) StartRecording(ctx context.Context, req *StartRecordingRequest) (*RecordingStateResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	u, err := c.requestURL("/calling/recordings")
	if err != nil {
		return nil, err
	}
	var out RecordingStateResponse
	cl := &call{op: "StartRecording", method: http.MethodPost, url: u, body: req, repeat: &req.Repeatability, callConnectionID: req.CallConnectionID}
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecordingRequest names a recording.
type RecordingRequest struct {
	RecordingID string
}

// GetRecording reads a recording's state: GET /calling/recordings/{recordingId} (200).
func (c *Client) GetRecording(ctx context.Context, req *RecordingRequest) (*RecordingStateResponse, error) {
	var out RecordingStateResponse
	if err := c.recordingCall(ctx, "GetRecording", http.MethodGet, req, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PauseRecording pauses it: POST /calling/recordings/{recordingId}:pause (202), no body.
func (c *Client) PauseRecording(ctx context.Context, req *RecordingRequest) error {
	return c.recordingCall(ctx, "PauseRecording", http.MethodPost, req, ":pause", nil)
}

// ResumeRecording resumes it: POST /calling/recordings/{recordingId}:resume (202), no body.
func (c *Client) ResumeRecording(ctx context.Context, req *RecordingRequest) error {
	return c.recordingCall(ctx, "ResumeRecording", http.MethodPost, req, ":resume", nil)
}

// StopRecording stops it: DELETE /calling/recordings/{recordingId} (204).
func (c *Client) StopRecording(ctx context.Context, req *RecordingRequest) error {
	return c.recordingCall(ctx, "StopRecording", http.MethodDelete, req, "", nil)
}

func (c *Client) recordingCall(ctx context.Context, op, method string, req *RecordingRequest, verb string, out any) error {
	if req == nil {
		return nilRequest()
	}
	if err := pathParameters("recordingId", req.RecordingID); err != nil {
		return err
	}
	u, err := c.requestURL("/calling/recordings/" + escapePathSegment(req.RecordingID) + verb)
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: op, method: method, url: u}, out)
}
