package emulator

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"time"

	"go.uber.org/zap"
)

// States of a simulated incoming call.
const (
	incomingRinging    = "ringing"
	incomingAnswered   = "answered"
	incomingRejected   = "rejected"
	incomingRedirected = "redirected"
	incomingCanceled   = "canceled" // the caller hung up first
	incomingExpired    = "expired"  // nobody answered in IncomingCallTimeout
)

// incomingCall is a call ringing the application, raised through the Event
// Grid webhook and answered, rejected or redirected by incomingCallContext.
type incomingCall struct {
	id            string
	contextToken  string
	from, to      identifierModel
	displayName   string
	customContext *customCallingContext
	conv          *conversation
	state         string
	stopExpiry    func() bool
	createdAt     time.Time
	answeredBy    string // call connection ID
	webhook       string // where its IncomingCall went; a redirect raises the next one there
}

// incomingCallContext builds an opaque context shaped like the service's
// (base64 of gzip of JSON). The emulator resolves it by exact match, so its
// content only has to be unique.
func incomingCallContext(id string, from, to identifierModel) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	doc := map[string]any{
		"callNotification": map[string]any{
			"from": map[string]string{"id": from.RawID},
			"to":   map[string]string{"id": to.RawID},
		},
		"emulator": map[string]string{"incomingCallId": id, "nonce": base64.RawURLEncoding.EncodeToString(nonce)},
	}
	raw, _ := json.Marshal(doc)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// newIncomingLocked registers a call ringing to; conv is the conversation it
// belongs to (nil starts a new one with from in it).
func (e *Emulator) newIncomingLocked(from, to identifierModel, displayName string, custom *customCallingContext, conv *conversation) *incomingCall {
	if conv == nil {
		conv = e.newConversationLocked()
		conv.addParticipant(from)
		conv.hadRemote = true
	}
	in := &incomingCall{
		id:            newUUID(),
		from:          from,
		to:            to,
		displayName:   displayName,
		customContext: custom,
		conv:          conv,
		state:         incomingRinging,
		createdAt:     time.Now(),
	}
	in.contextToken = incomingCallContext(in.id, from, to)
	in.stopExpiry = e.sched.after(e.cfg.IncomingCallTimeout, func() {
		e.mu.Lock()
		defer e.unlockAndFlush()
		if in.state == incomingRinging {
			in.state = incomingExpired
			e.log.Info("incoming call expired", zap.String("incoming_call_id", in.id), zap.String("correlation_id", conv.correlationID))
			e.finishIncomingLocked(in)
		}
	})
	e.incoming[in.id] = in
	e.contexts[in.contextToken] = in
	return in
}

// settleLocked records that in stopped ringing (answered, rejected,
// redirected, canceled, expired) and forgets the oldest settled calls.
func (e *Emulator) settleLocked(in *incomingCall) {
	e.settled = append(e.settled, in)
	if len(e.settled) > maxEndedCalls {
		old := e.settled[0]
		e.settled = e.settled[1:]
		delete(e.incoming, old.id)
		delete(e.contexts, old.contextToken)
	}
}

// finishIncomingLocked settles an incoming call nobody answered and drops
// its conversation.
func (e *Emulator) finishIncomingLocked(in *incomingCall) {
	e.settleLocked(in)
	if len(in.conv.conns) == 0 && !e.hasPendingIncomingLocked(in.conv) {
		e.dropConversationLocked(in.conv)
	}
}

func (e *Emulator) hasPendingIncomingLocked(v *conversation) bool {
	for _, in := range e.incoming {
		if in.conv == v && in.state == incomingRinging {
			return true
		}
	}
	return false
}

// incomingCallData is the data of Microsoft.Communication.IncomingCall.
type incomingCallData struct {
	To                  identifierModel       `json:"to"`
	From                identifierModel       `json:"from"`
	ServerCallID        string                `json:"serverCallId"`
	CallerDisplayName   string                `json:"callerDisplayName,omitempty"`
	CustomContext       *customCallingContext `json:"customContext,omitempty"`
	IncomingCallContext string                `json:"incomingCallContext"`
	CorrelationID       string                `json:"correlationId"`
}

// eventGridEvent is an event in the Event Grid schema.
type eventGridEvent struct {
	ID              string `json:"id"`
	Topic           string `json:"topic"`
	Subject         string `json:"subject"`
	Data            any    `json:"data"`
	EventType       string `json:"eventType"`
	DataVersion     string `json:"dataVersion"`
	MetadataVersion string `json:"metadataVersion"`
	EventTime       string `json:"eventTime"`
}

func (e *Emulator) eventGridTopic() string {
	return "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/callgate-emulator/providers/Microsoft.Communication/communicationServices/" + e.cfg.ResourceID
}

func eventGridTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z07:00")
}

func (e *Emulator) incomingCallEvent(in *incomingCall) eventGridEvent {
	return eventGridEvent{
		ID:      newUUID(),
		Topic:   e.eventGridTopic(),
		Subject: "/caller/" + in.from.RawID + "/recipient/" + in.to.RawID,
		Data: incomingCallData{
			To:                  in.to,
			From:                in.from,
			ServerCallID:        in.conv.serverCallID,
			CallerDisplayName:   in.displayName,
			CustomContext:       in.customContext,
			IncomingCallContext: in.contextToken,
			CorrelationID:       in.conv.correlationID,
		},
		EventType:       "Microsoft.Communication.IncomingCall",
		DataVersion:     "1.0",
		MetadataVersion: "1",
		EventTime:       eventGridTime(time.Now()),
	}
}
