package emulator

import (
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

	participants []*participant
	conns        []*callConn          // live application connections
	invites      map[*invitation]bool // pending invitations that may join the roster
	hadRemote    bool                 // a non-application participant has joined at some point
	ending       bool                 // being torn down: no more roster updates
	ended        bool
}

func (v *conversation) find(rawID string) (int, *participant) {
	for i, p := range v.participants {
		if p.id.RawID == rawID {
			return i, p
		}
	}
	return -1, nil
}

func (v *conversation) addParticipant(id identifierModel) {
	if _, p := v.find(id.RawID); p != nil {
		return
	}
	v.participants = append(v.participants, &participant{id: id})
}

func (v *conversation) removeParticipant(rawID string) bool {
	i, _ := v.find(rawID)
	if i < 0 {
		return false
	}
	v.participants = append(v.participants[:i], v.participants[i+1:]...)
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
		AnsweredFor:          c.answeredFor,
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
	stops  []func() bool

	operationContext string
	callbackOverride string

	onAnswer func()
	onFail   func(resultInformation)
}

func (inv *invitation) stopTimers() {
	for _, stop := range inv.stops {
		stop()
	}
	inv.stops = nil
}

// cancel stops a pending invitation; it reports whether it was pending.
func (inv *invitation) cancel() bool {
	if inv.state != invPending {
		return false
	}
	inv.state = invCancelled
	inv.stopTimers()
	return true
}
