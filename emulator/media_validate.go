package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The checks of the media requests and of the media options of call set-up, with the bounds
// of limits.go (callgate's).

// cognitiveNotSetMessage is the live service's answer to a text-to-speech or speech request on
// a call set up without Cognitive Services (with code 8522: "(8522) Request not allowed when ...").
const cognitiveNotSetMessage = "Request not allowed when Cognitive Service Configuration not set during call setup."

// errCognitiveNotSet refuses, at request time, what needs the Azure AI services resource a call
// takes only when it is created, answered or connected.
func errCognitiveNotSet() *apiError {
	return &apiError{status: http.StatusBadRequest, code: subNotFound, message: cognitiveNotSetMessage}
}

var (
	dtmfTones = map[string]bool{
		"zero": true, "one": true, "two": true, "three": true, "four": true, "five": true, "six": true,
		"seven": true, "eight": true, "nine": true, "a": true, "b": true, "c": true, "d": true,
		"pound": true, "asterisk": true,
	}
	// toneOfKey maps the control API's keys (the DTMF alphabet) to the API's tone names.
	toneOfKey = map[rune]string{
		'0': "zero", '1': "one", '2': "two", '3': "three", '4': "four", '5': "five", '6': "six",
		'7': "seven", '8': "eight", '9': "nine", 'A': "a", 'B': "b", 'C': "c", 'D': "d",
		'#': "pound", '*': "asterisk",
	}
	// keyOfTone is toneOfKey's reverse: the DtmfData a key is streamed as.
	keyOfTone = func() map[string]string {
		m := map[string]string{}
		for k, t := range toneOfKey {
			m[t] = string(k)
		}
		return m
	}()
	recognizeInputTypes = map[string]bool{inputDTMF: true, inputSpeech: true, inputSpeechOrDTMF: true, inputChoices: true}
)

// Recognize input types (RecognizeInputType).
const (
	inputDTMF         = "dtmf"
	inputSpeech       = "speech"
	inputSpeechOrDTMF = "speechOrDtmf"
	inputChoices      = "choices"
)

// playSources checks play sources (playSources, playPrompts); it reports whether one of them
// needs Cognitive Services (text or SSML).
func (v *violations) playSources(field string, in []playSource, required bool) (speaks bool) {
	switch {
	case len(in) == 0 && required:
		v.add(field, "The field PlaySources is required and must not be empty.")
	case len(in) > maxPlaySources:
		v.add(field, "The field %s has %d play sources; at most %d are allowed.", field, len(in), maxPlaySources)
		return false
	}
	for i := range in {
		if v.playSource(indexed(field, i), &in[i]) {
			speaks = true
		}
	}
	return speaks
}

// playSource checks one play source; it reports whether it is text or SSML.
func (v *violations) playSource(target string, s *playSource) (speaks bool) {
	set := 0
	for _, present := range []bool{s.File != nil, s.Text != nil, s.SSML != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		v.add(target, "The play source %s must have exactly one of file, text and ssml.", target)
		return false
	}
	v.id(target+".playSourceCacheId", "PlaySourceCacheId", s.PlaySourceCacheID, maxMediaIDBytes, false)
	switch {
	case s.File != nil:
		if s.Kind != "" && s.Kind != "file" {
			v.add(target+".kind", "The field Kind is %q, but the source is a file.", s.Kind)
		}
		if err := fileURI(s.File.URI); err != nil {
			v.add(target+".file.uri", "The field Uri %v.", err)
		}
	case s.Text != nil:
		if s.Kind != "" && s.Kind != "text" {
			v.add(target+".kind", "The field Kind is %q, but the source is text.", s.Kind)
		}
		t := s.Text
		if t.Text == "" {
			v.add(target+".text.text", "The field Text is required.")
		}
		v.text(target+".text.text", "Text", t.Text, maxTextRunes)
		v.id(target+".text.sourceLocale", "SourceLocale", t.SourceLocale, maxLocaleBytes, false)
		v.id(target+".text.voiceName", "VoiceName", t.VoiceName, maxMediaIDBytes, false)
		v.id(target+".text.customVoiceEndpointId", "CustomVoiceEndpointId", t.CustomVoiceEndpointID, maxMediaIDBytes, false)
		if t.VoiceKind != "" && t.VoiceKind != "male" && t.VoiceKind != "female" {
			v.add(target+".text.voiceKind", "The field VoiceKind must be one of male, female.")
		}
		return true
	case s.SSML != nil:
		if s.Kind != "" && s.Kind != "ssml" {
			v.add(target+".kind", "The field Kind is %q, but the source is SSML.", s.Kind)
		}
		if s.SSML.SSMLText == "" {
			v.add(target+".ssml.ssmlText", "The field SsmlText is required.")
		}
		v.text(target+".ssml.ssmlText", "SsmlText", s.SSML.SSMLText, maxSSMLRunes)
		v.id(target+".ssml.customVoiceEndpointId", "CustomVoiceEndpointId", s.SSML.CustomVoiceEndpointID, maxMediaIDBytes, false)
		return true
	}
	return false
}

// fileURI checks the uri of a file source: an absolute http(s) URL ACS could download.
func fileURI(raw string) error {
	switch {
	case raw == "":
		return errors.New("is required")
	case len(raw) > maxURIBytes:
		return errors.New("is too long")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}

// tones checks a list of tone names.
func (v *violations) tones(field string, in []string, min, max int) {
	switch {
	case len(in) < min:
		v.add(field, "The field %s is required and must not be empty.", field)
		return
	case len(in) > max:
		v.add(field, "The field %s has %d tones; at most %d are allowed.", field, len(in), max)
		return
	}
	for i, t := range in {
		if !dtmfTones[t] {
			v.add(indexed(field, i), "The tone %q is not one of zero..nine, a..d, pound, asterisk.", truncate(t))
		}
	}
}

// setupOptions checks the media options of create, answer and connect.
func (v *violations) setupOptions(ci *callIntelligenceOptions, ms *mediaStreamingOptions, tr *transcriptionOptions) {
	if ci != nil && ci.CognitiveServicesEndpoint != "" {
		if err := httpsURL(ci.CognitiveServicesEndpoint); err != nil {
			v.add("callIntelligenceOptions.cognitiveServicesEndpoint", "The field CognitiveServicesEndpoint %v.", err)
		}
	}
	if ms != nil {
		if ms.TransportType != "websocket" {
			v.add("mediaStreamingOptions.transportType", "The field TransportType must be websocket.")
		}
		if ms.AudioChannelType != "mixed" && ms.AudioChannelType != "unmixed" {
			v.add("mediaStreamingOptions.audioChannelType", "The field AudioChannelType must be one of mixed, unmixed.")
		}
		v.transportURL("mediaStreamingOptions.transportUrl", ms.TransportURL)
		if ms.ContentType != "" && ms.ContentType != "audio" {
			v.add("mediaStreamingOptions.contentType", "The field ContentType must be audio.")
		}
		if ms.AudioFormat != "" && ms.AudioFormat != "pcm16KMono" && ms.AudioFormat != "pcm24KMono" {
			v.add("mediaStreamingOptions.audioFormat", "The field AudioFormat must be one of pcm16KMono, pcm24KMono.")
		}
	}
	if tr != nil {
		if tr.TransportType != "websocket" {
			v.add("transcriptionOptions.transportType", "The field TransportType must be websocket.")
		}
		v.id("transcriptionOptions.locale", "Locale", tr.Locale, maxLocaleBytes, true)
		v.transportURL("transcriptionOptions.transportUrl", tr.TransportURL)
		v.id("transcriptionOptions.speechModelEndpointId", "SpeechModelEndpointId", tr.SpeechModelEndpointID, maxMediaIDBytes, false)
	}
}

// transportURL checks a streaming transport URL: a websocket URL (ws only on loopback hosts, as
// http callbacks are).
func (v *violations) transportURL(target, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURIBytes:
		v.add(target, "The field TransportUrl is longer than %d bytes.", maxURIBytes)
	case err != nil || !u.IsAbs() || u.Host == "":
		v.add(target, "The field TransportUrl must be an absolute wss URL.")
	case u.Scheme == "wss":
	case u.Scheme == "ws" && isLoopbackHost(u.Hostname()):
	default:
		v.add(target, "The field TransportUrl must be a wss URL (ws on loopback hosts only).")
	}
}

func httpsURL(raw string) error {
	if len(raw) > maxURIBytes {
		return errors.New("is too long")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Scheme != "https" {
		return errors.New("must be an absolute https URL")
	}
	return nil
}

// spokenText is the text of an SSML document, tags dropped: what its duration is reckoned from.
func spokenText(ssml string) string {
	var b strings.Builder
	inTag := false
	for _, r := range ssml {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }
