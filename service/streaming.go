package service

import (
	"context"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Live transcription and media streaming, started, changed and stopped on a call whose set-up
// gave their transports (setup.go). The SDK sends no operation context for these unless asked,
// and neither does the gateway, but for a `wait`, whose outcome is matched by one.

var (
	outcomeStartTranscription  = outcomeOf(&callgatev1.TranscriptionStarted{}, &callgatev1.TranscriptionFailed{})
	outcomeUpdateTranscription = outcomeOf(&callgatev1.TranscriptionUpdated{}, &callgatev1.TranscriptionFailed{})
	outcomeStopTranscription   = outcomeOf(&callgatev1.TranscriptionStopped{}, &callgatev1.TranscriptionFailed{})
	outcomeStartStreaming      = outcomeOf(&callgatev1.MediaStreamingStarted{}, &callgatev1.MediaStreamingFailed{})
	outcomeStopStreaming       = outcomeOf(&callgatev1.MediaStreamingStopped{}, &callgatev1.MediaStreamingFailed{})
)

// streamingContext is the operation context of a streaming operation: the caller's; one made up
// when the RPC waits (its outcome is matched by it); else none.
func (v *validator) streamingContext(given string) string {
	if given != "" || v.wait == 0 {
		return given
	}
	return acs.NewUUID()
}

// matched is o for the operation context sent.
func matched(o outcome, operationContext string) outcome {
	o.operationContext = operationContext
	return o
}

// StartTranscription starts live transcription.
func (s *MediaServer) StartTranscription(ctx context.Context, req *callgatev1.StartTranscriptionRequest) (*callgatev1.StartTranscriptionResponse, error) {
	return startTranscription.serve(ctx, s.core, req)
}

var startTranscription = unary[*callgatev1.StartTranscriptionRequest, *callgatev1.StartTranscriptionResponse, *acs.StartTranscriptionRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.StartTranscriptionRequest) (*acs.StartTranscriptionRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.StartTranscriptionRequest{CallConnectionID: req.GetCallConnectionId(), Locale: req.GetLocale(), SpeechModelEndpointID: req.GetSpeechModelEndpointId(),
			OperationContext: v.streamingContext(req.GetOperationContext()), OperationCallbackURI: req.GetOperationCallbackUri()}
		return up, matched(outcomeStartTranscription, up.OperationContext)
	},
	call: noResult((*acs.Client).StartTranscription),
	respond: func(up *acs.StartTranscriptionRequest, _ struct{}) *callgatev1.StartTranscriptionResponse {
		return &callgatev1.StartTranscriptionResponse{OperationContext: up.OperationContext}
	},
}

// UpdateTranscription changes the running transcription's locale or speech model.
func (s *MediaServer) UpdateTranscription(ctx context.Context, req *callgatev1.UpdateTranscriptionRequest) (*callgatev1.UpdateTranscriptionResponse, error) {
	return updateTranscription.serve(ctx, s.core, req)
}

var updateTranscription = unary[*callgatev1.UpdateTranscriptionRequest, *callgatev1.UpdateTranscriptionResponse, *acs.UpdateTranscriptionRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.UpdateTranscriptionRequest) (*acs.UpdateTranscriptionRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.UpdateTranscriptionRequest{CallConnectionID: req.GetCallConnectionId(), Locale: req.GetLocale(), SpeechModelEndpointID: req.GetSpeechModelEndpointId(),
			OperationContext: v.streamingContext(req.GetOperationContext()), OperationCallbackURI: req.GetOperationCallbackUri()}
		return up, matched(outcomeUpdateTranscription, up.OperationContext)
	},
	call: noResult((*acs.Client).UpdateTranscription),
	respond: func(up *acs.UpdateTranscriptionRequest, _ struct{}) *callgatev1.UpdateTranscriptionResponse {
		return &callgatev1.UpdateTranscriptionResponse{OperationContext: up.OperationContext}
	},
}

// StopTranscription stops live transcription.
func (s *MediaServer) StopTranscription(ctx context.Context, req *callgatev1.StopTranscriptionRequest) (*callgatev1.StopTranscriptionResponse, error) {
	return stopTranscription.serve(ctx, s.core, req)
}

var stopTranscription = unary[*callgatev1.StopTranscriptionRequest, *callgatev1.StopTranscriptionResponse, *acs.StopTranscriptionRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.StopTranscriptionRequest) (*acs.StopTranscriptionRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.StopTranscriptionRequest{CallConnectionID: req.GetCallConnectionId(),
			OperationContext: v.streamingContext(req.GetOperationContext()), OperationCallbackURI: req.GetOperationCallbackUri()}
		return up, matched(outcomeStopTranscription, up.OperationContext)
	},
	call: noResult((*acs.Client).StopTranscription),
	respond: func(up *acs.StopTranscriptionRequest, _ struct{}) *callgatev1.StopTranscriptionResponse {
		return &callgatev1.StopTranscriptionResponse{OperationContext: up.OperationContext}
	},
}

// StartMediaStreaming starts streaming the call's audio.
func (s *MediaServer) StartMediaStreaming(ctx context.Context, req *callgatev1.StartMediaStreamingRequest) (*callgatev1.StartMediaStreamingResponse, error) {
	return startMediaStreaming.serve(ctx, s.core, req)
}

var startMediaStreaming = unary[*callgatev1.StartMediaStreamingRequest, *callgatev1.StartMediaStreamingResponse, *acs.MediaStreamingRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.StartMediaStreamingRequest) (*acs.MediaStreamingRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.MediaStreamingRequest{CallConnectionID: req.GetCallConnectionId(),
			OperationContext: v.streamingContext(req.GetOperationContext()), OperationCallbackURI: req.GetOperationCallbackUri()}
		return up, matched(outcomeStartStreaming, up.OperationContext)
	},
	call: noResult((*acs.Client).StartMediaStreaming),
	respond: func(up *acs.MediaStreamingRequest, _ struct{}) *callgatev1.StartMediaStreamingResponse {
		return &callgatev1.StartMediaStreamingResponse{OperationContext: up.OperationContext}
	},
}

// StopMediaStreaming stops media streaming.
func (s *MediaServer) StopMediaStreaming(ctx context.Context, req *callgatev1.StopMediaStreamingRequest) (*callgatev1.StopMediaStreamingResponse, error) {
	return stopMediaStreaming.serve(ctx, s.core, req)
}

var stopMediaStreaming = unary[*callgatev1.StopMediaStreamingRequest, *callgatev1.StopMediaStreamingResponse, *acs.MediaStreamingRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.StopMediaStreamingRequest) (*acs.MediaStreamingRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		up := &acs.MediaStreamingRequest{CallConnectionID: req.GetCallConnectionId(),
			OperationContext: v.streamingContext(req.GetOperationContext()), OperationCallbackURI: req.GetOperationCallbackUri()}
		return up, matched(outcomeStopStreaming, up.OperationContext)
	},
	call: noResult((*acs.Client).StopMediaStreaming),
	respond: func(up *acs.MediaStreamingRequest, _ struct{}) *callgatev1.StopMediaStreamingResponse {
		return &callgatev1.StopMediaStreamingResponse{OperationContext: up.OperationContext}
	},
}
