package acs

// CallIntelligenceOptions are the AI options of a call.
type CallIntelligenceOptions struct {
	CognitiveServicesEndpoint string `json:"cognitiveServicesEndpoint,omitempty"`
}

// MediaStreamingOptions configures media streaming (the websocket transport,
// the only one the API defines).
type MediaStreamingOptions struct {
	TransportURL        string `json:"transportUrl,omitempty"`
	TransportType       string `json:"transportType"`
	ContentType         string `json:"contentType,omitempty"`
	AudioChannelType    string `json:"audioChannelType"`
	StartMediaStreaming bool   `json:"startMediaStreaming,omitempty"`
	EnableBidirectional bool   `json:"enableBidirectional,omitempty"`
	AudioFormat         string `json:"audioFormat,omitempty"`
	EnableDtmfTones     bool   `json:"enableDtmfTones,omitempty"`
}

// TranscriptionOptions configures live transcription (websocket transport).
type TranscriptionOptions struct {
	TransportURL              string `json:"transportUrl,omitempty"`
	TransportType             string `json:"transportType"`
	Locale                    string `json:"locale"`
	SpeechModelEndpointID     string `json:"speechModelEndpointId,omitempty"`
	StartTranscription        bool   `json:"startTranscription,omitempty"`
	EnableIntermediateResults bool   `json:"enableIntermediateResults,omitempty"`
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
