package acs

// CallIntelligenceOptions are the AI options of a call: the Azure AI services (Cognitive
// Services) resource that text-to-speech and speech recognition of the call use. ACS takes it
// only when the call is created, answered or connected.
type CallIntelligenceOptions struct {
	CognitiveServicesEndpoint string `json:"cognitiveServicesEndpoint,omitempty"`
}

// Streaming transports (StreamingTransportType); websocket is the only one the API defines.
const TransportWebSocket = "websocket"

// MediaStreamingOptions configures media streaming at call set-up (WebSocketMediaStreamingOptions).
// The fields are in the order the SDK writes them; the booleans are pointers because the SDK
// sends an explicit false when it is given one and nothing when it is not.
type MediaStreamingOptions struct {
	TransportType       string `json:"transportType"`
	AudioChannelType    string `json:"audioChannelType"`
	TransportURL        string `json:"transportUrl,omitempty"`
	ContentType         string `json:"contentType,omitempty"`
	StartMediaStreaming *bool  `json:"startMediaStreaming,omitempty"`
	EnableBidirectional *bool  `json:"enableBidirectional,omitempty"`
	AudioFormat         string `json:"audioFormat,omitempty"`
	EnableDtmfTones     *bool  `json:"enableDtmfTones,omitempty"`
}

// TranscriptionOptions configures live transcription at call set-up
// (WebSocketTranscriptionOptions), in the SDK's field order.
type TranscriptionOptions struct {
	TransportType             string `json:"transportType"`
	Locale                    string `json:"locale"`
	TransportURL              string `json:"transportUrl,omitempty"`
	SpeechModelEndpointID     string `json:"speechModelEndpointId,omitempty"`
	StartTranscription        *bool  `json:"startTranscription,omitempty"`
	EnableIntermediateResults *bool  `json:"enableIntermediateResults,omitempty"`
}

// MediaStreamingSubscription is the media streaming state of a call.
type MediaStreamingSubscription struct {
	ID                     string   `json:"id,omitempty"`
	State                  string   `json:"state,omitempty"`
	SubscribedContentTypes []string `json:"subscribedContentTypes,omitempty"`
}

// TranscriptionSubscription is the transcription state of a call.
type TranscriptionSubscription struct {
	ID                    string   `json:"id,omitempty"`
	State                 string   `json:"state,omitempty"`
	SubscribedResultTypes []string `json:"subscribedResultTypes,omitempty"`
	Locale                string   `json:"locale,omitempty"`
}

// Bool returns a pointer to v, for the optional booleans of the request models.
func Bool(v bool) *bool { return &v }
