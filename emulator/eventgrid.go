package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

const eventGridAttempts = 3

// validateWebhook runs Event Grid's subscription validation handshake once
// per webhook URL: POST a Microsoft.EventGrid.SubscriptionValidationEvent and
// expect 200 with {"validationResponse": "<validationCode>"}.
func (e *Emulator) validateWebhook(ctx context.Context, webhook string) error {
	e.webhookMu.Lock()
	if e.validated[webhook] {
		e.webhookMu.Unlock()
		return nil
	}
	code := newUUID()
	e.pendingVC[code] = webhook
	e.webhookMu.Unlock()
	// Not holding webhookMu while posting: the webhook may answer by a GET
	// on validationUrl from inside its handler.

	validationURL := e.BaseURL() + "/emulator/v1/eventgrid/validate?id=" + url.QueryEscape(code)
	ev := eventGridEvent{
		ID:      newUUID(),
		Topic:   e.eventGridTopic(),
		Subject: "",
		Data: map[string]string{
			"validationCode": code,
			"validationUrl":  validationURL,
		},
		EventType:       "Microsoft.EventGrid.SubscriptionValidationEvent",
		DataVersion:     "1",
		MetadataVersion: "1",
		EventTime:       eventGridTime(time.Now()),
	}
	status, body, err := e.postEventGrid(ctx, webhook, "SubscriptionValidation", ev, 0)

	e.webhookMu.Lock()
	defer e.webhookMu.Unlock()
	delete(e.pendingVC, code)
	if e.validated[webhook] {
		return nil // validated through validationUrl meanwhile
	}
	if err != nil {
		return fmt.Errorf("subscription validation: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("subscription validation: webhook answered %d", status)
	}
	var answer struct {
		ValidationResponse string `json:"validationResponse"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.ValidationResponse != code {
		return errors.New("subscription validation: webhook did not echo the validation code in validationResponse")
	}
	e.validated[webhook] = true
	e.log.Info("event grid webhook validated", zap.String("webhook", redactURL(webhook)))
	return nil
}

// manualValidate is the validationUrl of the handshake: a GET on it
// validates the webhook, as Event Grid's manual validation does.
func (e *Emulator) manualValidate(code string) bool {
	e.webhookMu.Lock()
	defer e.webhookMu.Unlock()
	webhook, ok := e.pendingVC[code]
	if ok {
		delete(e.pendingVC, code)
		e.validated[webhook] = true
	}
	return ok
}

// deliverIncomingCall posts an IncomingCall event to the webhook.
func (e *Emulator) deliverIncomingCall(ctx context.Context, webhook string, ev eventGridEvent) error {
	return e.deliverEventGrid(ctx, webhook, ev)
}

// deliverEventGrid posts an Event Grid event to the webhook, after the
// validation handshake, retrying a non-2xx answer with the same event id.
func (e *Emulator) deliverEventGrid(ctx context.Context, webhook string, ev eventGridEvent) error {
	if err := e.validateWebhook(ctx, webhook); err != nil {
		return err
	}
	wait := e.cfg.CallbackRetryBackoff
	var last error
	for attempt := 0; attempt < eventGridAttempts; attempt++ {
		status, _, err := e.postEventGrid(ctx, webhook, "Notification", ev, attempt)
		if err == nil && status >= 200 && status < 300 {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("webhook answered %d", status)
		}
		if attempt == eventGridAttempts-1 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait *= 2
	}
	return fmt.Errorf("delivering %s: %w", strings.TrimPrefix(ev.EventType, eventTypePrefix), last)
}

func (e *Emulator) postEventGrid(ctx context.Context, webhook, eventType string, ev eventGridEvent, deliveryCount int) (int, []byte, error) {
	body, err := json.Marshal([]eventGridEvent{ev})
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("aeg-event-type", eventType)
	req.Header.Set("aeg-subscription-name", "CALLGATE-EMULATOR")
	req.Header.Set("aeg-delivery-count", strconv.Itoa(deliveryCount))
	req.Header.Set("aeg-data-version", ev.DataVersion)
	req.Header.Set("aeg-metadata-version", ev.MetadataVersion)
	resp, err := e.deliver.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("posting to webhook: %w", stripURL(err))
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, respBody, nil
}

// redactURL drops the query of a webhook URL before logging it: Event Grid
// webhooks commonly carry a shared secret there.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	u.RawQuery = ""
	u.User = nil
	return u.String()
}

// SetEventGridWebhook sets the Event Grid webhook (IncomingCall, RecordingFileStatusUpdated),
// for a receiver whose URL is known only once the emulator runs.
func (e *Emulator) SetEventGridWebhook(webhook string) error {
	if webhook != "" {
		if _, err := parseCallbackURI(webhook, true); err != nil {
			return fmt.Errorf("emulator: webhook %w", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.webhookURL = webhook
	return nil
}

func (e *Emulator) eventGridWebhookRedacted() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.webhookURL == "" {
		return ""
	}
	return redactURL(e.webhookURL)
}
