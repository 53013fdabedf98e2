package service

import (
	"net/url"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The media options of call set-up, which ACS takes only when a call is created, answered or
// connected: without Cognitive Services then, a call never gets text-to-speech or speech
// recognition, from the gateway or from anything else.

// setupOptions are the media options of CreateCall, AnswerCall and ConnectCall, converted.
type setupOptions struct {
	intelligence  *acs.CallIntelligenceOptions
	streaming     *acs.MediaStreamingOptions
	transcription *acs.TranscriptionOptions
}

// setupOptions checks and converts a set-up request's media options.
func (v *validator) setupOptions(ci *callgatev1.CallIntelligenceOptions, ms *callgatev1.MediaStreamingOptions, tr *callgatev1.TranscriptionOptions) setupOptions {
	var out setupOptions
	if e := ci.GetCognitiveServicesEndpoint(); e != "" {
		if u, err := url.Parse(e); err != nil || !u.IsAbs() || u.Host == "" || u.Scheme != "https" || u.User != nil {
			v.add("call_intelligence_options.cognitive_services_endpoint", "must be an https URL (https://<name>.cognitiveservices.azure.com/)")
		}
		out.intelligence = &acs.CallIntelligenceOptions{CognitiveServicesEndpoint: e}
	}
	if ms != nil {
		v.transportURL("media_streaming_options.transport_url", ms.GetTransportUrl())
		out.streaming = &acs.MediaStreamingOptions{
			TransportType:       acs.TransportWebSocket,
			AudioChannelType:    audioChannels[ms.GetAudioChannel()],
			TransportURL:        ms.GetTransportUrl(),
			ContentType:         streamingContents[ms.GetContent()],
			StartMediaStreaming: optionalBool(ms.StartMediaStreaming),
			EnableBidirectional: optionalBool(ms.EnableBidirectional),
			AudioFormat:         audioFormats[ms.GetAudioFormat()],
			EnableDtmfTones:     optionalBool(ms.EnableDtmfTones),
		}
	}
	if tr != nil {
		v.transportURL("transcription_options.transport_url", tr.GetTransportUrl())
		out.transcription = &acs.TranscriptionOptions{
			TransportType:             acs.TransportWebSocket,
			Locale:                    tr.GetLocale(),
			TransportURL:              tr.GetTransportUrl(),
			SpeechModelEndpointID:     tr.GetSpeechModelEndpointId(),
			StartTranscription:        optionalBool(tr.StartTranscription),
			EnableIntermediateResults: optionalBool(tr.EnableIntermediateResults),
		}
	}
	return out
}

// transportURL checks a streaming transport URL: wss, or ws for loopback hosts (as http
// callback URIs are accepted for loopback hosts only).
func (v *validator) transportURL(field, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		v.add(field, "must be an absolute wss URL")
	case u.User != nil:
		v.add(field, "must not carry user information")
	case u.Scheme == "wss":
	case u.Scheme == "ws" && isLoopbackHost(u.Hostname()):
	default:
		v.add(field, "must be a wss URL (ws is accepted for loopback hosts only)")
	}
}

// teamsAppSource checks and converts CreateCall's teams_app_source. The SDKs send only the app
// ID for the public cloud; another cloud is sent, as the API's model has it.
func (v *validator) teamsAppSource(a *callgatev1.MicrosoftTeamsApp) *acs.MicrosoftTeamsAppModel {
	if a == nil {
		return nil
	}
	v.plainID("teams_app_source.app_id", a.GetAppId())
	out := &acs.MicrosoftTeamsAppModel{AppID: a.GetAppId()}
	if c := v.cloud(at("teams_app_source"), ".cloud", a.GetCloud()); c != acs.CloudPublic {
		out.Cloud = c
	}
	return out
}

func optionalBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return acs.Bool(*b)
}

var (
	audioChannels = map[callgatev1.MediaStreamingAudioChannel]string{
		callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_MIXED:   "mixed",
		callgatev1.MediaStreamingAudioChannel_MEDIA_STREAMING_AUDIO_CHANNEL_UNMIXED: "unmixed",
	}
	streamingContents = map[callgatev1.MediaStreamingContent]string{
		callgatev1.MediaStreamingContent_MEDIA_STREAMING_CONTENT_AUDIO: "audio",
	}
	audioFormats = map[callgatev1.AudioFormat]string{
		callgatev1.AudioFormat_AUDIO_FORMAT_PCM_16K_MONO: "pcm16KMono",
		callgatev1.AudioFormat_AUDIO_FORMAT_PCM_24K_MONO: "pcm24KMono",
	}
	subscriptionStates = map[string]callgatev1.SubscriptionState{
		"disabled": callgatev1.SubscriptionState_SUBSCRIPTION_STATE_DISABLED,
		"inactive": callgatev1.SubscriptionState_SUBSCRIPTION_STATE_INACTIVE,
		"active":   callgatev1.SubscriptionState_SUBSCRIPTION_STATE_ACTIVE,
	}
	resultTypes = map[string]callgatev1.TranscriptionResultType{
		"final":        callgatev1.TranscriptionResultType_TRANSCRIPTION_RESULT_TYPE_FINAL,
		"intermediate": callgatev1.TranscriptionResultType_TRANSCRIPTION_RESULT_TYPE_INTERMEDIATE,
	}
)

// mediaStreamingSubscription converts ACS's media streaming state; values newer than this API
// are unspecified.
func mediaStreamingSubscription(s *acs.MediaStreamingSubscription) *callgatev1.MediaStreamingSubscription {
	if s == nil {
		return nil
	}
	out := &callgatev1.MediaStreamingSubscription{Id: s.ID, State: subscriptionStates[s.State]}
	for _, t := range s.SubscribedContentTypes {
		c := callgatev1.MediaStreamingContent_MEDIA_STREAMING_CONTENT_UNSPECIFIED
		if t == "audio" {
			c = callgatev1.MediaStreamingContent_MEDIA_STREAMING_CONTENT_AUDIO
		}
		out.SubscribedContentTypes = append(out.SubscribedContentTypes, c)
	}
	return out
}

func transcriptionSubscription(s *acs.TranscriptionSubscription) *callgatev1.TranscriptionSubscription {
	if s == nil {
		return nil
	}
	out := &callgatev1.TranscriptionSubscription{Id: s.ID, State: subscriptionStates[s.State], Locale: s.Locale}
	for _, t := range s.SubscribedResultTypes {
		out.SubscribedResultTypes = append(out.SubscribedResultTypes, resultTypes[t])
	}
	return out
}
