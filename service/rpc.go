package service

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/callgate/callgate/acs"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// unary is the one shape of every unary RPC: validate, build the ACS request, call ACS, wait for
// the outcome when asked, map the answer. An RPC is one of these: its builder (which checks what
// the proto's declared rules cannot, and names the events that finish the operation), the
// acs.Client method it calls, and its response mapper.
type unary[Req, Resp proto.Message, U, R any] struct {
	// build turns a request that meets its declared rules into the ACS request, adding the
	// violations of the other rules to v. The outcome it returns is the operation's (zero for an
	// RPC that has none to wait for).
	build func(c *core, v *validator, req Req) (U, outcome)
	// call makes the one ACS request: a method expression of *acs.Client.
	call func(*acs.Client, context.Context, U) (R, error)
	// respond maps ACS's answer to the response; a waiting RPC's result_event is set after it.
	respond func(up U, res R) Resp
}

func (u *unary[Req, Resp, U, R]) serve(ctx context.Context, c *core, req Req) (Resp, error) {
	var none Resp
	v, err := c.declared(req)
	if err != nil {
		return none, err
	}
	up, out := u.build(c, v, req)
	if err := v.err(); err != nil {
		return none, err
	}
	w, err := c.prepareWait(v.wait, out, v.requestID)
	if err != nil {
		return none, err
	}
	res, err := u.call(c.acs, ctx, up)
	if err != nil {
		return none, c.upstreamError(err)
	}
	resp := u.respond(up, res)
	if w.wait == 0 {
		return resp, nil
	}
	ev, err := w.await(ctx, c, startedBy(req, resp, out))
	c.metrics.waits.WithLabelValues(waitOutcome(err)).Inc()
	if err != nil {
		return none, err
	}
	setResultEvent(resp, ev)
	return resp, nil
}

// noResult adapts an acs.Client method that answers nothing.
func noResult[U any](call func(*acs.Client, context.Context, U) error) func(*acs.Client, context.Context, U) (struct{}, error) {
	return func(c *acs.Client, ctx context.Context, up U) (struct{}, error) {
		return struct{}{}, call(c, ctx, up)
	}
}

// startedBy is what a request started at ACS, read from the request and its response: the call
// connection, the invitation, the recording, the operation context. It travels with every error of a wait, for
// the operation happened whatever became of the wait.
func startedBy(req, resp proto.Message, out outcome) done {
	op := done{}
	if g, ok := req.(interface{ GetCallConnectionId() string }); ok && g.GetCallConnectionId() != "" {
		op["call_connection_id"] = g.GetCallConnectionId()
	}
	if g, ok := resp.(interface{ GetCall() *callgatev1.Call }); ok && g.GetCall().GetCallConnectionId() != "" {
		op["call_connection_id"] = g.GetCall().GetCallConnectionId()
	}
	if g, ok := resp.(interface{ GetInvitationId() string }); ok && g.GetInvitationId() != "" {
		op["invitation_id"] = g.GetInvitationId()
	}
	if g, ok := resp.(interface{ GetRecordingId() string }); ok && g.GetRecordingId() != "" {
		op["recording_id"] = g.GetRecordingId()
	}
	if out.operationContext != "" {
		op["operation_context"] = out.operationContext
	}
	return op
}

// setResultEvent sets the response's result_event: every response of an RPC that waits has one.
func setResultEvent(resp proto.Message, ev *callgatev1.CallEvent) {
	m := resp.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("result_event")
	m.Set(fd, protoreflect.ValueOfMessage(ev.ProtoReflect()))
}

// waitOutcome names how a wait ended, for callgate_waits_total.
func waitOutcome(err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.OK:
		return "succeeded"
	case codes.Aborted:
		return "failed"
	case codes.Canceled:
		return "canceled"
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			switch info.GetReason() {
			case "SHUTTING_DOWN":
				return "shutting_down"
			case "WAIT_FAILED":
				return "wait_failed"
			}
		}
	}
	return "deadline"
}
