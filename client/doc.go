// Package client is the Go client of callgate, the gRPC gateway to Azure Communication Services
// Call Automation: place, answer, watch and control calls without writing resume or retry logic.
//
//	c, err := client.New(ctx, "dns:///callgate.internal:9090", client.WithBearerToken(tokens))
//	if err != nil { ... }
//	defer c.Close()
//	res, err := c.CreateCall(ctx, &callgatev1.CreateCallRequest{
//		Targets:              []*callgatev1.CommunicationIdentifier{client.Phone("+16471234567")},
//		SourceCallerIdNumber: &callgatev1.PhoneNumber{Value: "+18005550100"},
//	}, client.Wait(30*time.Second))
//	if err != nil { ... }
//	for ev, err := range c.Watch(ctx, res.GetCall().GetCallConnectionId()) {
//		if err != nil { ... }
//		fmt.Println(ev.GetSequence(), ev.GetType())
//	}
//
// # Connection
//
// New makes one connection (grpc.NewClient) to every replica behind a target, balanced round
// robin, with keepalives the gateway accepts, TLS by default (WithTLS for mTLS, WithInsecure for
// `callgate dev`), and a bearer token or an API key on every call. WithDialOptions changes any of
// it. Calls and Participants are the generated clients on the same connection, for anything the
// typed calls do not cover.
//
// # Calls and retries
//
// Each RPC has a typed call taking and answering the generated messages: CreateCall, Answer,
// Transfer, AddParticipant, and so on. A call that changes something gets a request_id (a UUID)
// when it has none, once, and every attempt carries it: ACS does the work once however many
// attempts reach it, so the client retries, with backoff, what a retry can mend: UNAVAILABLE (a
// replica restarting, ACS overloaded), an attempt whose answer did not come in time
// (WithAttemptTimeout), RESOURCE_EXHAUSTED with a retry delay. Reads are retried by gRPC itself
// (DefaultServiceConfig).
//
// Wait(d) asks the gateway to answer with the operation's outcome event. A failed outcome is
// ABORTED carrying the event (FailureEvent, ACS); a wait that ran out is DEADLINE_EXCEEDED naming
// what was started (Started), which Outcome then follows: neither is retried, since the operation
// happened.
//
// # Events
//
// Watch is a Go iterator over a call's events that replays, then follows, and ends after
// CallDisconnected; it resumes on its own, from the resume point the gateway gives or the last
// event or heartbeat it saw, when a replica shuts down or cuts off a slow consumer, and never
// yields an event twice or leaves one out. WatchIncoming does the same for incoming calls, shared
// among a Group. OnEvent and a type switch on CallEvent.GetEvent match events; Operation matches
// an operation's outcome by its operation context.
//
// # Errors
//
// Errors are gRPC statuses (status.Code); FieldViolations, ErrorInfo, Reason, ACS, ResumeAfter,
// RetryDelay, FailureEvent and Started read their details.
package client
