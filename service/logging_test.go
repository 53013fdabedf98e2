package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/callgate/callgate/emulator"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func TestRPCLogLine(t *testing.T) {
	s := newStack(t)

	t.Run("a created call's IDs", func(t *testing.T) {
		res, err := s.Calls.CreateCall(testContext(t), &callgatev1.CreateCallRequest{Targets: []*callgatev1.CommunicationIdentifier{userID(s.acsUser())}})
		if err != nil {
			t.Fatal(err)
		}
		call := res.GetCall()
		line := s.Logs.rpcLine(t, "/callgate.v1.CallService/CreateCall", func(f map[string]any) bool {
			return f["call_connection_id"] == call.GetCallConnectionId()
		})
		if line["code"] != "OK" || line["correlation_id"] != call.GetCorrelationId() || line["duration"] == nil {
			t.Errorf("log line %v, want code OK, correlation_id %s and a duration", line, call.GetCorrelationId())
		}
	})

	t.Run("a REST request logs too", func(t *testing.T) {
		call, _ := s.connectedCall(t)
		code, _ := s.rest(t, "GET", "/v1/calls/"+call.GetCallConnectionId(), "")
		if code != 200 {
			t.Fatalf("GET: %d", code)
		}
		line := s.Logs.rpcLine(t, "/callgate.v1.CallService/GetCall", func(f map[string]any) bool {
			return f["call_connection_id"] == call.GetCallConnectionId()
		})
		if line["correlation_id"] != call.GetCorrelationId() {
			t.Errorf("log line %v, want correlation_id %s", line, call.GetCorrelationId())
		}
	})

	t.Run("an answered call's IDs", func(t *testing.T) {
		in, _ := s.incomingCall(t, "4:"+phoneNumber(), s.acsUser())
		res, err := s.Calls.AnswerCall(testContext(t), &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext()})
		if err != nil {
			t.Fatal(err)
		}
		line := s.Logs.rpcLine(t, "/callgate.v1.CallService/AnswerCall", nil)
		if line["call_connection_id"] != res.GetCall().GetCallConnectionId() || line["correlation_id"] != in.GetCorrelationId() {
			t.Errorf("log line %v", line)
		}
	})

	t.Run("phone numbers unmasked by default", func(t *testing.T) {
		line := transfereeNotFound(t, s, "+16471234567")
		if !strings.Contains(fmt.Sprint(line["error"]), "+16471234567") {
			t.Errorf("error field %q, want the number as ACS wrote it", line["error"])
		}
	})
}

func TestRPCLogLineMasksPhoneNumbers(t *testing.T) {
	s := newStack(t, withPhoneMasking())
	line := transfereeNotFound(t, s, "+16471234567")
	if msg := fmt.Sprint(line["error"]); strings.Contains(msg, "+16471234567") || !strings.Contains(msg, "+1647*****67") {
		t.Errorf("error field %q, want the number masked as +1647*****67", msg)
	}
	s.assertNoSecrets(t)
}

// transfereeNotFound makes ACS answer with an error message that quotes a phone number, and
// returns the RPC's log line.
func transfereeNotFound(t *testing.T, s *stack, number string) map[string]any {
	t.Helper()
	call, _ := s.connectedCall(t)
	_, err := s.Calls.TransferCall(testContext(t), &callgatev1.TransferCallRequest{
		CallConnectionId: call.GetCallConnectionId(),
		Target:           userID(s.acsUser()),
		Transferee:       phoneID(number),
	})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("TransferCall: %v, want NotFound", err)
	}
	// The caller's own error keeps the number it sent.
	if !strings.Contains(status.Convert(err).Message(), number) {
		t.Fatalf("error %q does not quote %s: the test needs another way to get a number into a message", err, number)
	}
	return s.Logs.rpcLine(t, "/callgate.v1.CallService/TransferCall", func(f map[string]any) bool {
		return f["call_connection_id"] == call.GetCallConnectionId()
	})
}

// The acs client logs a failed attempt's URL, and GetParticipant's URL carries the raw ID: with
// masking on, the number is masked there too (service.PhoneMaskingCore on the process's logger).
func TestACSLogLinesMaskPhoneNumbers(t *testing.T) {
	s := newStack(t, withPhoneMasking(), withEmulator(func(c *emulator.Config) { c.Faults.Latency = time.Minute }))
	ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	_, err := s.Participants.GetParticipant(ctx, &callgatev1.GetParticipantRequest{CallConnectionId: "c", RawId: "4:+16471234567"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("GetParticipant: %v, want DeadlineExceeded", err)
	}
	waitAborted(t, s, "/calling/callConnections/c/participants/4%3A%2B16471234567")
	s.Logs.rpcLine(t, "/callgate.v1.ParticipantService/GetParticipant", nil)
	masked := false
	for _, e := range s.Logs.logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		if strings.Contains(string(line), "16471234567") {
			t.Errorf("%s %q logs the number: %s", e.LoggerName, e.Message, line)
		}
		masked = masked || (e.LoggerName == "acs" && strings.Contains(string(line), "%2B1647*****67"))
	}
	if !masked {
		t.Errorf("no acs log line with the masked URL; the test no longer exercises the masking")
	}
}
