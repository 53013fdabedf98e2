// Command autoattendant answers the calls to a number, brings an agent into each, and when the
// agent does not answer, transfers the caller to an overflow line: a service built on callgate's
// Go client alone. Run several instances with the same -group and each call is answered once;
// restart a replica of the gateway under them and they go on.
//
// Against `callgate dev` (the emulated ACS resource owns +18005550100; its users are
// 8:acs:<resource>_<id>, the resource ID from http://127.0.0.1:8090/emulator/v1/info):
//
//	go run ./examples/autoattendant -target 127.0.0.1:9090 -insecure -agent 8:acs:<resource>_agent-1
//
// then ring it: curl -X POST 127.0.0.1:8090/emulator/v1/incomingCalls -d '{"from":"4:+14255550100","to":"4:+18005550100"}'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/callgate/callgate/client"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "autoattendant:", err)
		os.Exit(1)
	}
}

type config struct {
	target   string
	insecure bool
	number   string // the number callers dial: a number of the ACS resource
	agent    string // the agent's raw ID
	overflow string // where callers go when the agent does not answer
	group    string
	calls    int // stop after this many calls have ended; 0: run until interrupted
}

// waitFor bounds each wait for an outcome: an answer, the agent joining, a transfer.
const waitFor = 30 * time.Second

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("autoattendant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.target, "target", "127.0.0.1:9090", "the gateway's gRPC target (dns:///name:port for every replica of a name)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "plaintext, for callgate dev; otherwise TLS, and $CALLGATE_API_KEY if set")
	fs.StringVar(&cfg.number, "number", "+18005550100", "the number callers dial")
	fs.StringVar(&cfg.agent, "agent", "", "the agent's raw ID, 8:acs:... or 4:+1... (required)")
	fs.StringVar(&cfg.overflow, "overflow", "4:+16475550199", "raw ID callers are transferred to when the agent does not answer")
	fs.StringVar(&cfg.group, "group", "autoattendant", "the group of instances sharing the calls")
	fs.IntVar(&cfg.calls, "calls", 0, "stop after this many calls have ended (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.agent == "" {
		return errors.New("-agent is required")
	}

	var opts []client.Option
	if cfg.insecure {
		opts = append(opts, client.WithInsecure())
	}
	if key := os.Getenv("CALLGATE_API_KEY"); key != "" {
		opts = append(opts, client.WithAPIKey(key))
	}
	c, err := client.New(ctx, cfg.target, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	a := &attendant{c: c, cfg: cfg, out: stdout}

	watch, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	var ready sync.Once
	var ended atomic.Int64
	var calls sync.WaitGroup
	defer calls.Wait()
	for in, err := range c.WatchIncoming(watch, client.Group(cfg.group), client.To(client.Phone(cfg.number)),
		client.OnHeartbeat(func(*callgatev1.Heartbeat) {
			ready.Do(func() { a.say("ready: answering calls to %s as group %s", cfg.number, cfg.group) })
		})) {
		if err != nil {
			if watch.Err() != nil {
				return nil // interrupted, or done with -calls
			}
			return err
		}
		calls.Go(func() {
			a.handle(ctx, in)
			if n := ended.Add(1); cfg.calls > 0 && n >= int64(cfg.calls) {
				stopWatching()
			}
		})
	}
	return nil
}

type attendant struct {
	c   *client.Client
	cfg config
	mu  sync.Mutex
	out io.Writer
}

func (a *attendant) say(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.out, format+"\n", args...)
}

// handle answers one call, adds the agent or transfers the caller, and follows the call to its
// end.
func (a *attendant) handle(ctx context.Context, in *callgatev1.IncomingCall) {
	from := in.GetFrom().GetRawId()
	answered, err := a.c.Answer(ctx, &callgatev1.AnswerCallRequest{IncomingCallContext: in.GetIncomingCallContext()}, client.Wait(waitFor))
	if err != nil {
		a.say("call from %s: not answered: %v", from, err)
		return
	}
	callID := answered.GetCall().GetCallConnectionId()
	a.say("call %s from %s: answered", callID, from)

	_, err = a.c.AddParticipant(ctx, &callgatev1.AddParticipantRequest{
		CallConnectionId: callID, Participant: client.RawID(a.cfg.agent),
		SourceCallerIdNumber: a.callerID(a.cfg.agent), InvitationTimeoutSeconds: 20,
	}, client.Wait(waitFor))
	switch {
	case err == nil:
		a.say("call %s: agent %s joined", callID, a.cfg.agent)
	case client.FailureEvent(err) != nil:
		res, _ := client.ACS(err)
		a.say("call %s: agent %s did not answer (%d/%d): transferring to %s", callID, a.cfg.agent, res.Code, res.SubCode, a.cfg.overflow)
		a.transfer(ctx, callID)
	default:
		a.say("call %s: cannot reach agent %s: %v", callID, a.cfg.agent, err)
		a.transfer(ctx, callID)
	}

	// The call is the caller's and the agent's (or the overflow's) now: follow it to its end.
	for ev, err := range a.c.Watch(ctx, callID, client.EventTypes(client.EventType(&callgatev1.CallDisconnected{}))) {
		if err != nil {
			a.say("call %s: lost: %v", callID, err)
			return
		}
		ri := ev.GetResultInformation()
		a.say("call %s: ended (%d/%d)", callID, ri.GetCode(), ri.GetSubCode())
	}
}

func (a *attendant) transfer(ctx context.Context, callID string) {
	_, err := a.c.Transfer(ctx, &callgatev1.TransferCallRequest{
		CallConnectionId: callID, Target: client.RawID(a.cfg.overflow), SourceCallerIdNumber: a.callerID(a.cfg.overflow),
	}, client.Wait(waitFor))
	if err == nil {
		a.say("call %s: transferred to %s", callID, a.cfg.overflow)
		return
	}
	a.say("call %s: transfer to %s failed (%v): hanging up", callID, a.cfg.overflow, err)
	if _, err := a.c.HangUp(ctx, &callgatev1.HangUpCallRequest{CallConnectionId: callID, ForEveryone: true}); err != nil {
		a.say("call %s: hang up: %v", callID, err)
	}
}

// callerID is the number shown to a phone: the number the caller dialled.
func (a *attendant) callerID(rawID string) *callgatev1.PhoneNumber {
	if !strings.HasPrefix(rawID, "4:") {
		return nil
	}
	return &callgatev1.PhoneNumber{Value: a.cfg.number}
}
