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
	// Recognize scripts the endpoint's answers to the recognizes that target it, in order:
	// each recognize takes the first one left, as soon as it listens (so tests need no
	// timing). A recognize with none left waits for input from the control API
	// (sendTones, say) or times out.
	Recognize []RecognizeAnswer `json:"recognize,omitempty"`
}

// RecognizeAnswer is what a simulated participant answers to one recognize. Exactly one
// field is set.
type RecognizeAnswer struct {
	// Tones are keys pressed one after the other, in the DTMF alphabet 0-9 * # A-D ("12#").
	Tones string `json:"tones,omitempty"`
	// Speech is what the participant says (speechResult.speech; a choice when it is one of
	// the choice's phrases, case-insensitively).
	Speech string `json:"speech,omitempty"`
	// Choice is the label of the choice the participant picks, by saying its first phrase.
	Choice string `json:"choice,omitempty"`
	// Silence: the participant says nothing, and the recognize times out.
	Silence bool `json:"silence,omitempty"`
}

// maxScriptedAnswers bounds the answers one endpoint can have scripted.
const maxScriptedAnswers = 100

func (b Behavior) isZero() bool {
	return b.Answer == "" && b.AnswerDelay == nil && b.Transfer == "" && len(b.Recognize) == 0
}

func (a RecognizeAnswer) validate() error {
	set := 0
	for _, present := range []bool{a.Tones != "", a.Speech != "", a.Choice != "", a.Silence} {
		if present {
			set++
		}
	}
	switch {
	case set != 1:
		return fmt.Errorf("a recognize answer has exactly one of tones, speech, choice and silence")
	case a.Tones != "":
		_, err := parseKeys(a.Tones)
		return err
	case runeCount(a.Speech) > maxTextRunes:
		return fmt.Errorf("speech is longer than %d characters", maxTextRunes)
	case runeCount(a.Choice) > maxPhraseRunes:
		return fmt.Errorf("choice is longer than %d characters", maxPhraseRunes)
	}
	return nil
}

// parseKeys turns keys of the DTMF alphabet into tone names ("1#" is one, pound).
func parseKeys(keys string) ([]string, error) {
	if keys == "" || len(keys) > maxControlTones {
		return nil, fmt.Errorf("tones must be 1 to %d keys of 0-9 * # A-D", maxControlTones)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		t, ok := toneOfKey[k]
		if !ok {
			return nil, fmt.Errorf("tone %q is not one of 0-9 * # A-D", k)
		}
		out = append(out, t)
	}
	return out, nil
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
	if len(b.Recognize) > maxScriptedAnswers {
		return fmt.Errorf("at most %d recognize answers", maxScriptedAnswers)
	}
	for i, a := range b.Recognize {
		if err := a.validate(); err != nil {
			return fmt.Errorf("recognize[%d]: %w", i, err)
		}
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

// ringLocked starts ringing the targets of invs as their scripts say; each
// outcome arrives through its invitation's onAnswer or onFail. timeout is the
// invitation timeout (no answer in time fails with 487/10004). Invitations
// with the same script ring as one group: they settle together, and the
// roster changes of their answers make one ParticipantsUpdated, so a create
// call to n targets costs O(n) events and bytes, not O(n^2).
func (e *Emulator) ringLocked(timeout time.Duration, invs ...*invitation) {
	type script struct {
		answer string
		delay  time.Duration
	}
	groups := map[script]*ringGroup{}
	var order []script
	for _, inv := range invs {
		b := e.behaviorLocked(inv.target.RawID)
		s := script{answer: b.Answer, delay: e.answerDelayLocked(b)}
		if s.answer == "" {
			s.answer = AnswerAccept
		}
		g, ok := groups[s]
		if !ok {
			g = &ringGroup{}
			groups[s] = g
			order = append(order, s)
		}
		inv.state = invPending
		inv.group = g
		g.invs = append(g.invs, inv)
		g.pending++
	}
	for _, s := range order {
		g := groups[s]
		settle := func(answered bool, res resultInformation) func() {
			return func() {
				e.mu.Lock()
				defer e.unlockAndFlush()
				e.settleRingLocked(g, answered, res)
			}
		}
		switch s.answer {
		case AnswerAccept:
			if s.delay < timeout {
				g.stops = append(g.stops, e.sched.after(s.delay, settle(true, resultSuccess)))
			}
		case AnswerDecline:
			g.stops = append(g.stops, e.sched.after(s.delay, settle(false, resultDeclined)))
		case AnswerBusy:
			g.stops = append(g.stops, e.sched.after(s.delay, settle(false, resultBusy)))
		case AnswerUnavailable:
			g.stops = append(g.stops, e.sched.after(0, settle(false, resultUnavailable)))
		case AnswerNoAnswer:
		}
		g.stops = append(g.stops, e.sched.after(timeout, settle(false, resultNoAnswer)))
	}
}

// settleRingLocked ends the ringing of g's pending invitations with one outcome.
func (e *Emulator) settleRingLocked(g *ringGroup, answered bool, res resultInformation) {
	if g.pending == 0 {
		return
	}
	g.pending = 0
	stopAll(g.stops)
	g.stops = nil
	e.coalesceRosterLocked(func() {
		for _, inv := range g.invs {
			if inv.state != invPending {
				continue
			}
			if answered {
				inv.state = invAnswered
				inv.onAnswer()
			} else {
				inv.state = invFailed
				inv.onFail(res)
			}
		}
	})
}
