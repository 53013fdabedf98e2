package gateway

import (
	"context"

	"go.uber.org/zap"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/callgate/callgate/auth"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

var identifierName = (&callgatev1.CommunicationIdentifier{}).ProtoReflect().Descriptor().FullName()

// maxAuditTargets bounds the targets one audit line lists.
const maxAuditTargets = 10

// audit writes the one audit line of a mutating RPC: who, what, on which call, to whom (phone
// numbers masked, whatever the process's masking setting), and how it ended.
func audit(log *zap.Logger, ctx context.Context, method string, req, resp any, err error) {
	p := auth.PrincipalFrom(ctx)
	fields := []zap.Field{
		zap.String("principal", p.Name), zap.String("via", p.Via),
		zap.String("method", method), zap.String("code", status.Code(err).String()),
	}
	if id := callIDOf(req, resp); id != "" {
		fields = append(fields, zap.String("call_connection_id", id))
	}
	if m, ok := req.(proto.Message); ok {
		if targets := identifiersIn(m.ProtoReflect(), nil); len(targets) > 0 {
			fields = append(fields, zap.Strings("targets", targets))
		}
	}
	log.Info("audit", fields...)
}

func callIDOf(req, resp any) string {
	if g, ok := req.(callConnectionIDGetter); ok && g.GetCallConnectionId() != "" {
		return g.GetCallConnectionId()
	}
	if g, ok := resp.(callGetter); ok {
		return g.GetCall().GetCallConnectionId()
	}
	return ""
}

// identifiersIn collects the masked raw IDs of the identifiers in m, at most maxAuditTargets.
func identifiersIn(m protoreflect.Message, out []string) []string {
	if m.Descriptor().FullName() == identifierName {
		id := m.Interface().(*callgatev1.CommunicationIdentifier)
		raw := id.GetRawId()
		if raw == "" && id.GetPhoneNumber() != nil {
			raw = "4:" + id.GetPhoneNumber().GetValue()
		}
		if raw == "" && id.GetCommunicationUser() != nil {
			raw = id.GetCommunicationUser().GetId()
		}
		return append(out, maskPhoneNumbers(raw))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if len(out) >= maxAuditTargets || fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
			return len(out) < maxAuditTargets
		}
		if fd.IsList() {
			for i := range v.List().Len() {
				out = identifiersIn(v.List().Get(i).Message(), out)
			}
			return len(out) < maxAuditTargets
		}
		out = identifiersIn(v.Message(), out)
		return len(out) < maxAuditTargets
	})
	if len(out) > maxAuditTargets {
		out = out[:maxAuditTargets]
	}
	return out
}
