package emulator

import (
	"slices"
	"time"

	"go.uber.org/zap"
)

// Call connection states (CallConnectionStateModel).
const (
	stateConnecting       = "connecting"
	stateConnected        = "connected"
	stateTransferring     = "transferring"
	stateTransferAccepted = "transferAccepted"
	stateDisconnected     = "disconnected"
)

// How a call connection came to be.
const (
	originCreate  = "create"
	originAnswer  = "answer"
	originConnect = "connect"
)

// participant is one member of a conversation's roster.
type participant struct {
	id     identifierModel
	muted  bool
	onHold bool
}

func (p *participant) wire() callParticipant {
	return callParticipant{Identifier: p.id, IsMuted: p.muted, IsOnHold: p.onHold}
}

// conversation is the server call: the roster shared by every application
// connection to it.
type conversation struct {
	serverCallID  string
	correlationID string
	locatorKey    string // "group:<id>" or "room:<id>" for locator calls

	participants []*participant          // in the order they joined
	byID         map[string]*participant // the same, by raw ID
	conns        []*callConn             // live application connections
	invites      map[*invitation]bool    // pending invitations that may join the roster
	hadRemote    bool                    // a non-application participant has joined at some point
	ending       bool                    // being torn down: no more roster updates
	ended        bool
	rosterHeld   bool // a ParticipantsUpdated is held back by coalesceRosterLocked
	// hub is the call's audio (mediahub.go), made when something first takes it.
	hub *mediaHub
	// recordings are the conversation's recordings, stopped ones included.
	recordings []*recording
}

func (v *conversation) find(rawID string) *participant { return v.byID[rawID] }

func (v *conversation) addParticipant(id identifierModel) {
	if v.find(id.RawID) == nil {
		v.join(&participant{id: id})
	}
}

// join adds p as it is (a participant moved from another call keeps its
// mute state).
func (v *conversation) join(p *participant) {
	if v.byID == nil {
		v.byID = map[string]*participant{}
	}
	v.participants = append(v.participants, p)
	v.byID[p.id.RawID] = p
}

func (v *conversation) removeParticipant(rawID string) bool {
	p := v.find(rawID)
	if p == nil {
		return false
	}
	delete(v.byID, rawID)
	v.participants = slices.DeleteFunc(v.participants, func(q *participant) bool { return q == p })
	return true
}

// isApp reports whether rawID is the identity of a live application connection.
func (v *conversation) isApp(rawID string) bool {
	for _, c := range v.conns {
		if c.self.RawID == rawID {
			return true
		}
	}
	return false
}

func (v *conversation) remotes() []*participant {
	var out []*participant
	for _, p := range v.participants {
		if !v.isApp(p.id.RawID) {
			out = append(out, p)
		}
	}
	return out
}

// invitedRemotes counts the remote participants in v and being invited to
// it: what maxCallParticipants bounds.
func (v *conversation) invitedRemotes() int {
	return len(v.remotes()) + len(v.invites)
}

func (v *conversation) roster() []callParticipant {
	out := make([]callParticipant, 0, len(v.participants))
	for _, p := range v.participants {
		out = append(out, p.wire())
	}
	return out
}

// callConn is one application's call connection (callConnectionId).
type callConn struct {
	id     string
	conv   *conversation
	origin string
	state  string

	callbackURI       string
	apiVersion        string
	operationContext  string
	self              identifierModel
	source            *identifierModel
	targets           []identifierModel
	sourceCallerID    *phoneNumberModel
	sourceDisplayName string
	answeredBy        *communicationUserModel
	answeredFor       *phoneNumberModel

	// The media options of call set-up: the Azure AI services endpoint ("" for none: no
	// text-to-speech or speech recognition) and the subscriptions the options asked for.
	cognitive        string
	streamingSub     *mediaStreamingSubscription
	transcriptionSub *transcriptionSubscription
	media            mediaState
	// The transports of set-up, the streams running on them (streaming_ops.go), and what the
	// application sent on bidirectional streams.
	streamingOpts     *mediaStreamingOptions
	transcriptionOpts *transcriptionOptions
	stream            *wsStream
	transcriber       *wsStream
	received          *receivedAudio

	seq           int32                  // ParticipantsUpdated sequence number
	createInvites []*invitation          // create call targets still relevant
	adds          map[string]*invitation // add participant invitations by invitationId
	transfer      *invitation

	createdAt time.Time
	endedAt   time.Time
	endResult *resultInformation
}

func (c *callConn) live() bool { return c.state != stateDisconnected }

// established reports whether mid-call actions are allowed.
func (c *callConn) established() bool {
	return c.state == stateConnected || c.state == stateTransferring
}

// callerID is the number the call presents to PSTN targets by default.
func (c *callConn) callerID() *phoneNumberModel {
	if c.sourceCallerID != nil {
		return c.sourceCallerID
	}
	return c.answeredFor
}

func (c *callConn) properties() callConnectionProperties {
	targets := c.targets
	if targets == nil {
		targets = []identifierModel{}
	}
	var displayName *string
	if c.origin == originCreate {
		// The service answers a created call with its display name, "" when
		// none was given; answered and connected calls have none.
		name := c.sourceDisplayName
		displayName = &name
	}
	// Copies: the answer is encoded after the lock is released, and the states change.
	var streaming *mediaStreamingSubscription
	if c.streamingSub != nil {
		ms := *c.streamingSub
		streaming = &ms
	}
	var transcription *transcriptionSubscription
	if c.transcriptionSub != nil {
		ts := *c.transcriptionSub
		transcription = &ts
	}
	return callConnectionProperties{
		CallConnectionID:     c.id,
		ServerCallID:         c.conv.serverCallID,
		Targets:              targets,
		CallConnectionState:  c.state,
		CallbackURI:          c.callbackURI,
		SourceCallerIDNumber: c.sourceCallerID,
		SourceDisplayName:    displayName,
		Source:               c.source,
		CorrelationID:        c.conv.correlationID,
		AnsweredBy:           c.answeredBy,
		MediaStreaming:       streaming,
		Transcription:        transcription,
		AnsweredFor:          c.answeredFor,
	}
}

// setUpMedia keeps the media options a call was set up with. A subscription the options ask
// for is inactive until its stream starts (at CallConnected with startMediaStreaming or
// startTranscription, or by the start operations).
func (c *callConn) setUpMedia(ci *callIntelligenceOptions, ms *mediaStreamingOptions, tr *transcriptionOptions) {
	if ci != nil {
		c.cognitive = ci.CognitiveServicesEndpoint
	}
	c.streamingOpts, c.transcriptionOpts = ms, tr
	c.received = newReceivedAudio()
	if ms != nil {
		c.streamingSub = &mediaStreamingSubscription{ID: newUUID(), State: "inactive", SubscribedContentTypes: []string{"audio"}}
	}
	if tr != nil {
		types := []string{"final"}
		if tr.EnableIntermediateResults != nil && *tr.EnableIntermediateResults {
			types = append(types, "intermediate")
		}
		c.transcriptionSub = &transcriptionSubscription{ID: newUUID(), State: "inactive", SubscribedResultTypes: types, Locale: tr.Locale}
	}
}

func (c *callConn) logFields() []zap.Field {
	return []zap.Field{zap.String("call_connection_id", c.id), zap.String("correlation_id", c.conv.correlationID)}
}

// Invitation states.
const (
	invPending   = "pending"
	invAnswered  = "answered"
	invFailed    = "failed"
	invCancelled = "cancelled"
)

// invitation is a simulated endpoint ringing: a create call target, an added
// participant or a transfer target. Exactly one of onAnswer and onFail runs,
// under Emulator.mu, unless the invitation is cancelled first.
type invitation struct {
	id     string
	target identifierModel
	state  string
	group  *ringGroup    // the invitations that ring with it, on its timers
	stops  []func() bool // timers of its own (a refused transfer)

	operationContext string
	callbackOverride string

	onAnswer func()
	onFail   func(resultInformation)
}

// ringGroup is invitations that ring with the same script, so they settle at
// the same instant on one pair of timers (the answer and the timeout), as the
// targets of a create call that answer together do.
type ringGroup struct {
	invs    []*invitation
	pending int
	stops   []func() bool
}

func stopAll(stops []func() bool) {
	for _, stop := range stops {
		stop()
	}
}

// cancel stops a pending invitation; it reports whether it was pending. The
// group's timers stop with its last pending invitation.
func (inv *invitation) cancel() bool {
	if inv.state != invPending {
		return false
	}
	inv.state = invCancelled
	stopAll(inv.stops)
	inv.stops = nil
	if g := inv.group; g != nil {
		if g.pending--; g.pending == 0 {
			stopAll(g.stops)
			g.stops = nil
		}
	}
	return true
}
