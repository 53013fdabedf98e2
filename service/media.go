package service

import (
	"context"
	"net/url"
	"strings"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// MediaServer serves callgate.v1.MediaService: ACS's CallMedia operations. Their identifiers go
// to ACS without `kind` (acs.CallMediaIdentifier), as the official SDKs send them.
type MediaServer struct {
	callgatev1.UnsafeMediaServiceServer
	*core
}

var _ callgatev1.MediaServiceServer = (*MediaServer)(nil)

// SDK defaults the gateway sends when a recognize gives none, so that a request is the same on
// the wire as the SDK's for the same inputs.
const (
	defaultInitialSilenceSeconds = 5
	defaultInterToneSeconds      = 2
	defaultEndSilenceMs          = 2000
	// ACS documents at most 20 s of initial silence for speech and choices (300 for DTMF).
	maxSpeechInitialSilenceSeconds = 20
	maxPlayPrompts                 = 10
)

// Play plays audio into the call.
func (s *MediaServer) Play(ctx context.Context, req *callgatev1.PlayRequest) (*callgatev1.PlayResponse, error) {
	return play.serve(ctx, s.core, req)
}

var play = unary[*callgatev1.PlayRequest, *callgatev1.PlayResponse, *acs.PlayRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.PlayRequest) (*acs.PlayRequest, outcome) {
		up := &acs.PlayRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			PlaySources:          v.playSources("play_sources", req.GetPlaySources()),
			PlayTo:               v.mediaTargets("play_to", req.GetPlayTo()),
			PlayOptions:          acs.PlayOptions{Loop: req.GetLoop()},
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
		}
		if req.InterruptCallMediaOperation != nil {
			up.InterruptCallMediaOperation = acs.Bool(req.GetInterruptCallMediaOperation())
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		if req.GetLoop() && v.wait > 0 {
			v.add("wait", "a looped play plays until it is cancelled: it has no outcome to wait for")
		}
		o := outcomePlay
		o.operationContext = up.OperationContext
		return up, o
	},
	call: noResult((*acs.Client).Play),
	respond: func(up *acs.PlayRequest, _ struct{}) *callgatev1.PlayResponse {
		return &callgatev1.PlayResponse{OperationContext: up.OperationContext}
	},
}

// Recognize recognizes a participant's input.
func (s *MediaServer) Recognize(ctx context.Context, req *callgatev1.RecognizeRequest) (*callgatev1.RecognizeResponse, error) {
	return recognize.serve(ctx, s.core, req)
}

var recognizeInputTypes = map[callgatev1.RecognizeInputType]acs.RecognizeInputType{
	callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_DTMF:           acs.RecognizeDTMF,
	callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH:         acs.RecognizeSpeech,
	callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_SPEECH_OR_DTMF: acs.RecognizeSpeechOrDTMF,
	callgatev1.RecognizeInputType_RECOGNIZE_INPUT_TYPE_CHOICES:        acs.RecognizeChoices,
}

var recognize = unary[*callgatev1.RecognizeRequest, *callgatev1.RecognizeResponse, *acs.RecognizeRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.RecognizeRequest) (*acs.RecognizeRequest, outcome) {
		kind := recognizeInputTypes[req.GetInputType()] // a declared rule refuses any other
		up := &acs.RecognizeRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			RecognizeInputType:   kind,
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
			RecognizeOptions: acs.RecognizeOptions{
				TargetParticipant:                acs.CallMediaIdentifier(v.identifier(at("target_participant"), req.GetTargetParticipant(), existing)),
				SpeechLanguage:                   req.GetSpeechLanguage(),
				SpeechRecognitionModelEndpointID: req.GetSpeechRecognitionModelEndpointId(),
			},
		}
		if p := req.GetPlayPrompt(); p != nil {
			src := v.playSource("play_prompt", p)
			up.PlayPrompt = &src
		}
		if len(req.GetPlayPrompts()) > 0 {
			up.PlayPrompts = v.playSources("play_prompts", req.GetPlayPrompts())
		}
		if n := len(req.GetPlayPrompts()); req.GetPlayPrompt() != nil && n+1 > maxPlayPrompts {
			v.add("play_prompts", "at most 10 prompts in all, play_prompt included")
		}
		if req.InterruptCallMediaOperation != nil {
			up.InterruptCallMediaOperation = acs.Bool(req.GetInterruptCallMediaOperation())
		}
		o := &up.RecognizeOptions
		if req.InterruptPrompt != nil {
			o.InterruptPrompt = acs.Bool(req.GetInterruptPrompt())
		}
		silence := int32(defaultInitialSilenceSeconds)
		if req.InitialSilenceTimeoutSeconds != nil {
			silence = req.GetInitialSilenceTimeoutSeconds()
		}
		if (kind == acs.RecognizeSpeech || kind == acs.RecognizeChoices) && silence > maxSpeechInitialSilenceSeconds {
			v.add("initial_silence_timeout_seconds", "must be at most 20 for speech and choices (ACS's documented range)")
		}
		o.InitialSilenceTimeoutInSeconds = &silence

		dtmf := kind == acs.RecognizeDTMF || kind == acs.RecognizeSpeechOrDTMF
		speech := kind == acs.RecognizeSpeech || kind == acs.RecognizeSpeechOrDTMF
		switch d := req.GetDtmfOptions(); {
		case dtmf && d == nil:
			v.add("dtmf_options", "required to recognize "+string(kind)+": max_tones_to_collect at least")
		case !dtmf && d != nil:
			v.add("dtmf_options", "only for RECOGNIZE_INPUT_TYPE_DTMF and _SPEECH_OR_DTMF")
		case dtmf:
			o.DtmfOptions = dtmfOptions(d)
		}
		switch sp := req.GetSpeechOptions(); {
		case !speech && sp != nil:
			v.add("speech_options", "only for RECOGNIZE_INPUT_TYPE_SPEECH and _SPEECH_OR_DTMF")
		case speech:
			ms := int64(defaultEndSilenceMs)
			if sp != nil && sp.EndSilenceTimeoutMs != nil {
				ms = sp.GetEndSilenceTimeoutMs()
			}
			o.SpeechOptions = &acs.SpeechOptions{EndSilenceTimeoutInMs: &ms}
		}
		switch choices := req.GetChoices(); {
		case kind == acs.RecognizeChoices && len(choices) == 0:
			v.add("choices", "required to recognize choices: at least one")
		case kind != acs.RecognizeChoices && len(choices) > 0:
			v.add("choices", "only for RECOGNIZE_INPUT_TYPE_CHOICES")
		default:
			o.Choices = recognitionChoices(choices)
			v.choiceTones(choices)
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		out := outcomeRecognize
		out.operationContext = up.OperationContext
		return up, out
	},
	call: noResult((*acs.Client).Recognize),
	respond: func(up *acs.RecognizeRequest, _ struct{}) *callgatev1.RecognizeResponse {
		return &callgatev1.RecognizeResponse{OperationContext: up.OperationContext}
	},
}

func dtmfOptions(d *callgatev1.DtmfOptions) *acs.DtmfOptions {
	maxTones := d.GetMaxTonesToCollect()
	interTone := int32(defaultInterToneSeconds)
	if d.InterToneTimeoutSeconds != nil {
		interTone = d.GetInterToneTimeoutSeconds()
	}
	out := &acs.DtmfOptions{MaxTonesToCollect: &maxTones, InterToneTimeoutInSeconds: &interTone}
	for _, t := range d.GetStopTones() {
		out.StopTones = append(out.StopTones, tone(t))
	}
	return out
}

// choiceTones checks that every choice has a tone or none has: ACS recognizes tones only then
// ("You must either pass a tone for every single choice ... otherwise no tone should be sent").
func (v *validator) choiceTones(choices []*callgatev1.RecognitionChoice) {
	with := 0
	for _, c := range choices {
		if c.GetTone() != callgatev1.DtmfTone_DTMF_TONE_UNSPECIFIED {
			with++
		}
	}
	if with == 0 || with == len(choices) {
		return
	}
	for i, c := range choices {
		if c.GetTone() == callgatev1.DtmfTone_DTMF_TONE_UNSPECIFIED {
			v.add(fieldIndex("choices", i)+".tone", "every choice needs a tone when one has one")
		}
	}
}

func recognitionChoices(in []*callgatev1.RecognitionChoice) []acs.RecognitionChoice {
	if len(in) == 0 {
		return nil
	}
	out := make([]acs.RecognitionChoice, len(in))
	for i, c := range in {
		out[i] = acs.RecognitionChoice{Label: c.GetLabel(), Phrases: c.GetPhrases()}
		if c.GetTone() != callgatev1.DtmfTone_DTMF_TONE_UNSPECIFIED {
			out[i].Tone = tone(c.GetTone())
		}
	}
	return out
}

// StartContinuousDtmfRecognition starts recognizing a participant's tones one by one.
func (s *MediaServer) StartContinuousDtmfRecognition(ctx context.Context, req *callgatev1.StartContinuousDtmfRecognitionRequest) (*callgatev1.StartContinuousDtmfRecognitionResponse, error) {
	return startContinuousDtmf.serve(ctx, s.core, req)
}

var startContinuousDtmf = unary[*callgatev1.StartContinuousDtmfRecognitionRequest, *callgatev1.StartContinuousDtmfRecognitionResponse, *acs.ContinuousDtmfRecognitionRequest, struct{}]{
	build: buildContinuousDtmf[*callgatev1.StartContinuousDtmfRecognitionRequest],
	call:  noResult((*acs.Client).StartContinuousDtmfRecognition),
	respond: func(*acs.ContinuousDtmfRecognitionRequest, struct{}) *callgatev1.StartContinuousDtmfRecognitionResponse {
		return &callgatev1.StartContinuousDtmfRecognitionResponse{}
	},
}

// StopContinuousDtmfRecognition stops it.
func (s *MediaServer) StopContinuousDtmfRecognition(ctx context.Context, req *callgatev1.StopContinuousDtmfRecognitionRequest) (*callgatev1.StopContinuousDtmfRecognitionResponse, error) {
	return stopContinuousDtmf.serve(ctx, s.core, req)
}

var stopContinuousDtmf = unary[*callgatev1.StopContinuousDtmfRecognitionRequest, *callgatev1.StopContinuousDtmfRecognitionResponse, *acs.ContinuousDtmfRecognitionRequest, struct{}]{
	build: buildContinuousDtmf[*callgatev1.StopContinuousDtmfRecognitionRequest],
	call:  noResult((*acs.Client).StopContinuousDtmfRecognition),
	respond: func(*acs.ContinuousDtmfRecognitionRequest, struct{}) *callgatev1.StopContinuousDtmfRecognitionResponse {
		return &callgatev1.StopContinuousDtmfRecognitionResponse{}
	},
}

// continuousDtmfRequest is what starting and stopping continuous recognition both carry.
type continuousDtmfRequest interface {
	GetCallConnectionId() string
	GetTargetParticipant() *callgatev1.CommunicationIdentifier
	GetOperationContext() string
	GetOperationCallbackUri() string
}

func buildContinuousDtmf[R continuousDtmfRequest](_ *core, v *validator, req R) (*acs.ContinuousDtmfRecognitionRequest, outcome) {
	v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
	return &acs.ContinuousDtmfRecognitionRequest{
		CallConnectionID:     req.GetCallConnectionId(),
		TargetParticipant:    acs.CallMediaIdentifier(v.identifier(at("target_participant"), req.GetTargetParticipant(), existing)),
		OperationContext:     req.GetOperationContext(),
		OperationCallbackURI: req.GetOperationCallbackUri(),
	}, outcome{}
}

// SendDtmfTones sends tones to a participant.
func (s *MediaServer) SendDtmfTones(ctx context.Context, req *callgatev1.SendDtmfTonesRequest) (*callgatev1.SendDtmfTonesResponse, error) {
	return sendDtmfTones.serve(ctx, s.core, req)
}

var sendDtmfTones = unary[*callgatev1.SendDtmfTonesRequest, *callgatev1.SendDtmfTonesResponse, *acs.SendDtmfTonesRequest, *acs.SendDtmfTonesResponse]{
	build: func(_ *core, v *validator, req *callgatev1.SendDtmfTonesRequest) (*acs.SendDtmfTonesRequest, outcome) {
		up := &acs.SendDtmfTonesRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			TargetParticipant:    acs.CallMediaIdentifier(v.identifier(at("target_participant"), req.GetTargetParticipant(), existing)),
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
			Repeatability:        acs.Repeatability{RequestID: req.GetRequestId()},
		}
		for _, t := range req.GetTones() {
			up.Tones = append(up.Tones, tone(t))
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		o := outcomeSendDtmf
		o.operationContext = up.OperationContext
		return up, o
	},
	call: (*acs.Client).SendDtmfTones,
	respond: func(up *acs.SendDtmfTonesRequest, res *acs.SendDtmfTonesResponse) *callgatev1.SendDtmfTonesResponse {
		return &callgatev1.SendDtmfTonesResponse{OperationContext: firstNonEmpty(res.OperationContext, up.OperationContext)}
	},
}

// Hold puts a participant on hold.
func (s *MediaServer) Hold(ctx context.Context, req *callgatev1.HoldRequest) (*callgatev1.HoldResponse, error) {
	return hold.serve(ctx, s.core, req)
}

var hold = unary[*callgatev1.HoldRequest, *callgatev1.HoldResponse, *acs.HoldRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.HoldRequest) (*acs.HoldRequest, outcome) {
		target := v.identifier(at("target_participant"), req.GetTargetParticipant(), existing)
		up := &acs.HoldRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			TargetParticipant:    acs.CallMediaIdentifier(target),
			OperationContext:     v.operationContext(req.GetOperationContext()),
			OperationCallbackURI: req.GetOperationCallbackUri(),
		}
		if p := req.GetPlaySource(); p != nil {
			src := v.playSource("play_source", p)
			up.PlaySourceInfo = &src
		}
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		o := outcomeHold
		o.operationContext = up.OperationContext
		o.onHold = target.Raw()
		return up, o
	},
	call: noResult((*acs.Client).Hold),
	respond: func(up *acs.HoldRequest, _ struct{}) *callgatev1.HoldResponse {
		return &callgatev1.HoldResponse{OperationContext: up.OperationContext}
	},
}

// Unhold takes a participant off hold.
func (s *MediaServer) Unhold(ctx context.Context, req *callgatev1.UnholdRequest) (*callgatev1.UnholdResponse, error) {
	return unhold.serve(ctx, s.core, req)
}

var unhold = unary[*callgatev1.UnholdRequest, *callgatev1.UnholdResponse, *acs.UnholdRequest, struct{}]{
	build: func(_ *core, v *validator, req *callgatev1.UnholdRequest) (*acs.UnholdRequest, outcome) {
		v.callbackURI("operation_callback_uri", req.GetOperationCallbackUri())
		return &acs.UnholdRequest{
			CallConnectionID:     req.GetCallConnectionId(),
			TargetParticipant:    acs.CallMediaIdentifier(v.identifier(at("target_participant"), req.GetTargetParticipant(), existing)),
			OperationContext:     req.GetOperationContext(),
			OperationCallbackURI: req.GetOperationCallbackUri(),
		}, outcome{}
	},
	call: noResult((*acs.Client).Unhold),
	respond: func(*acs.UnholdRequest, struct{}) *callgatev1.UnholdResponse {
		return &callgatev1.UnholdResponse{}
	},
}

// CancelAllMediaOperations cancels the running and queued plays and recognizes.
func (s *MediaServer) CancelAllMediaOperations(ctx context.Context, req *callgatev1.CancelAllMediaOperationsRequest) (*callgatev1.CancelAllMediaOperationsResponse, error) {
	return cancelAllMedia.serve(ctx, s.core, req)
}

var cancelAllMedia = unary[*callgatev1.CancelAllMediaOperationsRequest, *callgatev1.CancelAllMediaOperationsResponse, *acs.CancelAllMediaOperationsRequest, struct{}]{
	build: func(_ *core, _ *validator, req *callgatev1.CancelAllMediaOperationsRequest) (*acs.CancelAllMediaOperationsRequest, outcome) {
		return &acs.CancelAllMediaOperationsRequest{CallConnectionID: req.GetCallConnectionId()}, outcome{}
	},
	call: noResult((*acs.Client).CancelAllMediaOperations),
	respond: func(*acs.CancelAllMediaOperationsRequest, struct{}) *callgatev1.CancelAllMediaOperationsResponse {
		return &callgatev1.CancelAllMediaOperationsResponse{}
	},
}

// mediaTargets checks and converts the participants a media operation targets: none twice.
func (v *validator) mediaTargets(field string, ids []*callgatev1.CommunicationIdentifier) []acs.CallMediaIdentifier {
	if len(ids) == 0 {
		return nil
	}
	out := make([]acs.CallMediaIdentifier, len(ids))
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		t := v.identifier(elem(field, i), id, existing)
		out[i] = acs.CallMediaIdentifier(t)
		if t.RawID == "" {
			continue
		}
		if j, ok := seen[t.RawID]; ok {
			v.add(fieldIndex(field, i), "repeats "+fieldIndex(field, j))
		} else {
			seen[t.RawID] = i
		}
	}
	return out
}

func (v *validator) playSources(field string, in []*callgatev1.PlaySource) []acs.PlaySource {
	out := make([]acs.PlaySource, len(in))
	for i, s := range in {
		out[i] = v.playSource(fieldIndex(field, i), s)
	}
	return out
}

// playSource converts a play source; which one is set, and its bounds, are declared rules.
func (v *validator) playSource(field string, s *callgatev1.PlaySource) acs.PlaySource {
	out := acs.PlaySource{PlaySourceCacheID: s.GetPlaySourceCacheId()}
	switch src := s.GetSource().(type) {
	case *callgatev1.PlaySource_File:
		out.Kind, out.File = acs.PlaySourceFile, &acs.FileSource{URI: src.File.GetUri()}
		if !isAudioURL(src.File.GetUri()) {
			v.add(field+".file.uri", "must be an absolute http or https URL")
		}
	case *callgatev1.PlaySource_Text:
		t := src.Text
		out.Kind, out.Text = acs.PlaySourceText, &acs.TextSource{
			Text: t.GetText(), SourceLocale: t.GetSourceLocale(), VoiceName: t.GetVoiceName(),
			CustomVoiceEndpointID: t.GetCustomVoiceEndpointId(), VoiceKind: voiceKinds[t.GetVoiceKind()],
		}
	case *callgatev1.PlaySource_Ssml:
		out.Kind, out.SSML = acs.PlaySourceSSML, &acs.SSMLSource{SSMLText: src.Ssml.GetSsmlText(), CustomVoiceEndpointID: src.Ssml.GetCustomVoiceEndpointId()}
	}
	return out
}

var voiceKinds = map[callgatev1.VoiceKind]acs.VoiceKind{
	callgatev1.VoiceKind_VOICE_KIND_MALE:   acs.VoiceMale,
	callgatev1.VoiceKind_VOICE_KIND_FEMALE: acs.VoiceFemale,
}

// isAudioURL reports an absolute http(s) URL: what ACS can download a file from.
func isAudioURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") && u.User == nil
}

// tone is the ACS name of a tone: DTMF_TONE_POUND is "pound". Declared rules refuse the
// unspecified tone in requests.
func tone(t callgatev1.DtmfTone) acs.Tone {
	return acs.Tone(strings.ToLower(strings.TrimPrefix(t.String(), "DTMF_TONE_")))
}
