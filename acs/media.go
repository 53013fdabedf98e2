package acs

import (
	"context"
	"net/http"
)

// CallMediaIdentifier is an Identifier as the CallMedia operations send it: rawId and the kind
// object, without `kind` (the official SDKs' CallMedia class serializes identifiers that way; the
// kind is implied by the object that is present). Call-connection and recording requests send
// Identifier, with its kind. Convert with CallMediaIdentifier(id).
type CallMediaIdentifier Identifier

// MarshalJSON encodes the identifier as Identifier does, without the kind member.
func (id CallMediaIdentifier) MarshalJSON() ([]byte, error) {
	return Identifier(id).appendJSONKind(make([]byte, 0, 160), false), nil
}

// UnmarshalJSON decodes an identifier with or without its kind.
func (id *CallMediaIdentifier) UnmarshalJSON(data []byte) error {
	var i Identifier
	if err := i.UnmarshalJSON(data); err != nil {
		return err
	}
	*id = CallMediaIdentifier(i)
	return nil
}

// PlaySourceKind says which source a PlaySource carries.
type PlaySourceKind string

// Play source kinds (PlaySourceType).
const (
	PlaySourceFile PlaySourceKind = "file"
	PlaySourceText PlaySourceKind = "text"
	PlaySourceSSML PlaySourceKind = "ssml"
)

// PlaySource is audio to play: a file, text to speak or SSML, exactly one of them, with the
// matching Kind.
type PlaySource struct {
	Kind              PlaySourceKind `json:"kind"`
	PlaySourceCacheID string         `json:"playSourceCacheId,omitempty"`
	File              *FileSource    `json:"file,omitempty"`
	Text              *TextSource    `json:"text,omitempty"`
	SSML              *SSMLSource    `json:"ssml,omitempty"`
}

// FileSource is an audio file ACS downloads and plays (WAV, mono, 16 kHz).
type FileSource struct {
	URI string `json:"uri"`
}

// VoiceKind is the voice of a text source when no voice name is given.
type VoiceKind string

// Voice kinds.
const (
	VoiceMale   VoiceKind = "male"
	VoiceFemale VoiceKind = "female"
)

// TextSource is text spoken by the call's Azure AI services resource.
type TextSource struct {
	Text                  string    `json:"text"`
	SourceLocale          string    `json:"sourceLocale,omitempty"`
	VoiceKind             VoiceKind `json:"voiceKind,omitempty"`
	VoiceName             string    `json:"voiceName,omitempty"`
	CustomVoiceEndpointID string    `json:"customVoiceEndpointId,omitempty"`
}

// SSMLSource is SSML spoken by the call's Azure AI services resource.
type SSMLSource struct {
	SSMLText              string `json:"ssmlText"`
	CustomVoiceEndpointID string `json:"customVoiceEndpointId,omitempty"`
}

// Tone is a DTMF tone.
type Tone string

// DTMF tones (Tone).
const (
	ToneZero     Tone = "zero"
	ToneOne      Tone = "one"
	ToneTwo      Tone = "two"
	ToneThree    Tone = "three"
	ToneFour     Tone = "four"
	ToneFive     Tone = "five"
	ToneSix      Tone = "six"
	ToneSeven    Tone = "seven"
	ToneEight    Tone = "eight"
	ToneNine     Tone = "nine"
	ToneA        Tone = "a"
	ToneB        Tone = "b"
	ToneC        Tone = "c"
	ToneD        Tone = "d"
	TonePound    Tone = "pound"
	ToneAsterisk Tone = "asterisk"
)

// PlayOptions are the options of a play; the SDK always sends them.
type PlayOptions struct {
	Loop bool `json:"loop"`
}

// PlayRequest plays audio to everyone in the call (PlayTo empty) or to the given participants.
// The SDK sends "playTo": [] to play to everyone, so an empty PlayTo is sent as [].
type PlayRequest struct {
	CallConnectionID            string                `json:"-"`
	PlaySources                 []PlaySource          `json:"playSources"`
	PlayTo                      []CallMediaIdentifier `json:"playTo"`
	InterruptCallMediaOperation *bool                 `json:"interruptCallMediaOperation,omitempty"`
	PlayOptions                 PlayOptions           `json:"playOptions"`
	OperationContext            string                `json:"operationContext,omitempty"`
	OperationCallbackURI        string                `json:"operationCallbackUri,omitempty"`
}

// Play plays audio: POST /calling/callConnections/{id}:play (202). PlayCompleted or PlayFailed
// follows.
func (c *Client) Play(ctx context.Context, req *PlayRequest) error {
	if req == nil {
		return nilRequest()
	}
	body := *req
	if body.PlayTo == nil {
		body.PlayTo = []CallMediaIdentifier{}
	}
	return c.mediaPost(ctx, "Play", req.CallConnectionID, ":play", &body, nil, nil)
}

// RecognizeInputType is what a recognize listens for.
type RecognizeInputType string

// Recognize input types.
const (
	RecognizeDTMF         RecognizeInputType = "dtmf"
	RecognizeSpeech       RecognizeInputType = "speech"
	RecognizeSpeechOrDTMF RecognizeInputType = "speechOrDtmf"
	RecognizeChoices      RecognizeInputType = "choices"
)

// RecognizeRequest gathers input from one participant, optionally after a prompt.
type RecognizeRequest struct {
	CallConnectionID            string             `json:"-"`
	RecognizeInputType          RecognizeInputType `json:"recognizeInputType"`
	PlayPrompt                  *PlaySource        `json:"playPrompt,omitempty"`
	PlayPrompts                 []PlaySource       `json:"playPrompts,omitempty"`
	InterruptCallMediaOperation *bool              `json:"interruptCallMediaOperation,omitempty"`
	RecognizeOptions            RecognizeOptions   `json:"recognizeOptions"`
	OperationContext            string             `json:"operationContext,omitempty"`
	OperationCallbackURI        string             `json:"operationCallbackUri,omitempty"`
}

// RecognizeOptions are the options of a recognize, in the SDK's order. The numbers are pointers
// so that an explicit 0 (no initial silence allowed) can be sent; the SDK itself sends its
// defaults (5 s initial silence, 2 s between tones, 2000 ms end silence) when none is given.
type RecognizeOptions struct {
	InterruptPrompt                  *bool               `json:"interruptPrompt,omitempty"`
	InitialSilenceTimeoutInSeconds   *int32              `json:"initialSilenceTimeoutInSeconds,omitempty"`
	TargetParticipant                CallMediaIdentifier `json:"targetParticipant"`
	SpeechLanguage                   string              `json:"speechLanguage,omitempty"`
	SpeechRecognitionModelEndpointID string              `json:"speechRecognitionModelEndpointId,omitempty"`
	DtmfOptions                      *DtmfOptions        `json:"dtmfOptions,omitempty"`
	Choices                          []RecognitionChoice `json:"choices,omitempty"`
	SpeechOptions                    *SpeechOptions      `json:"speechOptions,omitempty"`
}

// DtmfOptions are the DTMF options of a recognize.
type DtmfOptions struct {
	InterToneTimeoutInSeconds *int32 `json:"interToneTimeoutInSeconds,omitempty"`
	MaxTonesToCollect         *int32 `json:"maxTonesToCollect,omitempty"`
	StopTones                 []Tone `json:"stopTones,omitempty"`
}

// SpeechOptions are the speech options of a recognize.
type SpeechOptions struct {
	EndSilenceTimeoutInMs *int64 `json:"endSilenceTimeoutInMs,omitempty"`
}

// RecognitionChoice is one choice of a choices recognize: recognized when the participant says
// one of its phrases or presses its tone.
type RecognitionChoice struct {
	Label   string   `json:"label"`
	Phrases []string `json:"phrases"`
	Tone    Tone     `json:"tone,omitempty"`
}

// Recognize starts recognizing input: POST /calling/callConnections/{id}:recognize (202).
// RecognizeCompleted or RecognizeFailed follows.
func (c *Client) Recognize(ctx context.Context, req *RecognizeRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "Recognize", req.CallConnectionID, ":recognize", req, nil, nil)
}

// ContinuousDtmfRecognitionRequest starts or stops continuous DTMF recognition of one
// participant.
type ContinuousDtmfRecognitionRequest struct {
	CallConnectionID     string              `json:"-"`
	TargetParticipant    CallMediaIdentifier `json:"targetParticipant"`
	OperationContext     string              `json:"operationContext,omitempty"`
	OperationCallbackURI string              `json:"operationCallbackUri,omitempty"`
}

// StartContinuousDtmfRecognition subscribes to the participant's tones: POST
// /calling/callConnections/{id}:startContinuousDtmfRecognition (200). One
// ContinuousDtmfRecognitionToneReceived follows per tone.
func (c *Client) StartContinuousDtmfRecognition(ctx context.Context, req *ContinuousDtmfRecognitionRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StartContinuousDtmfRecognition", req.CallConnectionID, ":startContinuousDtmfRecognition", req, nil, nil)
}

// StopContinuousDtmfRecognition unsubscribes: POST
// /calling/callConnections/{id}:stopContinuousDtmfRecognition (200).
// ContinuousDtmfRecognitionStopped follows when recognition was running.
func (c *Client) StopContinuousDtmfRecognition(ctx context.Context, req *ContinuousDtmfRecognitionRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "StopContinuousDtmfRecognition", req.CallConnectionID, ":stopContinuousDtmfRecognition", req, nil, nil)
}

// SendDtmfTonesRequest sends tones to a participant. It is repeatable (the SDK sends
// Repeatability-Request-ID).
type SendDtmfTonesRequest struct {
	CallConnectionID     string              `json:"-"`
	Tones                []Tone              `json:"tones"`
	TargetParticipant    CallMediaIdentifier `json:"targetParticipant"`
	OperationContext     string              `json:"operationContext,omitempty"`
	OperationCallbackURI string              `json:"operationCallbackUri,omitempty"`
	Repeatability        `json:"-"`
}

// SendDtmfTonesResponse answers SendDtmfTones.
type SendDtmfTonesResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

// SendDtmfTones sends tones: POST /calling/callConnections/{id}:sendDtmfTones (202).
// SendDtmfTonesCompleted or SendDtmfTonesFailed follows.
func (c *Client) SendDtmfTones(ctx context.Context, req *SendDtmfTonesRequest) (*SendDtmfTonesResponse, error) {
	if req == nil {
		return nil, nilRequest()
	}
	var out SendDtmfTonesResponse
	if err := c.mediaPost(ctx, "SendDtmfTones", req.CallConnectionID, ":sendDtmfTones", req, &req.Repeatability, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HoldRequest puts a participant on hold, optionally with music (PlaySourceInfo, played in a
// loop).
type HoldRequest struct {
	CallConnectionID     string              `json:"-"`
	TargetParticipant    CallMediaIdentifier `json:"targetParticipant"`
	PlaySourceInfo       *PlaySource         `json:"playSourceInfo,omitempty"`
	OperationContext     string              `json:"operationContext,omitempty"`
	OperationCallbackURI string              `json:"operationCallbackUri,omitempty"`
}

// Hold puts a participant on hold: POST /calling/callConnections/{id}:hold (200). HoldFailed
// follows if the hold music cannot be played.
func (c *Client) Hold(ctx context.Context, req *HoldRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "Hold", req.CallConnectionID, ":hold", req, nil, nil)
}

// UnholdRequest takes a participant off hold.
type UnholdRequest struct {
	CallConnectionID     string              `json:"-"`
	TargetParticipant    CallMediaIdentifier `json:"targetParticipant"`
	OperationContext     string              `json:"operationContext,omitempty"`
	OperationCallbackURI string              `json:"operationCallbackUri,omitempty"`
}

// Unhold takes a participant off hold: POST /calling/callConnections/{id}:unhold (200).
func (c *Client) Unhold(ctx context.Context, req *UnholdRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "Unhold", req.CallConnectionID, ":unhold", req, nil, nil)
}

// CancelAllMediaOperationsRequest cancels the call's running and queued plays and recognizes.
type CancelAllMediaOperationsRequest struct {
	CallConnectionID string
}

// CancelAllMediaOperations cancels them: POST
// /calling/callConnections/{id}:cancelAllMediaOperations (202), with no body, as the SDK sends
// it. PlayCanceled and RecognizeCanceled follow for what was cancelled.
func (c *Client) CancelAllMediaOperations(ctx context.Context, req *CancelAllMediaOperationsRequest) error {
	if req == nil {
		return nilRequest()
	}
	return c.mediaPost(ctx, "CancelAllMediaOperations", req.CallConnectionID, ":cancelAllMediaOperations", nil, nil, nil)
}

// mediaPost sends one POST custom method of a call connection: path checks, the body (nil for
// none), repeatability for the operations the SDK marks repeatable, and the answer into out.
func (c *Client) mediaPost(ctx context.Context, op, callConnectionID, verb string, body any, repeat *Repeatability, out any) error {
	if err := pathParameters("callConnectionId", callConnectionID); err != nil {
		return err
	}
	u, err := c.requestURL(callPath(callConnectionID) + verb)
	if err != nil {
		return err
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, url: u, body: body, repeat: repeat, callConnectionID: callConnectionID}, out)
}
