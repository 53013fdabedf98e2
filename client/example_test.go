package client_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// Connect to the gateway's replicas in production: every address of a DNS name, TLS with a
// client certificate, and a bearer token (a Kubernetes service-account token here).
func ExampleNew() {
	cert, err := tls.LoadX509KeyPair("/var/run/secrets/tls/tls.crt", "/var/run/secrets/tls/tls.key")
	if err != nil {
		log.Fatal(err)
	}
	tokens := oauth2.ReuseTokenSource(nil, serviceAccountToken("/var/run/secrets/tokens/callgate"))
	c, err := client.New(context.Background(), "dns:///callgate.telephony.svc.cluster.local:9090",
		client.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}),
		client.WithBearerToken(tokens))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// serviceAccountToken reads a projected token file (kubelet rotates it).
func serviceAccountToken(path string) oauth2.TokenSource { return tokenFile(path) }

type tokenFile string

func (f tokenFile) Token() (*oauth2.Token, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: strings.TrimSpace(string(b)), Expiry: time.Now().Add(time.Minute)}, nil
}

// Place a call and wait until it is answered, then end it.
func ExampleClient_CreateCall() {
	gw := startExampleGateway() // callgate dev, for the example
	defer gw.Close()
	ctx := context.Background()

	c, err := client.New(ctx, gw.Target, client.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets:              []*callgatev1.CommunicationIdentifier{client.Phone("+16471234567")},
		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+18005550100"},
	}, client.Wait(30*time.Second))
	if err != nil {
		if ev := client.FailureEvent(err); ev != nil {
			log.Fatalf("not answered: %v", ev.GetResultInformation())
		}
		log.Fatal(err)
	}
	fmt.Println(res.GetResultEvent().GetType())
	_, err = c.HangUp(ctx, &callgatev1.HangUpCallRequest{CallConnectionId: res.GetCall().GetCallConnectionId(), ForEveryone: true})
	fmt.Println("hung up:", err == nil)
	// Output:
	// Microsoft.Communication.CallConnected
	// hung up: true
}

// Watch a call while its gateway restarts: the stream the gateway ends resumes on its own, and
// the loop sees every event once, the ones that came during the restart included.
func ExampleClient_Watch() {
	gw := startExampleGateway()
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.New(ctx, gw.Target, client.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{
		Targets: []*callgatev1.CommunicationIdentifier{client.User(gw.User())},
	}, client.Wait(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	callID := res.GetCall().GetCallConnectionId()
	restarted := false
	for ev, err := range c.Watch(ctx, callID) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.GetSequence(), ev.GetType())
		switch ev.GetEvent().(type) {
		case *callgatev1.CallEvent_ParticipantsUpdated:
			if restarted {
				continue
			}
			restarted = true
			gw.Restart()
			// The client retries until the gateway is back; the events come to the loop later.
			_, err := c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{
				CallConnectionId: callID, Participant: client.User(gw.User()),
			}, client.Wait(30*time.Second))
			if err != nil {
				log.Fatal(err)
			}
		case *callgatev1.CallEvent_AddParticipantSucceeded:
			if _, err := c.HangUp(ctx, &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// 1 Microsoft.Communication.CallConnected
	// 2 Microsoft.Communication.ParticipantsUpdated
	// 3 Microsoft.Communication.AddParticipantSucceeded
	// 4 Microsoft.Communication.ParticipantsUpdated
	// 5 Microsoft.Communication.CallDisconnected
}

// Answer incoming calls as one member of a group: run this in every instance of a service, and
// each call is answered once.
func ExampleClient_WatchIncoming() {
	gw := startExampleGateway()
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.New(ctx, gw.Target, client.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ring := gw.RingOnceFollowing("+14255550100") // the emulator rings, for the example
	for in, err := range c.WatchIncoming(ctx, client.Group("front-desk"), client.To(client.Phone("+18005550100")), ring) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("call from", in.GetFrom().GetRawId())
		res, err := c.Answer(ctx, &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext()}, client.Wait(30*time.Second))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.GetResultEvent().GetType())
		break // a service goes on with the next call
	}
	// Output:
	// call from 4:+14255550100
	// Microsoft.Communication.CallConnected
}

// Match events by type: OnEvent for one, a type switch for several.
func ExampleOnEvent() {
	events := []*callgatev1.CallEvent{
		{Type: client.EventType(&callgatev1.CallConnected{}), Event: &callgatev1.CallEvent_CallConnected{CallConnected: &callgatev1.CallConnected{}}},
		{Type: client.EventType(&callgatev1.ParticipantsUpdated{}), Event: &callgatev1.CallEvent_ParticipantsUpdated{ParticipantsUpdated: &callgatev1.ParticipantsUpdated{
			Participants: []*callgatev1.CallParticipant{{Identifier: client.RawID("4:+16471234567")}, {Identifier: client.RawID("8:acs:r_agent")}}}}},
		{Type: "Microsoft.Communication.SomethingNew"},
	}
	for _, ev := range events {
		if u, ok := client.OnEvent[*callgatev1.ParticipantsUpdated](ev); ok {
			fmt.Println(len(u.GetParticipants()), "in the call")
		}
		switch e := ev.GetEvent().(type) {
		case *callgatev1.CallEvent_CallConnected:
			fmt.Println("connected")
		case *callgatev1.CallEvent_ParticipantsUpdated:
			fmt.Println("roster", e.ParticipantsUpdated.GetParticipants()[1].GetIdentifier().GetRawId())
		case nil:
			fmt.Println("untyped:", ev.GetType())
		}
	}
	// Output:
	// connected
	// 2 in the call
	// roster 8:acs:r_agent
	// untyped: Microsoft.Communication.SomethingNew
}

// Follow an operation whose wait ran out: the participant is invited, the outcome comes later.
func ExampleStarted() {
	ctx := context.Background()
	c, err := client.New(ctx, "callgate:9090")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{
		CallConnectionId: "a-call", Participant: client.Phone("+16475550123"),
		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+18005550100"},
	}, client.Wait(5*time.Second))
	if op, ok := client.Started(err); ok && client.Reason(err) == client.ReasonOutcomeNotYetKnown {
		ev, err := c.Outcome(ctx, op) // no second invitation: wait on for the first
		fmt.Println(ev, err)
	}
}
