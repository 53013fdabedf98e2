package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// The media of a call connection, as the emulator simulates it (README, "Media"): plays and
// recognizes run one at a time, in the order they were asked for; continuous DTMF recognition,
// sent tones and hold run beside them. Everything happens under Emulator.mu, on the scheduler's
// timers, so Close stops it all.

// Simulated durations, short enough for tests: text is spoken at 40 ms a character within
// [0.5 s, 10 s]; a file plays for a second unless the control API says otherwise; a sent tone
// takes 100 ms and the gap after it another 100 ms.
const (
	textPerRune       = 40 * time.Millisecond
	minTextDuration   = 500 * time.Millisecond
	maxTextDuration   = 10 * time.Second
	defaultFileLength = time.Second
	sentToneDuration  = 200 * time.Millisecond

	// The API's defaults when a recognize gives none (the SDKs send them anyway).
	defaultInitialSilence = 5 * time.Second
	defaultInterTone      = 2 * time.Second
	defaultMaxTones       = 1
)

// File scripts how the emulator plays one audio file URL (control API PUT /emulator/v1/files).
type File struct {
	// URL is the file's uri, as play sources give it.
	URL string `json:"url"`
	// Duration is how long it plays; default 1s.
	Duration *Duration `json:"duration,omitempty"`
	// Unplayable makes every play of it fail, as a file of the wrong format does (8535).
	Unplayable bool `json:"unplayable,omitempty"`
}

func (f File) validate() error {
	if err := fileURI(f.URL); err != nil {
		return fmt.Errorf("url %v", err)
	}
	if f.Duration != nil && f.Duration.D <= 0 {
		return errors.New("duration must be positive")
	}
	return nil
}

// SetFile scripts an audio file; a File with only its URL restores the default.
func (e *Emulator) SetFile(f File) error {
	if err := f.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if f.Duration == nil && !f.Unplayable {
		delete(e.files, f.URL)
		return nil
	}
	e.files[f.URL] = f
	return nil
}

// mediaState is a call connection's media.
type mediaState struct {
	current *mediaOp   // the play or recognize running
	queue   []*mediaOp // those waiting behind it
	// dtmfSeq is the sequenceId of the last ContinuousDtmfRecognitionToneReceived: 1 for the
	// connection's first tone.
	dtmfSeq    int32
	continuous map[string]continuousSub // participants whose tones are recognized, by raw ID
	sends      map[*sendOp]bool         // tones being sent
}

type continuousSub struct{ operationContext, callback string }

// sendOp is one sendDtmfTones in progress.
type sendOp struct{ stop func() bool }

// Media operation kinds.
const (
	opPlay      = "play"
	opRecognize = "recognize"
)

// mediaOp is one play or recognize.
type mediaOp struct {
	kind             string
	c                *callConn
	operationContext string
	callback         string
	sources          []playSource // what a play plays; a recognize's prompt
	loop             bool
	rec              *recognition // recognize only
	stop             func() bool  // the play's timer
}

// recognition is the state of a recognize.
type recognition struct {
	inputType       string
	target          string // raw ID of the participant listened to
	interruptPrompt bool
	initialSilence  time.Duration
	interTone       time.Duration
	maxTones        int
	stopTones       map[string]bool
	choices         []recognizeChoice

	prompting bool // the prompt is playing
	listening bool // input counts
	heard     bool // input has come: the initial silence is over
	tones     []string

	promptStop, silenceStop, interToneStop func() bool
}

func (op *mediaOp) stopTimers() {
	stops := []func() bool{op.stop}
	if r := op.rec; r != nil {
		stops = append(stops, r.promptStop, r.silenceStop, r.interToneStop)
	}
	for _, stop := range stops {
		if stop != nil {
			stop()
		}
	}
}

// emitOpLocked raises one event of op, with its operation context, to its callback.
func (e *Emulator) emitOpLocked(op *mediaOp, kind string, d eventData) {
	d.OperationContext = op.operationContext
	e.emitLocked(op.c, kind, op.callback, d)
}

// enqueueMediaLocked runs op when the media operations before it are done. With interrupt, op
// cancels the running one (its Canceled event) and runs at once; the queued ones wait on.
func (e *Emulator) enqueueMediaLocked(op *mediaOp, interrupt bool) {
	m := &op.c.media
	if interrupt && m.current != nil {
		e.cancelOpLocked(m.current)
		m.current = nil
	}
	if m.current != nil {
		m.queue = append(m.queue, op)
		return
	}
	e.startOpLocked(op)
}

func (e *Emulator) startOpLocked(op *mediaOp) {
	op.c.media.current = op
	switch op.kind {
	case opPlay:
		e.startPlayLocked(op)
	case opRecognize:
		e.startRecognizeLocked(op)
	}
}

// finishOpLocked ends op, which has raised its last event, and starts the next one.
func (e *Emulator) finishOpLocked(op *mediaOp) {
	op.stopTimers()
	m := &op.c.media
	if m.current != op {
		return
	}
	m.current = nil
	for m.current == nil && len(m.queue) > 0 && op.c.live() {
		next := m.queue[0]
		m.queue = m.queue[1:]
		e.startOpLocked(next)
	}
}

// cancelOpLocked stops op and raises its Canceled event (400/8508).
func (e *Emulator) cancelOpLocked(op *mediaOp) {
	op.stopTimers()
	res := resultMediaCanceled
	kind := evPlayCanceled
	if op.kind == opRecognize {
		kind = evRecognizeCanceled
	}
	e.emitOpLocked(op, kind, eventData{ResultInformation: &res})
}

// cancelAllMediaLocked cancels the running operation and every queued one, in order.
func (e *Emulator) cancelAllMediaLocked(c *callConn) {
	m := &c.media
	ops := m.queue
	if m.current != nil {
		ops = append([]*mediaOp{m.current}, ops...)
	}
	m.current, m.queue = nil, nil
	for _, op := range ops {
		e.cancelOpLocked(op)
	}
}

// stopMediaLocked drops c's media without events: the call is over.
func (e *Emulator) stopMediaLocked(c *callConn) {
	m := &c.media
	if m.current != nil {
		m.current.stopTimers()
	}
	for s := range m.sends {
		s.stop()
	}
	m.current, m.queue, m.continuous, m.sends = nil, nil, nil, nil
	e.stopStreamLocked(c, streamMedia, false, "", "")
	e.stopStreamLocked(c, streamTranscription, false, "", "")
}

// afterOpLocked runs f under mu once d has passed, if op is still its call's running operation
// and the call is live; the returned stop cancels it.
func (e *Emulator) afterOpLocked(op *mediaOp, d time.Duration, f func()) func() bool {
	return e.sched.after(d, func() {
		e.mu.Lock()
		defer e.unlockAndFlush()
		if op.c.media.current != op || !op.c.live() {
			return
		}
		f()
	})
}

func (e *Emulator) startPlayLocked(op *mediaOp) {
	if i := e.unplayableLocked(op.sources); i >= 0 {
		// The live service answers a file it cannot play with PlayFailed alone.
		idx := int32(i)
		res := resultFileInvalid
		e.emitOpLocked(op, evPlayFailed, eventData{FailedPlaySourceIndex: &idx, ResultInformation: &res})
		e.finishOpLocked(op)
		return
	}
	res := resultActionCompleted
	e.emitOpLocked(op, evPlayStarted, eventData{ResultInformation: &res})
	if op.loop {
		// A looped play plays until it is cancelled: nothing to time.
		return
	}
	op.stop = e.afterOpLocked(op, e.durationLocked(op.sources), func() {
		res := resultActionCompleted
		e.emitOpLocked(op, evPlayCompleted, eventData{ResultInformation: &res})
		e.finishOpLocked(op)
	})
}

// unplayableLocked is the index of the first source the emulator cannot play (-1 for none): a
// file whose path does not end in .wav or .mp3, or that the control API marks unplayable.
func (e *Emulator) unplayableLocked(sources []playSource) int {
	for i, s := range sources {
		if s.File != nil && !e.playableLocked(s.File.URI) {
			return i
		}
	}
	return -1
}

func (e *Emulator) playableLocked(uri string) bool {
	if f, ok := e.files[uri]; ok && f.Unplayable {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	p := strings.ToLower(u.Path)
	return strings.HasSuffix(p, ".wav") || strings.HasSuffix(p, ".mp3")
}

func (e *Emulator) durationLocked(sources []playSource) time.Duration {
	var total time.Duration
	for _, s := range sources {
		switch {
		case s.File != nil:
			d := defaultFileLength
			if f, ok := e.files[s.File.URI]; ok && f.Duration != nil {
				d = f.Duration.D
			}
			total += d
		case s.Text != nil:
			total += textDuration(s.Text.Text)
		case s.SSML != nil:
			total += textDuration(spokenText(s.SSML.SSMLText))
		}
	}
	return total
}

func textDuration(text string) time.Duration {
	d := time.Duration(runeCount(text)) * textPerRune
	return min(max(d, minTextDuration), maxTextDuration)
}

func (e *Emulator) startRecognizeLocked(op *mediaOp) {
	r := op.rec
	if len(op.sources) > 0 {
		if i := e.unplayableLocked(op.sources); i >= 0 {
			idx := int32(i)
			res := resultPromptFailed
			e.emitOpLocked(op, evRecognizeFailed, eventData{FailedPlaySourceIndex: &idx, ResultInformation: &res})
			e.finishOpLocked(op)
			return
		}
		res := resultActionCompleted
		e.emitOpLocked(op, evPlayStarted, eventData{ResultInformation: &res})
		r.prompting = true
		r.promptStop = e.afterOpLocked(op, e.durationLocked(op.sources), func() {
			r.prompting = false
			e.listenLocked(op)
		})
		if r.interruptPrompt {
			// Input may cut the prompt short: it counts from the prompt's start.
			e.startListeningLocked(op)
		}
		return
	}
	e.listenLocked(op)
}

// listenLocked is the end of the prompt (or a recognize without one): input counts, and the
// initial silence starts.
func (e *Emulator) listenLocked(op *mediaOp) {
	r := op.rec
	if !r.listening {
		e.startListeningLocked(op)
		if op.c.media.current != op {
			return // the scripted answer finished it
		}
	}
	if !r.heard {
		r.silenceStop = e.afterOpLocked(op, r.initialSilence, func() {
			e.recognizeFailedLocked(op, resultInitialSilence)
		})
	}
}

// startListeningLocked makes input count and gives the target's next scripted answer.
func (e *Emulator) startListeningLocked(op *mediaOp) {
	op.rec.listening = true
	a, ok := e.nextAnswerLocked(op.rec.target)
	if !ok {
		return
	}
	switch {
	case a.Tones != "":
		tones, _ := parseKeys(a.Tones) // validated when scripted
		for _, t := range tones {
			if op.c.media.current != op {
				return
			}
			e.recognizeToneLocked(op, t)
		}
	case a.Speech != "":
		e.recognizeSpeechLocked(op, a.Speech)
	case a.Choice != "":
		e.recognizeSpeechLocked(op, choicePhrase(op.rec.choices, a.Choice))
	}
}

// choicePhrase is what a participant picking the choice labelled label says: its first phrase,
// or the label itself when no choice has it (which matches nothing, or is plain speech).
func choicePhrase(choices []recognizeChoice, label string) string {
	for _, ch := range choices {
		if strings.EqualFold(ch.Label, label) && len(ch.Phrases) > 0 {
			return ch.Phrases[0]
		}
	}
	return label
}

// nextAnswerLocked takes the first scripted recognize answer of the endpoint.
func (e *Emulator) nextAnswerLocked(rawID string) (RecognizeAnswer, bool) {
	b, ok := e.endpoints[rawID]
	if !ok || len(b.Recognize) == 0 {
		return RecognizeAnswer{}, false
	}
	a := b.Recognize[0]
	b.Recognize = b.Recognize[1:]
	if b.isZero() {
		delete(e.endpoints, rawID)
	} else {
		e.endpoints[rawID] = b
	}
	return a, true
}

// heardLocked notes the first input: the initial silence is over, and the prompt stops.
func (e *Emulator) heardLocked(op *mediaOp) {
	r := op.rec
	if r.prompting {
		r.prompting = false
		r.promptStop()
	}
	if r.silenceStop != nil {
		r.silenceStop()
	}
	r.heard = true
}

func (e *Emulator) recognizeToneLocked(op *mediaOp, tone string) {
	r := op.rec
	if !r.listening || r.inputType == inputSpeech {
		return
	}
	e.heardLocked(op)
	if r.inputType == inputChoices {
		for _, ch := range r.choices {
			if ch.Tone == tone {
				res := resultDtmfOptionMatched
				e.recognizeCompletedLocked(op, eventData{RecognitionType: inputChoices, ChoiceResult: &choiceResult{Label: ch.Label}, ResultInformation: &res})
				return
			}
		}
		e.recognizeFailedLocked(op, resultIncorrectTone)
		return
	}
	if r.stopTones[tone] {
		// The stop tone ends the input; it is not part of it.
		res := resultStopTone
		e.recognizeCompletedLocked(op, eventData{RecognitionType: inputDTMF, DtmfResult: &dtmfResult{Tones: r.collected()}, ResultInformation: &res})
		return
	}
	r.tones = append(r.tones, tone)
	if len(r.tones) >= r.maxTones {
		res := resultMaxDigits
		e.recognizeCompletedLocked(op, eventData{RecognitionType: inputDTMF, DtmfResult: &dtmfResult{Tones: r.collected()}, ResultInformation: &res})
		return
	}
	if r.interToneStop != nil {
		r.interToneStop()
	}
	r.interToneStop = e.afterOpLocked(op, r.interTone, func() {
		e.recognizeFailedLocked(op, resultInterDigit)
	})
}

func (r *recognition) collected() []string {
	if r.tones == nil {
		return []string{}
	}
	return append([]string(nil), r.tones...)
}

func (e *Emulator) recognizeSpeechLocked(op *mediaOp, text string) {
	r := op.rec
	if !r.listening || r.inputType == inputDTMF || (r.inputType == inputSpeechOrDTMF && len(r.tones) > 0) {
		// Not listening for speech, or the participant started pressing keys.
		return
	}
	e.heardLocked(op)
	if r.inputType == inputChoices {
		said := strings.TrimSpace(text)
		for _, ch := range r.choices {
			for _, phrase := range ch.Phrases {
				if strings.EqualFold(strings.TrimSpace(phrase), said) {
					res := resultSpeechOption
					e.recognizeCompletedLocked(op, eventData{RecognitionType: inputChoices, ChoiceResult: &choiceResult{Label: ch.Label, RecognizedPhrase: phrase}, ResultInformation: &res})
					return
				}
			}
		}
		e.recognizeFailedLocked(op, resultNoOptionMatched)
		return
	}
	res := resultSpeechRecognized
	e.recognizeCompletedLocked(op, eventData{RecognitionType: inputSpeech, SpeechResult: &speechResult{Speech: text}, ResultInformation: &res})
}

func (e *Emulator) recognizeCompletedLocked(op *mediaOp, d eventData) {
	e.emitOpLocked(op, evRecognizeCompleted, d)
	e.finishOpLocked(op)
}

func (e *Emulator) recognizeFailedLocked(op *mediaOp, res resultInformation) {
	e.emitOpLocked(op, evRecognizeFailed, eventData{ResultInformation: &res})
	e.finishOpLocked(op)
}

// participantInputLocked is input from a simulated participant of v: tones (tone names) or
// speech. Every application connection of the call hears it: its continuous DTMF recognition
// of the participant, and its running recognize when that listens to the participant. Input
// with nothing listening is dropped.
func (e *Emulator) participantInputLocked(v *conversation, from string, tones []string, speech string) {
	if h := v.hub; h != nil {
		// What takes the call's audio hears it: keys as DTMF (and DtmfData), speech as tones
		// (and its transcription).
		if len(tones) > 0 {
			h.voice(from, keyTones(tones))
			for _, t := range tones {
				h.dtmf(from, keyOfTone[t])
			}
		}
		if speech != "" {
			h.say(from, synthesize(speech))
		}
	}
	for _, c := range append([]*callConn(nil), v.conns...) {
		if !c.live() || !c.established() {
			continue
		}
		for _, t := range tones {
			if sub, ok := c.media.continuous[from]; ok {
				c.media.dtmfSeq++
				seq := c.media.dtmfSeq
				res := resultActionCompleted
				e.emitLocked(c, evContinuousDtmfRecognitionToneReceived, sub.callback, eventData{
					SequenceID: &seq, Tone: t, OperationContext: sub.operationContext, ResultInformation: &res,
				})
			}
			if op := c.media.current; op != nil && op.kind == opRecognize && op.rec.target == from {
				e.recognizeToneLocked(op, t)
			}
		}
		if speech != "" {
			if op := c.media.current; op != nil && op.kind == opRecognize && op.rec.target == from {
				e.recognizeSpeechLocked(op, speech)
			}
		}
	}
}

// mediaTargetLocked finds the participant a media request targets: someone in the call other
// than the application itself.
func mediaTargetLocked(c *callConn, field string, id identifierModel) *apiError {
	v := c.conv
	if v.find(id.RawID) == nil {
		return errNotFound("Participant %s not found.", id.RawID)
	}
	if v.isApp(id.RawID) {
		return errInvalid(field, "The application's own identity cannot be the target of a media operation.")
	}
	return nil
}

// play is POST /calling/callConnections/{id}:play.
func (e *Emulator) play(rc *restCall) (int, any, *apiError) {
	var req playRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	speaks := bad.playSources("playSources", req.PlaySources, true)
	var playTo []identifierModel
	if len(req.PlayTo) > 0 {
		playTo = bad.identifiers("playTo", "PlayTo", req.PlayTo, maxCallParticipants, existingParty)
	}
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if speaks && c.cognitive == "" {
		return 0, nil, errCognitiveNotSet()
	}
	for _, t := range playTo {
		if aerr := mediaTargetLocked(c, "playTo", t); aerr != nil {
			return 0, nil, aerr
		}
	}
	op := &mediaOp{kind: opPlay, c: c, operationContext: req.OperationContext, callback: req.OperationCallbackURI,
		sources: req.PlaySources, loop: req.PlayOptions != nil && req.PlayOptions.Loop}
	e.enqueueMediaLocked(op, req.InterruptCallMediaOperation)
	e.log.Debug("play requested", append(c.logFields(), zap.Int("sources", len(req.PlaySources)), zap.Bool("loop", op.loop))...)
	return http.StatusAccepted, nil, nil
}

// recognize is POST /calling/callConnections/{id}:recognize.
func (e *Emulator) recognize(rc *restCall) (int, any, *apiError) {
	var req recognizeRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	if !recognizeInputTypes[req.RecognizeInputType] {
		bad.add("recognizeInputType", "The field RecognizeInputType must be one of dtmf, speech, speechOrDtmf, choices.")
	}
	var prompts []playSource
	speaks := false
	if req.PlayPrompt != nil {
		speaks = bad.playSource("playPrompt", req.PlayPrompt)
		prompts = append(prompts, *req.PlayPrompt)
	}
	if bad.playSources("playPrompts", req.PlayPrompts, false) {
		speaks = true
	}
	prompts = append(prompts, req.PlayPrompts...)
	if len(prompts) > maxPlaySources {
		bad.add("playPrompts", "A recognize has at most %d prompts.", maxPlaySources)
	}
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	r := &recognition{inputType: req.RecognizeInputType, interruptPrompt: true, initialSilence: defaultInitialSilence,
		interTone: defaultInterTone, maxTones: defaultMaxTones, stopTones: map[string]bool{}}
	o := req.RecognizeOptions
	var target identifierModel
	if o == nil {
		bad.add("recognizeOptions", "The field RecognizeOptions is required.")
	} else {
		var ok bool
		if target, ok = bad.identifier("recognizeOptions.targetParticipant", o.TargetParticipant, existingParty); ok {
			r.target = target.RawID
		}
		if o.InterruptPrompt != nil {
			r.interruptPrompt = *o.InterruptPrompt
		}
		if s := o.InitialSilenceTimeoutInSeconds; s != nil {
			if *s < 0 || *s > maxInitialSilenceSeconds {
				bad.add("recognizeOptions.initialSilenceTimeoutInSeconds", "The field InitialSilenceTimeoutInSeconds must be between 0 and %d.", maxInitialSilenceSeconds)
			}
			r.initialSilence = time.Duration(*s) * time.Second
		}
		bad.id("recognizeOptions.speechLanguage", "SpeechLanguage", o.SpeechLanguage, maxLocaleBytes, false)
		bad.id("recognizeOptions.speechRecognitionModelEndpointId", "SpeechRecognitionModelEndpointId", o.SpeechRecognitionModelEndpointID, maxMediaIDBytes, false)
		if d := o.DtmfOptions; d != nil {
			if s := d.InterToneTimeoutInSeconds; s != nil {
				if *s < 1 || *s > maxInterToneSeconds {
					bad.add("recognizeOptions.dtmfOptions.interToneTimeoutInSeconds", "The field InterToneTimeoutInSeconds must be between 1 and %d.", maxInterToneSeconds)
				}
				r.interTone = time.Duration(*s) * time.Second
			}
			if n := d.MaxTonesToCollect; n != nil {
				if *n < 1 || *n > maxTonesToCollect {
					bad.add("recognizeOptions.dtmfOptions.maxTonesToCollect", "The field MaxTonesToCollect must be between 1 and %d.", maxTonesToCollect)
				}
				r.maxTones = *n
			}
			bad.tones("recognizeOptions.dtmfOptions.stopTones", d.StopTones, 0, maxDtmfAlphabet)
			for _, t := range d.StopTones {
				r.stopTones[t] = true
			}
		}
		if len(o.Choices) > maxChoices {
			bad.add("recognizeOptions.choices", "The field Choices has %d choices; at most %d are allowed.", len(o.Choices), maxChoices)
		}
		for i, ch := range o.Choices {
			field := indexed("recognizeOptions.choices", i)
			if ch.Label == "" {
				bad.add(field+".label", "The field Label is required.")
			}
			bad.text(field+".label", "Label", ch.Label, maxPhraseRunes)
			if len(ch.Phrases) == 0 || len(ch.Phrases) > maxPhrases {
				bad.add(field+".phrases", "The field Phrases must have 1 to %d phrases.", maxPhrases)
			}
			for j, p := range ch.Phrases {
				bad.text(indexed(field+".phrases", j), "Phrase", p, maxPhraseRunes)
			}
			if ch.Tone != "" && !dtmfTones[ch.Tone] {
				bad.add(field+".tone", "The tone %q is not one of zero..nine, a..d, pound, asterisk.", truncate(ch.Tone))
			}
		}
		r.choices = o.Choices
		if s := o.SpeechOptions; s != nil && s.EndSilenceTimeoutInMs != nil && (*s.EndSilenceTimeoutInMs < 1 || *s.EndSilenceTimeoutInMs > maxEndSilenceMs) {
			bad.add("recognizeOptions.speechOptions.endSilenceTimeoutInMs", "The field EndSilenceTimeoutInMs must be between 1 and %d.", maxEndSilenceMs)
		}
		if req.RecognizeInputType == inputChoices && len(o.Choices) == 0 {
			bad.add("recognizeOptions.choices", "The field Choices is required to recognize choices.")
		}
	}
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if (speaks || req.RecognizeInputType != inputDTMF) && c.cognitive == "" {
		return 0, nil, errCognitiveNotSet()
	}
	if aerr := mediaTargetLocked(c, "recognizeOptions.targetParticipant", target); aerr != nil {
		return 0, nil, aerr
	}
	op := &mediaOp{kind: opRecognize, c: c, operationContext: req.OperationContext, callback: req.OperationCallbackURI, sources: prompts, rec: r}
	e.enqueueMediaLocked(op, req.InterruptCallMediaOperation)
	e.log.Debug("recognize requested", append(c.logFields(), zap.String("input_type", r.inputType))...)
	return http.StatusAccepted, nil, nil
}

// cancelAllMediaOperations is POST .../{id}:cancelAllMediaOperations (no body).
func (e *Emulator) cancelAllMediaOperations(rc *restCall) (int, any, *apiError) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	e.cancelAllMediaLocked(c)
	return http.StatusAccepted, nil, nil
}

// continuousDtmf is POST .../{id}:startContinuousDtmfRecognition and :stopContinuousDtmfRecognition.
func (e *Emulator) continuousDtmf(start bool) restHandler {
	return func(rc *restCall) (int, any, *apiError) {
		var req continuousDtmfRequest
		if aerr := rc.decode(&req); aerr != nil {
			return 0, nil, aerr
		}
		var bad violations
		target, _ := bad.identifier("targetParticipant", req.TargetParticipant, existingParty)
		bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
		if aerr := bad.err(); aerr != nil {
			return 0, nil, aerr
		}
		e.mu.Lock()
		defer e.unlockAndFlush()
		c, aerr := e.establishedCallLocked(rc.callID)
		if aerr != nil {
			return 0, nil, aerr
		}
		if aerr := mediaTargetLocked(c, "targetParticipant", target); aerr != nil {
			return 0, nil, aerr
		}
		m := &c.media
		if start {
			if m.continuous == nil {
				m.continuous = map[string]continuousSub{}
			}
			m.continuous[target.RawID] = continuousSub{operationContext: req.OperationContext, callback: req.OperationCallbackURI}
			return http.StatusOK, nil, nil
		}
		if _, ok := m.continuous[target.RawID]; ok {
			delete(m.continuous, target.RawID)
			res := resultActionCompleted
			e.emitLocked(c, evContinuousDtmfRecognitionStopped, req.OperationCallbackURI, eventData{OperationContext: req.OperationContext, ResultInformation: &res})
		}
		return http.StatusOK, nil, nil
	}
}

// sendDtmfTones is POST .../{id}:sendDtmfTones: SendDtmfTonesCompleted once the tones have
// been played to the participant.
func (e *Emulator) sendDtmfTones(rc *restCall) (int, any, *apiError) {
	var req sendDtmfTonesRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	bad.tones("tones", req.Tones, 1, maxSendTones)
	target, _ := bad.identifier("targetParticipant", req.TargetParticipant, existingParty)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if aerr := mediaTargetLocked(c, "targetParticipant", target); aerr != nil {
		return 0, nil, aerr
	}
	m := &c.media
	if m.sends == nil {
		m.sends = map[*sendOp]bool{}
	}
	s := &sendOp{}
	m.sends[s] = true
	s.stop = e.sched.after(time.Duration(len(req.Tones))*sentToneDuration, func() {
		e.mu.Lock()
		defer e.unlockAndFlush()
		if !m.sends[s] || !c.live() {
			return
		}
		delete(m.sends, s)
		res := resultActionCompleted
		e.emitLocked(c, evSendDtmfTonesCompleted, req.OperationCallbackURI, eventData{OperationContext: req.OperationContext, ResultInformation: &res})
	})
	return http.StatusAccepted, operationContextResponse{OperationContext: req.OperationContext}, nil
}

// hold is POST .../{id}:hold: the participant is on hold (ParticipantsUpdated). Music it cannot
// play fails the hold (HoldFailed, 400/8535) and leaves the participant as it was.
func (e *Emulator) hold(rc *restCall) (int, any, *apiError) {
	var req holdRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	target, _ := bad.identifier("targetParticipant", req.TargetParticipant, existingParty)
	speaks := req.PlaySourceInfo != nil && bad.playSource("playSourceInfo", req.PlaySourceInfo)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if speaks && c.cognitive == "" {
		return 0, nil, errCognitiveNotSet()
	}
	if aerr := mediaTargetLocked(c, "targetParticipant", target); aerr != nil {
		return 0, nil, aerr
	}
	if req.PlaySourceInfo != nil && e.unplayableLocked([]playSource{*req.PlaySourceInfo}) >= 0 {
		res := resultFileInvalid
		e.emitLocked(c, evHoldFailed, req.OperationCallbackURI, eventData{OperationContext: req.OperationContext, ResultInformation: &res})
		return http.StatusOK, nil, nil
	}
	e.setOnHoldLocked(c.conv, target.RawID, true)
	return http.StatusOK, nil, nil
}

// unhold is POST .../{id}:unhold.
func (e *Emulator) unhold(rc *restCall) (int, any, *apiError) {
	var req unholdRequest
	if aerr := rc.decode(&req); aerr != nil {
		return 0, nil, aerr
	}
	var bad violations
	target, _ := bad.identifier("targetParticipant", req.TargetParticipant, existingParty)
	bad.operation(req.OperationCallbackURI, req.OperationContext, e.cfg.AllowInsecureCallbacks)
	if aerr := bad.err(); aerr != nil {
		return 0, nil, aerr
	}
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, aerr := e.establishedCallLocked(rc.callID)
	if aerr != nil {
		return 0, nil, aerr
	}
	if aerr := mediaTargetLocked(c, "targetParticipant", target); aerr != nil {
		return 0, nil, aerr
	}
	e.setOnHoldLocked(c.conv, target.RawID, false)
	return http.StatusOK, nil, nil
}

// setOnHoldLocked flips a participant's isOnHold; a change is a ParticipantsUpdated, as in the
// live samples.
func (e *Emulator) setOnHoldLocked(v *conversation, rawID string, onHold bool) {
	p := v.find(rawID)
	if p == nil || p.onHold == onHold {
		return
	}
	p.onHold = onHold
	e.participantsUpdatedLocked(v)
}
