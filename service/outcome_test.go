package service

import (
	"testing"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The outcomes the emulator cannot produce: events of older api-versions, a success type that
// reports a failure, the roster that ends a hold.
func TestOutcomeClassifiesEvents(t *testing.T) {
	typed := func(name string, ev *callgatev1.CallEvent, code int32) *callgatev1.CallEvent {
		ev.Type = "Microsoft.Communication." + name
		ev.OperationContext = "op"
		ev.ResultInformation = &callgatev1.ResultInformation{Code: code}
		return ev
	}
	withContext := func(o outcome) outcome { o.operationContext = "op"; return o }
	held := func(onHold bool) *callgatev1.CallEvent {
		ev := typed("ParticipantsUpdated", &callgatev1.CallEvent{Event: &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: &callgatev1.ParticipantsUpdated{
			Participants: []*callgatev1.CallParticipant{{Identifier: &callgatev1.CommunicationIdentifier{RawId: "4:+16041234567"}, IsOnHold: onHold}},
		}}}, 200)
		ev.OperationContext = "" // ParticipantsUpdated has none
		return ev
	}
	hold := withContext(outcomeHold)
	hold.onHold = "4:+16041234567"
	for _, c := range []struct {
		name             string
		o                outcome
		ev               *callgatev1.CallEvent
		isOutcome, isWin bool
	}{
		{"SendDtmfCompleted of an older api-version", withContext(outcomeSendDtmf), typed("SendDtmfCompleted", &callgatev1.CallEvent{}, 200), true, true},
		{"SendDtmfFailed of an older api-version", withContext(outcomeSendDtmf), typed("SendDtmfFailed", &callgatev1.CallEvent{}, 400), true, false},
		{"RecognizeCompleted with 400/8532", withContext(outcomeRecognize), typed("RecognizeCompleted", &callgatev1.CallEvent{}, 400), true, false},
		{"RecognizeCanceled", withContext(outcomeRecognize), typed("RecognizeCanceled", &callgatev1.CallEvent{}, 400), true, false},
		{"another operation's PlayCompleted", outcomePlay, typed("PlayCompleted", &callgatev1.CallEvent{OperationContext: "other"}, 200), true, true},
		{"the roster with the participant on hold", hold, held(true), true, true},
		{"a roster without it on hold", hold, held(false), false, false},
		{"HoldFailed", hold, typed("HoldFailed", &callgatev1.CallEvent{}, 400), true, false},
		{"a roster, for a play", withContext(outcomePlay), held(true), false, false},
	} {
		isOutcome, success := c.o.classify(c.ev)
		if isOutcome != c.isOutcome || success != c.isWin {
			t.Errorf("%s: outcome %v success %v, want %v %v", c.name, isOutcome, success, c.isOutcome, c.isWin)
		}
	}
	other := withContext(outcomePlay)
	if isOutcome, _ := other.classify(typed("PlayCompleted", &callgatev1.CallEvent{}, 200)); !isOutcome {
		t.Error("PlayCompleted of the operation's context is not its outcome")
	}
	wrong := typed("PlayCompleted", &callgatev1.CallEvent{}, 200)
	wrong.OperationContext = "someone else's"
	if isOutcome, _ := other.classify(wrong); isOutcome {
		t.Error("another operation's PlayCompleted ended the wait")
	}
}
