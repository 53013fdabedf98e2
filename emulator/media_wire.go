package emulator

// Request bodies of the media operations and the media options of call set-up, stable
// 2026-03-12. The CallMedia operations' identifiers arrive without `kind` (the SDK's CallMedia
// class leaves it out); identifierModel takes either form.

type callIntelligenceOptions struct {
	CognitiveServicesEndpoint string `json:"cognitiveServicesEndpoint,omitempty"`
}

type mediaStreamingOptions struct {
	TransportType       string `json:"transportType"`
	AudioChannelType    string `json:"audioChannelType"`
	TransportURL        string `json:"transportUrl,omitempty"`
	ContentType         string `json:"contentType,omitempty"`
	StartMediaStreaming *bool  `json:"startMediaStreaming,omitempty"`
	EnableBidirectional *bool  `json:"enableBidirectional,omitempty"`
	AudioFormat         string `json:"audioFormat,omitempty"`
	EnableDtmfTones     *bool  `json:"enableDtmfTones,omitempty"`
}

type transcriptionOptions struct {
	TransportType             string `json:"transportType"`
	Locale                    string `json:"locale"`
	TransportURL              string `json:"transportUrl,omitempty"`
	SpeechModelEndpointID     string `json:"speechModelEndpointId,omitempty"`
	StartTranscription        *bool  `json:"startTranscription,omitempty"`
	EnableIntermediateResults *bool  `json:"enableIntermediateResults,omitempty"`
}

type mediaStreamingSubscription struct {
	ID                     string   `json:"id"`
	State                  string   `json:"state"`
	SubscribedContentTypes []string `json:"subscribedContentTypes"`
}

type transcriptionSubscription struct {
	ID                    string   `json:"id"`
	State                 string   `json:"state"`
	SubscribedResultTypes []string `json:"subscribedResultTypes"`
	Locale                string   `json:"locale,omitempty"`
}

type playSource struct {
	Kind              string      `json:"kind"`
	PlaySourceCacheID string      `json:"playSourceCacheId,omitempty"`
	File              *fileSource `json:"file,omitempty"`
	Text              *textSource `json:"text,omitempty"`
	SSML              *ssmlSource `json:"ssml,omitempty"`
}

type fileSource struct {
	URI string `json:"uri"`
}

type textSource struct {
	Text                  string `json:"text"`
	SourceLocale          string `json:"sourceLocale,omitempty"`
	VoiceKind             string `json:"voiceKind,omitempty"`
	VoiceName             string `json:"voiceName,omitempty"`
	CustomVoiceEndpointID string `json:"customVoiceEndpointId,omitempty"`
}

type ssmlSource struct {
	SSMLText              string `json:"ssmlText"`
	CustomVoiceEndpointID string `json:"customVoiceEndpointId,omitempty"`
}

type playOptions struct {
	Loop bool `json:"loop"`
}

type playRequest struct {
	PlaySources                 []playSource      `json:"playSources"`
	PlayTo                      []identifierModel `json:"playTo"`
	InterruptCallMediaOperation bool              `json:"interruptCallMediaOperation,omitempty"`
	PlayOptions                 *playOptions      `json:"playOptions,omitempty"`
	OperationContext            string            `json:"operationContext,omitempty"`
	OperationCallbackURI        string            `json:"operationCallbackUri,omitempty"`
}

type recognizeRequest struct {
	RecognizeInputType          string            `json:"recognizeInputType"`
	PlayPrompt                  *playSource       `json:"playPrompt,omitempty"`
	PlayPrompts                 []playSource      `json:"playPrompts,omitempty"`
	InterruptCallMediaOperation bool              `json:"interruptCallMediaOperation,omitempty"`
	RecognizeOptions            *recognizeOptions `json:"recognizeOptions"`
	OperationContext            string            `json:"operationContext,omitempty"`
	OperationCallbackURI        string            `json:"operationCallbackUri,omitempty"`
}

type recognizeOptions struct {
	InterruptPrompt                  *bool              `json:"interruptPrompt,omitempty"`
	InitialSilenceTimeoutInSeconds   *int               `json:"initialSilenceTimeoutInSeconds,omitempty"`
	TargetParticipant                *identifierModel   `json:"targetParticipant"`
	SpeechLanguage                   string             `json:"speechLanguage,omitempty"`
	SpeechRecognitionModelEndpointID string             `json:"speechRecognitionModelEndpointId,omitempty"`
	DtmfOptions                      *dtmfOptions       `json:"dtmfOptions,omitempty"`
	Choices                          []recognizeChoice  `json:"choices,omitempty"`
	SpeechOptions                    *speechOptionsWire `json:"speechOptions,omitempty"`
}

type dtmfOptions struct {
	InterToneTimeoutInSeconds *int     `json:"interToneTimeoutInSeconds,omitempty"`
	MaxTonesToCollect         *int     `json:"maxTonesToCollect,omitempty"`
	StopTones                 []string `json:"stopTones,omitempty"`
}

type speechOptionsWire struct {
	EndSilenceTimeoutInMs *int64 `json:"endSilenceTimeoutInMs,omitempty"`
}

type recognizeChoice struct {
	Label   string   `json:"label"`
	Phrases []string `json:"phrases"`
	Tone    string   `json:"tone,omitempty"`
}

type continuousDtmfRequest struct {
	TargetParticipant    *identifierModel `json:"targetParticipant"`
	OperationContext     string           `json:"operationContext,omitempty"`
	OperationCallbackURI string           `json:"operationCallbackUri,omitempty"`
}

type sendDtmfTonesRequest struct {
	Tones                []string         `json:"tones"`
	TargetParticipant    *identifierModel `json:"targetParticipant"`
	OperationContext     string           `json:"operationContext,omitempty"`
	OperationCallbackURI string           `json:"operationCallbackUri,omitempty"`
}

type holdRequest struct {
	TargetParticipant    *identifierModel `json:"targetParticipant"`
	PlaySourceInfo       *playSource      `json:"playSourceInfo,omitempty"`
	OperationContext     string           `json:"operationContext,omitempty"`
	OperationCallbackURI string           `json:"operationCallbackUri,omitempty"`
}

type unholdRequest struct {
	TargetParticipant    *identifierModel `json:"targetParticipant"`
	OperationContext     string           `json:"operationContext,omitempty"`
	OperationCallbackURI string           `json:"operationCallbackUri,omitempty"`
}

// Results of RecognizeCompleted.
type dtmfResult struct {
	Tones []string `json:"tones"`
}

type choiceResult struct {
	Label            string `json:"label"`
	RecognizedPhrase string `json:"recognizedPhrase,omitempty"`
}

type speechResult struct {
	Speech string `json:"speech"`
}
