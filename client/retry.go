package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// rpc is a generated client method.
type rpc[Req, Resp proto.Message] func(context.Context, Req, ...grpc.CallOption) (Resp, error)

func (c *Client) callOptions(opts []CallOption) callOptions {
	o := callOptions{attemptTimeout: c.attemptTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.attemptTimeout <= 0 {
		o.attemptTimeout = c.attemptTimeout
	}
	return o
}

// read calls an idempotent RPC: DefaultServiceConfig's retry policy retries it.
func read[Req, Resp proto.Message](ctx context.Context, c *Client, call rpc[Req, Resp], req Req, opts []CallOption) (Resp, error) {
	o := c.callOptions(opts)
	if o.wait > 0 {
		var none Resp
		return none, fmt.Errorf("client: %s takes no wait", req.ProtoReflect().Descriptor().Name())
	}
	return call(ctx, req, o.grpc...)
}

// mutate calls an RPC that changes something, every attempt with the same request_id (made up
// here when the request has none), so that ACS does the work once whichever attempts reached it.
//
// midCall marks an operation on a connected call (transfer, add, cancel, remove): a retry of one
// that waits sends the request without its wait, then waits by itself from the call's first event
// (Outcome). The gateway's own wait reads only the events after the request reached it, and the
// outcome of an earlier attempt whose answer was lost may be older. The operations that start a
// call (create, connect, answer) need nothing of the kind: the gateway reads a new call's events
// from its first.
func mutate[Req, Resp proto.Message](ctx context.Context, c *Client, call rpc[Req, Resp], req Req, opts []CallOption, midCall bool) (Resp, error) {
	o := c.callOptions(opts)
	var resp Resp
	req, wait, err := prepare(req, o.wait)
	if err != nil {
		return resp, err
	}
	err = c.retrying(ctx, o, wait, func(actx context.Context, attempt int) error {
		if attempt == 1 || wait == 0 || !midCall {
			r, err := call(actx, req, o.grpc...)
			if err == nil {
				resp = r
			}
			return err
		}
		r, err := call(actx, withoutWait(req), o.grpc...)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		ev, err := c.Outcome(wctx, OperationOf(req, r))
		if err != nil {
			return err
		}
		setResultEvent(r, ev)
		resp = r
		return nil
	})
	return resp, err
}

// retrying runs attempt until it succeeds, fails in a way a retry cannot mend, the attempts run
// out or ctx ends, with backoff in between. Each attempt has its own deadline: the call's wait
// plus the attempt timeout. It answers the last attempt's error.
func (c *Client) retrying(ctx context.Context, o callOptions, wait time.Duration, attempt func(context.Context, int) error) error {
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, wait+o.attemptTimeout)
		err := attempt(actx, n)
		timedOut := expired(actx)
		cancel()
		if err == nil || expired(ctx) || n >= c.retry.MaxAttempts {
			return err
		}
		delay, ok := retryable(err, timedOut)
		if !ok {
			return err
		}
		if sleep(ctx, max(delay, c.retry.backoff(n))) != nil {
			return err
		}
	}
}

// retryable says whether a failed attempt may be sent again with the same request_id, and how
// long the gateway asked to wait first. DEADLINE_EXCEEDED is retried only when the attempt's own
// deadline passed (its answer was lost), not when the gateway's wait ran out: the operation then
// happened and waiting again is the caller's choice (Started, Outcome).
func retryable(err error, attemptTimedOut bool) (time.Duration, bool) {
	switch status.Code(err) {
	case codes.Unavailable:
		return 0, true
	case codes.DeadlineExceeded:
		return 0, attemptTimedOut
	case codes.ResourceExhausted:
		return RetryDelay(err)
	}
	return 0, false
}

// backoff is the wait before retry n (1 is the first retry): BaseDelay doubling up to MaxDelay,
// each a random time in its upper half, so that clients cut off together do not come back
// together.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// expired reports a context that ended or whose deadline passed: the gateway's DEADLINE_EXCEEDED
// can arrive before the context's timer has fired.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prepare copies req (the caller's message is never changed, so that it can be sent again as a
// new call) and fills its request_id when empty and its wait when given. It answers the wait the
// request carries.
func prepare[Req proto.Message](req Req, wait time.Duration) (Req, time.Duration, error) {
	m := req.ProtoReflect()
	if m.IsValid() {
		req = proto.Clone(req).(Req)
		m = req.ProtoReflect()
	} else {
		m = m.New()
		req = m.Interface().(Req)
	}
	fields := m.Descriptor().Fields()
	if fd := fields.ByName("request_id"); fd != nil && m.Get(fd).String() == "" {
		m.Set(fd, protoreflect.ValueOfString(uuid.NewString()))
	}
	fd := fields.ByName("wait")
	if wait > 0 {
		if fd == nil {
			return req, 0, fmt.Errorf("client: %s takes no wait", m.Descriptor().Name())
		}
		m.Set(fd, protoreflect.ValueOfMessage(durationpb.New(wait).ProtoReflect()))
	}
	if fd != nil && m.Has(fd) {
		wait = m.Get(fd).Message().Interface().(*durationpb.Duration).AsDuration()
	}
	return req, max(wait, 0), nil
}

func withoutWait[Req proto.Message](req Req) Req {
	req = proto.Clone(req).(Req)
	m := req.ProtoReflect()
	m.Clear(m.Descriptor().Fields().ByName("wait"))
	return req
}

// setResultEvent sets the result_event every response of a waiting RPC has.
func setResultEvent(resp proto.Message, ev *callgatev1.CallEvent) {
	m := resp.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName("result_event"), protoreflect.ValueOfMessage(ev.ProtoReflect()))
}
