package emulator

// Bounds the emulator enforces, the same as callgate's. Every one of them is
// checked before a request changes anything, and a request past one is
// answered 400 with the offending field in details (413 for the body), so a
// gateway that lets an oversized request through fails its tests here
// instead of in production. README lists them.
const (
	// maxRequestBody bounds a REST or control API request body (413 beyond):
	// callgate's own bound, above the largest request the other bounds allow.
	maxRequestBody = 2 << 20

	// maxCreateTargets bounds the targets of one create call.
	maxCreateTargets = 100
	// maxCallParticipants bounds the remote participants of one call, those
	// in it and those being invited; the application's own connections do
	// not count, so a create call with maxCreateTargets targets fits.
	maxCallParticipants = 100

	// maxIdentifierBytes bounds every string of an identifier: rawId,
	// communicationUser.id, userId, appId, tenantId, resourceId and a phone
	// number's value.
	maxIdentifierBytes = 256
	// maxDisplayNameRunes bounds sourceDisplayName, in Unicode code points.
	maxDisplayNameRunes = 256
	// maxOperationContextRunes bounds operationContext, in code points.
	maxOperationContextRunes = 4096
	// maxCallbackURIBytes bounds callbackUri and operationCallbackUri.
	maxCallbackURIBytes = 2048
	// maxIncomingCallContextBytes bounds incomingCallContext.
	maxIncomingCallContextBytes = 16384

	// maxCallConnectionIDBytes bounds the {callConnectionId} of a path and
	// fromCall, which is one.
	maxCallConnectionIDBytes = 256
	// maxInvitationIDBytes bounds invitationId.
	maxInvitationIDBytes = 256
	// maxRoomIDBytes bounds a room locator's roomId (a groupCallId is a UUID).
	maxRoomIDBytes = 256
	// maxServerCallIDBytes bounds a server call locator's serverCallId.
	maxServerCallIDBytes = 2048

	// Custom calling context: at most maxSIPXHeaders custom SIP headers
	// (names up to maxSIPHeaderNameBytes including their X-MS-Custom- or X-
	// prefix), SIP values (User-To-User included) up to maxSIPHeaderValueRunes
	// characters, at most maxVoIPHeaders VoIP headers.
	maxSIPXHeaders          = 5
	maxSIPHeaderNameBytes   = 64
	maxSIPHeaderValueRunes  = 256
	maxVoIPHeaders          = 1000
	maxVoIPHeaderNameBytes  = 64
	maxVoIPHeaderValueRunes = 256

	// maxInvitationTimeout is the API's upper bound of
	// invitationTimeoutInSeconds.
	maxInvitationTimeout = 180

	// Media. maxPlaySources bounds playSources and playPrompts; a play source's file
	// uri is at most maxURIBytes, its text maxTextRunes (the documented limit of
	// text-to-speech prompts), its SSML maxSSMLRunes, and its voice name, custom voice
	// endpoint and cache ID maxMediaIDBytes; locales (sourceLocale, speechLanguage,
	// transcription locale) are at most maxLocaleBytes.
	maxPlaySources  = 10
	maxURIBytes     = 2048
	maxTextRunes    = 4000
	maxSSMLRunes    = 16384
	maxMediaIDBytes = 256
	maxLocaleBytes  = 35
	// Recognize: initialSilenceTimeoutInSeconds 0 to 300 and interToneTimeoutInSeconds 1
	// to 60 (the API's ranges), maxTonesToCollect 1 to maxTonesToCollect, at most
	// maxChoices choices of at most maxPhrases phrases of maxPhraseRunes, labels of
	// maxPhraseRunes, endSilenceTimeoutInMs 1 to maxEndSilenceMs.
	maxInitialSilenceSeconds = 300
	maxInterToneSeconds      = 60
	maxTonesToCollect        = 100
	maxChoices               = 20
	maxPhrases               = 20
	maxPhraseRunes           = 256
	maxEndSilenceMs          = 60000
	// maxSendTones bounds the tones of one sendDtmfTones; maxDtmfAlphabet is the number
	// of tones there are (a stopTones list repeats none).
	maxSendTones    = 18
	maxDtmfAlphabet = 16

	// Control API: the tones one sendTones presses, and the text one say says.
	maxControlTones = 100
)
