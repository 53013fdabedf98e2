package emulator

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// maxEndedCalls bounds how many ended call connections, and how many settled
// incoming calls, the emulator keeps for the control API.
const maxEndedCalls = 1000

// Emulator is a simulated Call Automation resource. Its methods are safe for
// concurrent use.
type Emulator struct {
	cfg         Config
	log         *zap.Logger
	baseURL     atomic.Pointer[string]
	appIdentity identifierModel
	ownedPhones map[string]bool

	signer  *tokenSigner
	chance  *chance
	sched   *scheduler
	deliver *deliverer
	repeat  *repeatCache
	handler http.Handler

	// bg owns the goroutines that post to the Event Grid webhook outside a
	// request (an IncomingCall raised by a redirect).
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgMu     sync.Mutex // orders bg.Add against Close's bg.Wait
	bgClosed bool
	bg       sync.WaitGroup

	closeOnce sync.Once

	webhookMu sync.Mutex
	validated map[string]bool   // webhook URLs that passed the validation handshake
	pendingVC map[string]string // validation code -> webhook, for the manual validation URL

	// mu guards the simulation below. Events produced while it is held go
	// to outbox and reach the deliverer when it is released, so events
	// raised together are queued together.
	mu         sync.Mutex
	outbox     []outEvent
	calls      map[string]*callConn
	ended      []string // ended call connection IDs, oldest first
	convs      map[string]*conversation
	locators   map[string]*conversation
	incoming   map[string]*incomingCall // by ID
	contexts   map[string]*incomingCall // by incomingCallContext
	settled    []*incomingCall          // incoming calls no longer ringing, oldest first
	endpoints  map[string]Behavior
	files      map[string]File // audio files scripted by the control API, by URL
	webhookURL string
	recordings map[string]*recording         // by recording ID (recording.go)
	documents  map[string]*recordingDocument // written recording files, by document ID

	// While holdRoster is set, roster changes queue their conversation in
	// heldRosters instead of raising ParticipantsUpdated at once.
	holdRoster  bool
	heldRosters []*conversation
}

// New makes an emulator; serve its Handler, or use Serve or Start.
func New(cfg Config) (*Emulator, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	signer, err := newTokenSigner(cfg.signingKey)
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		cfg:         cfg,
		log:         cfg.Logger,
		ownedPhones: map[string]bool{},
		signer:      signer,
		chance:      newChance(cfg.Faults.Seed),
		sched:       newScheduler(),
		repeat:      newRepeatCache(cfg.RepeatabilityWindow),
		validated:   map[string]bool{},
		pendingVC:   map[string]string{},
		calls:       map[string]*callConn{},
		convs:       map[string]*conversation{},
		locators:    map[string]*conversation{},
		incoming:    map[string]*incomingCall{},
		contexts:    map[string]*incomingCall{},
		endpoints:   map[string]Behavior{},
		files:       map[string]File{},
		webhookURL:  cfg.EventGridWebhook,
		recordings:  map[string]*recording{},
		documents:   map[string]*recordingDocument{},
	}
	for _, n := range cfg.PhoneNumbers {
		e.ownedPhones[n] = true
	}
	app, err := parseRawID("8:acs:"+cfg.ResourceID+"_"+derivedUUID(cfg.AccessKey, "application"), false)
	if err != nil {
		return nil, fmt.Errorf("emulator: ResourceID %q makes no ACS user ID: %w", cfg.ResourceID, err)
	}
	e.appIdentity = app
	if cfg.BaseURL != "" {
		b := strings.TrimRight(cfg.BaseURL, "/")
		e.baseURL.Store(&b)
	}
	e.bgCtx, e.bgCancel = context.WithCancel(context.Background())
	e.deliver = newDeliverer(&e.cfg, signer, e.chance, func() (string, string) { return e.Issuer(), e.Audience() })
	e.handler = e.routes()
	return e, nil
}

// Handler serves the Call Automation REST API (/calling/...), the callback
// signing keys (/calling/keys, /calling/.well-known/acsopenidconfiguration)
// and the control API (/emulator/v1/...).
func (e *Emulator) Handler() http.Handler { return e.handler }

// SetBaseURL fixes the URL clients reach the emulator at (issuer and keys
// URL derive from it). Only the first call, or Config.BaseURL, counts; it
// reports whether this call set it.
func (e *Emulator) SetBaseURL(u string) bool {
	u = strings.TrimRight(u, "/")
	return e.baseURL.CompareAndSwap(nil, &u)
}

// BaseURL is the URL clients reach the emulator at, "" until known.
func (e *Emulator) BaseURL() string {
	if p := e.baseURL.Load(); p != nil {
		return *p
	}
	return ""
}

// Issuer is the iss claim of callback tokens.
func (e *Emulator) Issuer() string {
	if e.cfg.Issuer != "" {
		return e.cfg.Issuer
	}
	return e.BaseURL()
}

// Audience is the aud claim of callback tokens.
func (e *Emulator) Audience() string {
	if e.cfg.Audience != "" {
		return e.cfg.Audience
	}
	return e.cfg.ResourceID
}

// JWKSURL is where the callback signing keys are published.
func (e *Emulator) JWKSURL() string { return e.BaseURL() + "/calling/keys" }

// OpenIDConfigurationURL is the OpenID configuration document of the issuer,
// at the service's path.
func (e *Emulator) OpenIDConfigurationURL() string {
	return e.BaseURL() + "/calling/.well-known/acsopenidconfiguration"
}

// ResourceID is the simulated resource's GUID.
func (e *Emulator) ResourceID() string { return e.cfg.ResourceID }

// ApplicationID is the raw ID of the application's own identity: the source
// of calls it creates without an explicit source.
func (e *Emulator) ApplicationID() string { return e.appIdentity.RawID }

// ConnectionString is the connection string that reaches the emulator at
// baseURL ("" for BaseURL()).
func (e *Emulator) ConnectionString(baseURL string) string {
	if baseURL == "" {
		baseURL = e.BaseURL()
	}
	return "endpoint=" + strings.TrimRight(baseURL, "/") + "/;accesskey=" + base64.StdEncoding.EncodeToString(e.cfg.AccessKey)
}

// Close stops every timer and callback delivery and waits for the
// emulator's goroutines. Requests served afterwards change nothing.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.bgMu.Lock()
		e.bgClosed = true
		e.bgMu.Unlock()
		e.bgCancel()
		e.bg.Wait()
		e.sched.close()
		e.deliver.close()
	})
	return nil
}

// unlockAndFlush hands the events raised under mu to the deliverer and
// releases mu.
func (e *Emulator) unlockAndFlush() {
	evs := e.outbox
	e.outbox = nil
	if len(evs) > 0 {
		e.deliver.enqueue(evs...)
	}
	e.mu.Unlock()
}

// emitLocked raises one callback event for c, to url or c's callback URI.
func (e *Emulator) emitLocked(c *callConn, kind, url string, d eventData) {
	ev, err := buildEvent(c, kind, d, time.Now())
	if err != nil {
		e.log.Error("encoding callback event", append(c.logFields(), zap.String("event_type", kind), zap.Error(err))...)
		return
	}
	if url == "" {
		url = c.callbackURI
	}
	ev.url = url
	e.outbox = append(e.outbox, ev)
	e.log.Debug("callback event raised", append(c.logFields(), zap.String("event_type", kind), zap.String("event_id", ev.id))...)
}

// participantsUpdatedLocked tells every established connection of v its
// new roster.
func (e *Emulator) participantsUpdatedLocked(v *conversation) {
	if v.ending {
		return
	}
	if e.holdRoster {
		if !v.rosterHeld {
			v.rosterHeld = true
			e.heldRosters = append(e.heldRosters, v)
		}
		return
	}
	if v.hub != nil {
		v.hub.setRoster(v.remoteIDs())
	}
	roster := v.roster()
	for _, c := range v.conns {
		if c.state == stateConnecting || !c.live() {
			continue
		}
		c.seq++
		seq := c.seq
		r := roster
		e.emitLocked(c, evParticipantsUpdated, "", eventData{Participants: &r, SequenceNumber: &seq, ResultInformation: &resultSuccess})
	}
}

// coalesceRosterLocked runs f with roster updates held back, then raises one
// ParticipantsUpdated for each conversation f changed: changes made at the
// same instant reach the applications as one roster, not one roster each.
// f must raise no other event after a roster change, or that event would
// overtake the update.
func (e *Emulator) coalesceRosterLocked(f func()) {
	if e.holdRoster {
		f()
		return
	}
	e.holdRoster = true
	f()
	held := e.heldRosters
	e.holdRoster, e.heldRosters = false, nil
	for _, v := range held {
		v.rosterHeld = false
		e.participantsUpdatedLocked(v)
	}
}

// connectedLocked moves c to connected and raises CallConnected and its
// first ParticipantsUpdated (and the others' ParticipantsUpdated).
func (e *Emulator) connectedLocked(c *callConn) {
	c.state = stateConnected
	e.emitLocked(c, evCallConnected, "", eventData{OperationContext: c.operationContext, ResultInformation: &resultSuccess})
	e.participantsUpdatedLocked(c.conv)
	e.startStreamsAtSetUpLocked(c)
	e.log.Info("call connected", c.logFields()...)
}

// endConnLocked ends one application connection. With disconnected set it
// raises CallDisconnected with res; failure paths that raise their own event
// (CreateCallFailed + CallDisconnected, AnswerFailed, ConnectFailed) choose.
func (e *Emulator) endConnLocked(c *callConn, res resultInformation, disconnected bool, opContext string) {
	if !c.live() {
		return
	}
	for _, inv := range c.createInvites {
		if inv.cancel() {
			delete(c.conv.invites, inv)
		}
	}
	for _, inv := range c.adds {
		if inv.cancel() {
			delete(c.conv.invites, inv)
		}
	}
	if c.transfer != nil {
		c.transfer.cancel()
	}
	e.stopMediaLocked(c)
	c.state = stateDisconnected
	c.endedAt = time.Now()
	r := res
	c.endResult = &r
	if disconnected {
		e.emitLocked(c, evCallDisconnected, "", eventData{OperationContext: opContext, ResultInformation: &r})
	}
	v := c.conv
	for i, other := range v.conns {
		if other == c {
			v.conns = append(v.conns[:i], v.conns[i+1:]...)
			break
		}
	}
	if !v.isApp(c.self.RawID) && v.removeParticipant(c.self.RawID) {
		e.participantsUpdatedLocked(v)
	}
	e.ended = append(e.ended, c.id)
	if len(e.ended) > maxEndedCalls {
		delete(e.calls, e.ended[0])
		e.ended = e.ended[1:]
	}
	e.log.Info("call disconnected", append(c.logFields(), zap.Int("code", res.Code), zap.Int("sub_code", res.SubCode))...)
	e.checkConversationLocked(v, res)
}

// checkConversationLocked ends what is left of v once it cannot go on: no
// application is connected any more, or every remote participant has left
// and nobody is being invited.
func (e *Emulator) checkConversationLocked(v *conversation, res resultInformation) {
	if v.ended {
		return
	}
	if len(v.conns) == 0 {
		if !e.hasPendingIncomingLocked(v) {
			e.dropConversationLocked(v)
		}
		return
	}
	if !v.hadRemote || len(v.remotes()) > 0 || len(v.invites) > 0 {
		return
	}
	e.endAllLocked(v, res)
}

// endAllLocked ends the call for every application connected to v.
func (e *Emulator) endAllLocked(v *conversation, res resultInformation) {
	v.ending = true
	for _, c := range append([]*callConn(nil), v.conns...) {
		e.endConnLocked(c, res, true, "")
	}
}

func (e *Emulator) dropConversationLocked(v *conversation) {
	for _, r := range v.recordings {
		e.finishRecordingLocked(r, "CallEnded")
	}
	v.ended = true
	for inv := range v.invites {
		inv.cancel()
	}
	if e.convs[v.serverCallID] == v {
		delete(e.convs, v.serverCallID)
	}
	if v.locatorKey != "" && e.locators[v.locatorKey] == v {
		delete(e.locators, v.locatorKey)
	}
}

func (e *Emulator) newConversationLocked() *conversation {
	v := &conversation{serverCallID: newServerCallID(), correlationID: newUUID(), invites: map[*invitation]bool{}}
	e.convs[v.serverCallID] = v
	return v
}

func (e *Emulator) newConnLocked(v *conversation, origin, callbackURI, apiVersion string) *callConn {
	c := &callConn{
		id:          newUUID(),
		conv:        v,
		origin:      origin,
		state:       stateConnecting,
		callbackURI: callbackURI,
		apiVersion:  apiVersion,
		adds:        map[string]*invitation{},
		createdAt:   time.Now(),
	}
	e.calls[c.id] = c
	v.conns = append(v.conns, c)
	return c
}

// liveCallLocked finds a call connection the REST API may act on: the
// service forgets a call once it is disconnected.
func (e *Emulator) liveCallLocked(id string) (*callConn, *apiError) {
	c, ok := e.calls[id]
	if !ok || !c.live() {
		return nil, errCallNotFound()
	}
	return c, nil
}

// establishedCallLocked is liveCallLocked for mid-call actions, which ACS refuses while the call
// is still connecting.
func (e *Emulator) establishedCallLocked(id string) (*callConn, *apiError) {
	c, aerr := e.liveCallLocked(id)
	if aerr != nil {
		return nil, aerr
	}
	if !c.established() {
		return nil, errNotEstablished()
	}
	return c, nil
}

// ownsIdentity reports whether id belongs to the simulated resource.
func (e *Emulator) ownsIdentity(id identifierModel) bool {
	switch id.Kind {
	case kindCommunicationUser:
		return strings.HasPrefix(id.RawID, "8:acs:"+e.cfg.ResourceID+"_")
	case kindPhoneNumber:
		return id.PhoneNumber != nil && e.ownedPhones[id.PhoneNumber.Value]
	}
	return false
}
