package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
)

// The control API under /emulator/v1/ scripts the simulation. It is not part
// of ACS and takes no authentication: the emulator is a loopback tool.

type controlError struct {
	Error string `json:"error"`
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, controlError{Error: msg})
}

// decodeControl reads a control API body into v; on failure it answers and
// returns false.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, aerr := readBody(w, r)
	if aerr != nil {
		writeControlError(w, aerr.status, aerr.message)
		return false
	}
	if len(body) == 0 {
		writeControlError(w, http.StatusBadRequest, "a JSON body is required")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /emulator/v1/info", e.ctlInfo)
	mux.HandleFunc("GET /emulator/v1/endpoints", e.ctlListEndpoints)
	mux.HandleFunc("PUT /emulator/v1/endpoints/{id}", e.ctlPutEndpoint)
	mux.HandleFunc("GET /emulator/v1/endpoints/{id}", e.ctlGetEndpoint)
	mux.HandleFunc("DELETE /emulator/v1/endpoints/{id}", e.ctlDeleteEndpoint)
	mux.HandleFunc("POST /emulator/v1/incomingCalls", e.ctlIncomingCall)
	mux.HandleFunc("GET /emulator/v1/incomingCalls/{id}", e.ctlGetIncomingCall)
	mux.HandleFunc("POST /emulator/v1/incomingCalls/{id}/hangUp", e.ctlIncomingHangUp)
	mux.HandleFunc("GET /emulator/v1/calls", e.ctlListCalls)
	mux.HandleFunc("GET /emulator/v1/calls/{id}", e.ctlGetCall)
	mux.HandleFunc("POST /emulator/v1/calls/{id}/participants/{rawId}/hangUp", e.ctlParticipantHangUp)
	mux.HandleFunc("POST /emulator/v1/calls/{id}/participants/{rawId}/sendTones", e.ctlParticipantSendTones)
	mux.HandleFunc("POST /emulator/v1/calls/{id}/participants/{rawId}/say", e.ctlParticipantSay)
	mux.HandleFunc("GET /emulator/v1/files", e.ctlListFiles)
	mux.HandleFunc("PUT /emulator/v1/files", e.ctlPutFile)
	mux.HandleFunc("GET /emulator/v1/eventgrid/validate", e.ctlValidate)
	mux.HandleFunc("PUT /emulator/v1/eventGridWebhook", e.ctlPutWebhook)
	e.controlMediaRoutes(mux)
}

// WebhookRequest is the body of PUT /emulator/v1/eventGridWebhook.
type WebhookRequest struct {
	// URL receives the Event Grid deliveries (IncomingCall, RecordingFileStatusUpdated); empty: none.
	URL string `json:"url"`
}

// ctlPutWebhook sets the Event Grid webhook, as --event-grid-webhook does at start.
func (e *Emulator) ctlPutWebhook(w http.ResponseWriter, r *http.Request) {
	var req WebhookRequest
	if !decodeControl(w, r, &req) {
		return
	}
	if err := e.SetEventGridWebhook(req.URL); err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Info describes how to reach and trust the emulator (no secrets).
type Info struct {
	BaseURL                string   `json:"baseUrl"`
	Issuer                 string   `json:"issuer"`
	Audience               string   `json:"audience"`
	JWKSURL                string   `json:"jwksUrl"`
	OpenIDConfigurationURL string   `json:"openIdConfigurationUrl"`
	ResourceID             string   `json:"resourceId"`
	ApplicationID          string   `json:"applicationId"`
	EventGridWebhook       string   `json:"eventGridWebhook,omitempty"`
	APIVersions            []string `json:"apiVersions"`
}

func (e *Emulator) ctlInfo(w http.ResponseWriter, _ *http.Request) {
	versions := KnownAPIVersions()
	sort.Strings(versions)
	writeJSON(w, http.StatusOK, Info{
		BaseURL: e.BaseURL(), Issuer: e.Issuer(), Audience: e.Audience(), JWKSURL: e.JWKSURL(),
		OpenIDConfigurationURL: e.OpenIDConfigurationURL(), ResourceID: e.cfg.ResourceID,
		ApplicationID: e.appIdentity.RawID, EventGridWebhook: e.eventGridWebhookRedacted(),
		APIVersions: versions,
	})
}

func (e *Emulator) ctlListEndpoints(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	out := make(map[string]Behavior, len(e.endpoints))
	for k, v := range e.endpoints {
		out[k] = v
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) ctlPutEndpoint(w http.ResponseWriter, r *http.Request) {
	var b Behavior
	if !decodeControl(w, r, &b) {
		return
	}
	if err := b.validate(); err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	e.SetBehavior(r.PathValue("id"), b)
	writeJSON(w, http.StatusOK, b)
}

func (e *Emulator) ctlGetEndpoint(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	b, ok := e.endpoints[r.PathValue("id")]
	e.mu.Unlock()
	if !ok {
		writeControlError(w, http.StatusNotFound, "no behaviour scripted for this endpoint (it answers after the default delay)")
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (e *Emulator) ctlDeleteEndpoint(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	delete(e.endpoints, r.PathValue("id"))
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// SetBehavior scripts the endpoint with the given raw ID (or group call ID,
// room ID or server call ID); the zero Behavior restores the default.
func (e *Emulator) SetBehavior(id string, b Behavior) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b.isZero() {
		delete(e.endpoints, id)
		return
	}
	e.endpoints[id] = b
}

// IncomingCallRequest is the body of POST /emulator/v1/incomingCalls.
type IncomingCallRequest struct {
	// From and To are raw IDs ("8:acs:...", "4:+14255550100" or "+14255550100").
	From string `json:"from"`
	To   string `json:"to"`
	// CallerDisplayName is shown as callerDisplayName.
	CallerDisplayName string `json:"callerDisplayName,omitempty"`
	// CustomContext is copied to the event's customContext.
	CustomContext *CustomContext `json:"customContext,omitempty"`
	// Webhook overrides the configured Event Grid webhook for this call.
	Webhook string `json:"webhook,omitempty"`
}

// CustomContext is the customContext of an IncomingCall event.
type CustomContext struct {
	SipHeaders  map[string]string `json:"sipHeaders,omitempty"`
	VoipHeaders map[string]string `json:"voipHeaders,omitempty"`
}

// IncomingCallResult answers POST /emulator/v1/incomingCalls.
type IncomingCallResult struct {
	ID                  string `json:"id"`
	IncomingCallContext string `json:"incomingCallContext"`
	ServerCallID        string `json:"serverCallId"`
	CorrelationID       string `json:"correlationId"`
	Delivered           bool   `json:"delivered"`
	DeliveryError       string `json:"deliveryError,omitempty"`
}

func (e *Emulator) ctlIncomingCall(w http.ResponseWriter, r *http.Request) {
	var req IncomingCallRequest
	if !decodeControl(w, r, &req) {
		return
	}
	res, status, err := e.RaiseIncomingCall(r.Context(), req)
	if err != nil {
		writeControlError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// RaiseIncomingCall simulates a call to req.To and posts its IncomingCall
// event to the webhook (after the validation handshake, once per webhook).
// The call exists even when delivery fails; the result says so. The int is
// the HTTP status for a rejected request.
func (e *Emulator) RaiseIncomingCall(ctx context.Context, req IncomingCallRequest) (IncomingCallResult, int, error) {
	if req.From == "" || req.To == "" {
		return IncomingCallResult{}, http.StatusBadRequest, errors.New("from and to are required raw IDs")
	}
	// The caller may have withheld its number; the callee is a party ACS
	// could ring, held to the REST API's rules.
	from, err := parseRawID(controlRawID(req.From), existingParty)
	if err != nil {
		return IncomingCallResult{}, http.StatusBadRequest, fmt.Errorf("from %w", err)
	}
	to, err := parseRawID(controlRawID(req.To), newParty)
	if err != nil {
		return IncomingCallResult{}, http.StatusBadRequest, fmt.Errorf("to %w", err)
	}
	webhook := req.Webhook
	if webhook != "" {
		if _, err := parseCallbackURI(webhook, true); err != nil {
			return IncomingCallResult{}, http.StatusBadRequest, errors.New("webhook " + err.Error())
		}
	}
	var custom *customCallingContext
	if req.CustomContext != nil {
		custom = &customCallingContext{SipHeaders: req.CustomContext.SipHeaders, VoipHeaders: req.CustomContext.VoipHeaders}
		var bad violations
		bad.customContext("customContext", custom)
		if len(bad) > 0 {
			return IncomingCallResult{}, http.StatusBadRequest, errors.New(bad[0].Message)
		}
	}
	e.mu.Lock()
	if webhook == "" {
		webhook = e.webhookURL
	}
	in := e.newIncomingLocked(from, to, req.CallerDisplayName, custom, nil)
	in.webhook = webhook
	ev := e.incomingCallEvent(in)
	res := IncomingCallResult{ID: in.id, IncomingCallContext: in.contextToken, ServerCallID: in.conv.serverCallID, CorrelationID: in.conv.correlationID}
	e.unlockAndFlush()
	e.log.Info("incoming call raised", zap.String("incoming_call_id", in.id), zap.String("correlation_id", res.CorrelationID))
	if webhook == "" {
		res.DeliveryError = "no Event Grid webhook configured"
		return res, 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.deliverIncomingCall(ctx, webhook, ev); err != nil {
		res.DeliveryError = err.Error()
		e.log.Warn("incoming call not delivered", zap.String("incoming_call_id", in.id), zap.String("webhook", redactURL(webhook)), zap.Error(err))
		return res, 0, nil
	}
	res.Delivered = true
	return res, 0, nil
}

type incomingView struct {
	ID               string `json:"id"`
	State            string `json:"state"`
	From             string `json:"from"`
	To               string `json:"to"`
	ServerCallID     string `json:"serverCallId"`
	CorrelationID    string `json:"correlationId"`
	CallConnectionID string `json:"callConnectionId,omitempty"`
}

func (e *Emulator) ctlGetIncomingCall(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	in, ok := e.incoming[r.PathValue("id")]
	var view incomingView
	if ok {
		view = incomingView{ID: in.id, State: in.state, From: in.from.RawID, To: in.to.RawID,
			ServerCallID: in.conv.serverCallID, CorrelationID: in.conv.correlationID, CallConnectionID: in.answeredBy}
	}
	e.mu.Unlock()
	if !ok {
		writeControlError(w, http.StatusNotFound, "no such incoming call")
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// ctlIncomingHangUp makes the caller of a still ringing incoming call hang
// up: a later answer gets AnswerFailed.
func (e *Emulator) ctlIncomingHangUp(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	in, ok := e.incoming[r.PathValue("id")]
	if !ok {
		writeControlError(w, http.StatusNotFound, "no such incoming call")
		return
	}
	if in.state != incomingRinging {
		writeControlError(w, http.StatusConflict, "the incoming call is "+in.state+", not ringing")
		return
	}
	in.state = incomingCanceled
	in.stopExpiry()
	e.finishIncomingLocked(in)
	w.WriteHeader(http.StatusNoContent)
}

// CallView is the control API's picture of one call connection.
type CallView struct {
	CallConnectionID string             `json:"callConnectionId"`
	Origin           string             `json:"origin"`
	State            string             `json:"state"`
	ServerCallID     string             `json:"serverCallId"`
	CorrelationID    string             `json:"correlationId"`
	CallbackURI      string             `json:"callbackUri"`
	Self             string             `json:"self"`
	Participants     []callParticipant  `json:"participants"`
	Invitations      []InvitationView   `json:"invitations,omitempty"`
	CreatedAt        time.Time          `json:"createdAt"`
	EndedAt          *time.Time         `json:"endedAt,omitempty"`
	EndResult        *resultInformation `json:"endResult,omitempty"`
}

// InvitationView is one add-participant invitation of a call.
type InvitationView struct {
	InvitationID string `json:"invitationId"`
	Target       string `json:"target"`
	State        string `json:"state"`
}

func (e *Emulator) viewLocked(c *callConn) CallView {
	v := CallView{
		CallConnectionID: c.id, Origin: c.origin, State: c.state, ServerCallID: c.conv.serverCallID,
		CorrelationID: c.conv.correlationID, CallbackURI: redactURL(c.callbackURI), Self: c.self.RawID,
		Participants: []callParticipant{}, CreatedAt: c.createdAt, EndResult: c.endResult,
	}
	if c.live() {
		v.Participants = c.conv.roster()
	} else {
		t := c.endedAt
		v.EndedAt = &t
	}
	for _, inv := range c.adds {
		v.Invitations = append(v.Invitations, InvitationView{InvitationID: inv.id, Target: inv.target.RawID, State: inv.state})
	}
	sort.Slice(v.Invitations, func(i, j int) bool { return v.Invitations[i].InvitationID < v.Invitations[j].InvitationID })
	return v
}

func (e *Emulator) ctlListCalls(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	out := make([]CallView, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, e.viewLocked(c))
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) ctlGetCall(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	c, ok := e.calls[r.PathValue("id")]
	var v CallView
	if ok {
		v = e.viewLocked(c)
	}
	e.mu.Unlock()
	if !ok {
		writeControlError(w, http.StatusNotFound, "no such call connection")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// ctlParticipantHangUp makes a remote participant leave the call: the others
// get ParticipantsUpdated, and a call left with no remote participant ends
// (CallDisconnected).
func (e *Emulator) ctlParticipantHangUp(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, rawID, ok := e.controlParticipantLocked(w, r, "hang up through the REST API")
	if !ok {
		return
	}
	v := c.conv
	v.removeParticipant(rawID)
	e.log.Info("remote participant hung up", append(c.logFields(), zap.String("participant", rawID))...)
	e.participantsUpdatedLocked(v)
	e.checkConversationLocked(v, resultOthersLeft)
	w.WriteHeader(http.StatusNoContent)
}

// controlParticipantLocked finds the live call {id} and its remote participant {rawId}, or
// answers why not; appRefusal says what the application's own identity is not, for that case.
func (e *Emulator) controlParticipantLocked(w http.ResponseWriter, r *http.Request, appRefusal string) (*callConn, string, bool) {
	rawID := controlRawID(r.PathValue("rawId"))
	c, ok := e.calls[r.PathValue("id")]
	if !ok || !c.live() {
		writeControlError(w, http.StatusNotFound, "no such live call connection")
		return nil, "", false
	}
	if c.conv.find(rawID) == nil {
		writeControlError(w, http.StatusNotFound, "no such participant in the call")
		return nil, "", false
	}
	if c.conv.isApp(rawID) {
		writeControlError(w, http.StatusBadRequest, "that is the application's own identity: "+appRefusal)
		return nil, "", false
	}
	return c, rawID, true
}

// controlRawID takes the control API's "+1..." shorthand for "4:+1...".
func controlRawID(raw string) string {
	if strings.HasPrefix(raw, "+") {
		return "4:" + raw
	}
	return raw
}

func (e *Emulator) ctlValidate(w http.ResponseWriter, r *http.Request) {
	if !e.manualValidate(r.URL.Query().Get("id")) {
		writeControlError(w, http.StatusNotFound, "unknown validation code")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// SendTonesRequest is the body of POST .../participants/{rawId}/sendTones.
type SendTonesRequest struct {
	// Tones are the keys the participant presses, in order, in the DTMF alphabet 0-9 * # A-D.
	Tones string `json:"tones"`
}

// SayRequest is the body of POST .../participants/{rawId}/say.
type SayRequest struct {
	// Text is what the participant says.
	Text string `json:"text"`
}

// ctlParticipantSendTones makes a remote participant press keys: whatever of the call listens
// to the participant (a recognize, continuous DTMF recognition) hears them; with nothing
// listening they are dropped.
func (e *Emulator) ctlParticipantSendTones(w http.ResponseWriter, r *http.Request) {
	var req SendTonesRequest
	if !decodeControl(w, r, &req) {
		return
	}
	tones, err := parseKeys(req.Tones)
	if err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	e.participantInput(w, r, tones, "")
}

// ctlParticipantSay makes a remote participant say something, heard as sendTones' keys are.
func (e *Emulator) ctlParticipantSay(w http.ResponseWriter, r *http.Request) {
	var req SayRequest
	if !decodeControl(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Text) == "" || runeCount(req.Text) > maxTextRunes {
		writeControlError(w, http.StatusBadRequest, fmt.Sprintf("text must be 1 to %d characters", maxTextRunes))
		return
	}
	e.participantInput(w, r, nil, req.Text)
}

func (e *Emulator) participantInput(w http.ResponseWriter, r *http.Request, tones []string, speech string) {
	e.mu.Lock()
	defer e.unlockAndFlush()
	c, rawID, ok := e.controlParticipantLocked(w, r, "not a simulated participant")
	if !ok {
		return
	}
	v := c.conv
	e.participantInputLocked(v, rawID, tones, speech)
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) ctlListFiles(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	out := make([]File, 0, len(e.files))
	for _, f := range e.files {
		out = append(out, f)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	writeJSON(w, http.StatusOK, out)
}

// ctlPutFile scripts an audio file: how long it plays, or that it cannot be played.
func (e *Emulator) ctlPutFile(w http.ResponseWriter, r *http.Request) {
	var f File
	if !decodeControl(w, r, &f) {
		return
	}
	if err := e.SetFile(f); err != nil {
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, f)
}
