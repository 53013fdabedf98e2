package callbacks

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
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

type incomingCallData struct {
	To                  *identifierModel `json:"to"`
	From                *identifierModel `json:"from"`
	ServerCallID        string           `json:"serverCallId"`
	CallerDisplayName   string           `json:"callerDisplayName"`
	IncomingCallContext string           `json:"incomingCallContext"`
	CorrelationID       string           `json:"correlationId"`
	OnBehalfOfCallee    *identifierModel `json:"onBehalfOfCallee"`
	CustomContext       *struct {
		SIPHeaders  map[string]string `json:"sipHeaders"`
		VoIPHeaders map[string]string `json:"voipHeaders"`
	} `json:"customContext"`
}

func (h *Handler) serveEventGrid(w http.ResponseWriter, r *http.Request) {
	// Event Grid signs nothing: the URL's secret is the only credential, so without one
	// configured every delivery is refused.
	if h.cfg.Secret == "" || !secretMatches(r, h.cfg.Secret) {
		h.unauthorized(w, r, errUnauthenticated)
		return
	}
	switch r.Method {
	case http.MethodOptions:
		// The CloudEvents webhook handshake (CloudEvents 1.0 HTTP webhook spec, section 4).
		origin := r.Header.Get(webhookRequestOrigin)
		if origin == "" {
			http.Error(w, "missing "+webhookRequestOrigin, http.StatusBadRequest)
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
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for i := range events {
		ev := &events[i]
		switch ev.kind() {
		case subscriptionValidation:
			h.answerValidation(w, ev)
			return
		case incomingCallType:
			if status, msg := h.storeIncomingCall(r, ev); status != http.StatusOK {
				http.Error(w, msg, status)
				return
			}
		default:
			h.log.Debug("ignoring Event Grid event", zap.String("event_type", ev.kind()), zap.String("event_id", ev.ID))
		}
	}
	w.WriteHeader(http.StatusOK)
}

// answerValidation completes Event Grid's subscription handshake: 200 with the code echoed back.
func (h *Handler) answerValidation(w http.ResponseWriter, ev *gridEvent) {
	var d struct {
		ValidationCode string `json:"validationCode"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.ValidationCode == "" {
		http.Error(w, "validation event without a validationCode", http.StatusBadRequest)
		return
	}
	h.log.Info("Event Grid subscription validated", zap.String("event_id", ev.ID))
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
		return http.StatusServiceUnavailable, "event not stored, deliver again"
	}
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
	var d incomingCallData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, err
	}
	data, err := dataStruct(ev.Data)
	if err != nil {
		return nil, err
	}
	call := &callgatev1.IncomingCall{
		Id:                  ev.ID,
		To:                  d.To.toProto(),
		From:                d.From.toProto(),
		CallerDisplayName:   d.CallerDisplayName,
		ServerCallId:        d.ServerCallID,
		CorrelationId:       d.CorrelationID,
		IncomingCallContext: d.IncomingCallContext,
		OnBehalfOfCallee:    d.OnBehalfOfCallee.toProto(),
		Data:                data,
	}
	if t, err := time.Parse(time.RFC3339Nano, ev.when()); err == nil {
		call.Time = timestamppb.New(t)
	}
	if c := d.CustomContext; c != nil {
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
		call.CustomContext = cc
	}
	return call, nil
}
