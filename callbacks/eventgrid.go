package callbacks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const (
	incomingCallType       = "Microsoft.Communication.IncomingCall"
	subscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent"
	// Event Grid spells the UUI header "userToUser" where ACS's requests say "User-To-User".
	sipUserToUserEventGrid  = "usertouser"
	webhookRequestOrigin    = "WebHook-Request-Origin"
	webhookAllowedOrigin    = "WebHook-Allowed-Origin"
	webhookAllowedRate      = "WebHook-Allowed-Rate"
	webhookAllowedRateValue = "*"
)

// gridEvent is an Event Grid delivery in either schema: Event Grid's own (eventType, eventTime)
// or CloudEvents 1.0 (type, time, specversion).
type gridEvent struct {
	ID        string          `json:"id"`
	Subject   string          `json:"subject"`
	EventType string          `json:"eventType"`
	EventTime string          `json:"eventTime"`
	Type      string          `json:"type"`
	Time      string          `json:"time"`
	Data      json.RawMessage `json:"data"`
}

func (e *gridEvent) kind() string {
	if e.EventType != "" {
		return e.EventType
	}
	return e.Type
}

func (e *gridEvent) when() string {
	if e.EventTime != "" {
		return e.EventTime
	}
	return e.Time
}

// customContext is the custom calling context of an IncomingCall, as Event Grid sends it.
type customContext struct {
	SIPHeaders  map[string]string `json:"sipHeaders"`
	VoIPHeaders map[string]string `json:"voipHeaders"`
}

func (h *Handler) serveEventGrid(w http.ResponseWriter, r *http.Request) {
	// Event Grid signs nothing: the URL's secret is the only credential, so without one
	// configured every delivery is refused.
	if h.cfg.Secret == "" || !secretMatches(r, h.cfg.Secret) {
		h.refuse(w, r, http.StatusUnauthorized, "wrong or missing "+tokenQueryParam+" in the URL", nil)
		return
	}
	switch r.Method {
	case http.MethodOptions:
		// The CloudEvents webhook handshake (CloudEvents 1.0 HTTP webhook spec, section 4).
		origin := r.Header.Get(webhookRequestOrigin)
		if origin == "" {
			h.refuse(w, r, http.StatusBadRequest, "missing "+webhookRequestOrigin, nil)
			return
		}
		w.Header().Set(webhookAllowedOrigin, origin)
		w.Header().Set(webhookAllowedRate, webhookAllowedRateValue)
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	events, err := decodeEnvelopes[gridEvent](body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, err.Error(), body)
		return
	}
	for i := range events {
		ev := &events[i]
		switch ev.kind() {
		case subscriptionValidation:
			h.answerValidation(w, r, ev, body)
			return
		case incomingCallType:
			if status, msg := h.storeIncomingCall(r, ev); !h.stored(w, r, body, status, msg) {
				return
			}
		case recordingFileStatusUpdatedType:
			if status, msg := h.storeRecordingFiles(r, ev); !h.stored(w, r, body, status, msg) {
				return
			}
		default:
			h.log.Debug("ignoring Event Grid event", zap.String("event_type", ev.kind()), zap.String("event_id", ev.ID))
		}
	}
	h.metrics.delivery(r, outcomeStored)
	w.WriteHeader(http.StatusOK)
}

// stored says whether an event was stored, and answers the delivery when not: a 400 is refused
// (and logged as such), anything else asks for the delivery again.
func (h *Handler) stored(w http.ResponseWriter, r *http.Request, body []byte, status int, msg string) bool {
	switch status {
	case http.StatusOK:
		return true
	case http.StatusBadRequest:
		h.refuse(w, r, status, msg, body)
	default:
		http.Error(w, msg, status)
	}
	return false
}

// answerValidation completes Event Grid's subscription handshake: 200 with the code echoed back.
func (h *Handler) answerValidation(w http.ResponseWriter, r *http.Request, ev *gridEvent, body []byte) {
	var d struct {
		ValidationCode string `json:"validationCode"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.ValidationCode == "" {
		h.refuse(w, r, http.StatusBadRequest, "validation event without a validationCode", body)
		return
	}
	h.log.Info("Event Grid subscription validated", zap.String("event_id", ev.ID))
	h.metrics.delivery(r, outcomeValidation)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"validationResponse": d.ValidationCode})
}

func (h *Handler) storeIncomingCall(r *http.Request, ev *gridEvent) (int, string) {
	call, err := parseIncomingCall(ev)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	payload, err := proto.Marshal(call)
	if err != nil {
		return http.StatusInternalServerError, "cannot encode event"
	}
	seq, dup, err := h.store.AppendIncoming(r.Context(), call.GetTo().GetRawId(), call.GetId(), payload)
	if err != nil {
		h.log.Warn("cannot store incoming call; asking Event Grid to deliver again", zap.String("event_id", call.GetId()), zap.Error(err))
		h.metrics.delivery(r, outcomeStoreFailed)
		return http.StatusServiceUnavailable, "event not stored, deliver again"
	}
	if !dup {
		h.metrics.event(incomingCallType)
	}
	annotate(r, "", call.GetCorrelationId())
	h.log.Debug("incoming call stored",
		zap.String("correlation_id", call.GetCorrelationId()),
		zap.String("event_id", call.GetId()),
		zap.Uint64("sequence", seq),
		zap.Bool("duplicate", dup))
	return http.StatusOK, ""
}

func parseIncomingCall(ev *gridEvent) (*callgatev1.IncomingCall, error) {
	if ev.ID == "" {
		return nil, errEventWithoutID
	}
	data, s, err := decodeData(ev.Data)
	if err != nil {
		return nil, err
	}
	call := &callgatev1.IncomingCall{Id: ev.ID, Data: s}
	decodeFields(call.ProtoReflect(), data, isIncomingCallDataField)
	if t, err := time.Parse(time.RFC3339Nano, ev.when()); err == nil {
		call.Time = timestamppb.New(t)
	}
	if _, ok := data["customContext"]; ok {
		var d struct {
			CustomContext *customContext `json:"customContext"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, fmt.Errorf("customContext: %w", err)
		}
		call.CustomContext = d.CustomContext.toProto()
	}
	return call, nil
}

// isIncomingCallDataField says which of IncomingCall's fields come from the event's data as
// they are; the custom context is renamed (SIP headers lose their prefix).
func isIncomingCallDataField(fd protoreflect.FieldDescriptor) bool {
	switch fd.Name() {
	case "to", "from", "caller_display_name", "server_call_id", "correlation_id", "incoming_call_context", "on_behalf_of_callee":
		return true
	}
	return false
}

func (c *customContext) toProto() *callgatev1.CustomCallingContext {
	if c == nil {
		return nil
	}
	cc := &callgatev1.CustomCallingContext{VoipHeaders: c.VoIPHeaders}
	for name, value := range c.SIPHeaders {
		switch {
		case strings.EqualFold(name, acs.SIPHeaderUUI) || strings.EqualFold(name, sipUserToUserEventGrid):
			cc.SipUserToUser = value
		case len(name) >= len(acs.SIPCustomHeaderPrefix) && strings.EqualFold(name[:len(acs.SIPCustomHeaderPrefix)], acs.SIPCustomHeaderPrefix):
			if cc.SipXHeaders == nil {
				cc.SipXHeaders = map[string]string{}
			}
			cc.SipXHeaders[name[len(acs.SIPCustomHeaderPrefix):]] = value
		}
	}
	return cc
}
