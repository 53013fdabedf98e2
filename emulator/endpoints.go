package emulator

import (
	"encoding/json"
	"fmt"
	"time"
)

// What a simulated endpoint does when it rings.
const (
	AnswerAccept      = "accept"
	AnswerDecline     = "decline"
	AnswerBusy        = "busy"
	AnswerNoAnswer    = "noAnswer"
	AnswerUnavailable = "unavailable"
)

// What a simulated endpoint does when asked to take part in a transfer.
const (
	TransferAccept = "accept"
	TransferRefuse = "refuse"
)

// Behavior scripts a simulated endpoint, keyed by raw ID ("8:acs:...",
// "4:+1...") or by a group call ID, room ID or server call ID for connect.
// The zero value is the default: answer after Config.AnswerDelay, accept
// transfers.
type Behavior struct {
	// Answer is one of accept, decline, busy, noAnswer, unavailable.
	Answer string `json:"answer,omitempty"`
	// AnswerDelay overrides Config.AnswerDelay for this endpoint: how long
	// it rings before it answers, declines or is busy.
	AnswerDelay *Duration `json:"answerDelay,omitempty"`
	// Transfer is accept or refuse: whether a transfer involving this
	// endpoint, as transferee or as target, goes through.
	Transfer string `json:"transfer,omitempty"`
}

func (b Behavior) validate() error {
	switch b.Answer {
	case "", AnswerAccept, AnswerDecline, AnswerBusy, AnswerNoAnswer, AnswerUnavailable:
	default:
		return fmt.Errorf("answer %q is not one of accept, decline, busy, noAnswer, unavailable", b.Answer)
	}
	switch b.Transfer {
	case "", TransferAccept, TransferRefuse:
	default:
		return fmt.Errorf("transfer %q is not one of accept, refuse", b.Transfer)
	}
	if b.AnswerDelay != nil && b.AnswerDelay.D < 0 {
		return fmt.Errorf("answerDelay is negative")
	}
	return nil
}

// Duration is a time.Duration written as a Go duration string ("1.5s") in
// JSON; a bare number is taken as milliseconds.
type Duration struct{ D time.Duration }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.D.String()) }

// UnmarshalJSON reads "1.5s" or 1500.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		d.D = v
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"2s\" or milliseconds: %w", err)
	}
	d.D = time.Duration(ms * float64(time.Millisecond))
	return nil
}

func (e *Emulator) behaviorLocked(key string) Behavior {
	return e.endpoints[key]
}

func (e *Emulator) answerDelayLocked(b Behavior) time.Duration {
	if b.AnswerDelay != nil {
		return b.AnswerDelay.D
	}
	return e.cfg.AnswerDelay
}

// ringLocked starts ringing inv.target as its script says; the outcome
// arrives through inv.onAnswer or inv.onFail. timeout is the invitation
// timeout (no answer in time fails with 487/10004).
func (e *Emulator) ringLocked(inv *invitation, timeout time.Duration) {
	inv.state = invPending
	b := e.behaviorLocked(inv.target.RawID)
	delay := e.answerDelayLocked(b)
	settle := func(answered bool, res resultInformation) func() {
		return func() {
			e.mu.Lock()
			defer e.unlockAndFlush()
			if inv.state != invPending {
				return
			}
			inv.stopTimers()
			if answered {
				inv.state = invAnswered
				inv.onAnswer()
				return
			}
			inv.state = invFailed
			inv.onFail(res)
		}
	}
	switch b.Answer {
	case "", AnswerAccept:
		if delay < timeout {
			inv.stops = append(inv.stops, e.sched.after(delay, settle(true, resultSuccess)))
		}
	case AnswerDecline:
		inv.stops = append(inv.stops, e.sched.after(delay, settle(false, resultDeclined)))
	case AnswerBusy:
		inv.stops = append(inv.stops, e.sched.after(delay, settle(false, resultBusy)))
	case AnswerUnavailable:
		inv.stops = append(inv.stops, e.sched.after(0, settle(false, resultUnavailable)))
	case AnswerNoAnswer:
	}
	inv.stops = append(inv.stops, e.sched.after(timeout, settle(false, resultNoAnswer)))
}
