package callbacks

import (
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/callgate/callgate/acs"
	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// decodeFields fills m's fields from an event's data, decoded as JSON into maps, matching each
// field by its JSON name (callgate.v1 names its event fields as ACS's JSON does). A value of the
// wrong shape leaves its field unset rather than failing the event: the whole data is kept in
// CallEvent.data anyway, and refusing the delivery would make ACS drop its other events too.
//
// Enums take ACS's string values case-insensitively, with the enum's prefix and underscores
// ignored ("speechOrDtmf" is RECOGNITION_TYPE_SPEECH_OR_DTMF, "pound" is DTMF_TONE_POUND).
// Identifiers go through acs's model, so they come out as every other identifier of the API
// does: raw ID always set, kind typed. Timestamps are RFC 3339 strings.
func decodeFields(m protoreflect.Message, data map[string]any, only func(protoreflect.FieldDescriptor) bool) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if only != nil && !only(fd) {
			continue
		}
		v, ok := data[fd.JSONName()]
		if !ok || v == nil {
			continue
		}
		switch {
		case fd.IsList():
			items, ok := v.([]any)
			if !ok {
				continue
			}
			list := m.Mutable(fd).List()
			for _, item := range items {
				if val, ok := decodeValue(fd, list.NewElement, item); ok {
					list.Append(val)
				}
			}
		case fd.IsMap():
			obj, ok := v.(map[string]any)
			if !ok || fd.MapKey().Kind() != protoreflect.StringKind {
				continue
			}
			mp := m.Mutable(fd).Map()
			for k, item := range obj {
				if val, ok := decodeValue(fd.MapValue(), mp.NewValue, item); ok {
					mp.Set(protoreflect.ValueOfString(k).MapKey(), val)
				}
			}
		default:
			if val, ok := decodeValue(fd, func() protoreflect.Value { return m.NewField(fd) }, v); ok {
				m.Set(fd, val)
			}
		}
	}
}

var (
	identifierName = (&callgatev1.CommunicationIdentifier{}).ProtoReflect().Descriptor().FullName()
	timestampName  = (&timestamppb.Timestamp{}).ProtoReflect().Descriptor().FullName()
)

// decodeValue converts one JSON value for field fd (a list's element, a map's value, or the field
// itself); newMessage makes an empty message of the field's type.
func decodeValue(fd protoreflect.FieldDescriptor, newMessage func() protoreflect.Value, v any) (protoreflect.Value, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		s, ok := v.(string)
		return protoreflect.ValueOfString(s), ok
	case protoreflect.BoolKind:
		b, ok := v.(bool)
		return protoreflect.ValueOfBool(b), ok
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, ok := v.(float64)
		return protoreflect.ValueOfInt32(int32(n)), ok
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, ok := v.(float64)
		return protoreflect.ValueOfInt64(int64(n)), ok
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, ok := v.(float64)
		return protoreflect.ValueOfUint32(uint32(n)), ok && n >= 0
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, ok := v.(float64)
		return protoreflect.ValueOfUint64(uint64(n)), ok && n >= 0
	case protoreflect.DoubleKind:
		n, ok := v.(float64)
		return protoreflect.ValueOfFloat64(n), ok
	case protoreflect.FloatKind:
		n, ok := v.(float64)
		return protoreflect.ValueOfFloat32(float32(n)), ok
	case protoreflect.EnumKind:
		return decodeEnum(fd.Enum(), v)
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case identifierName:
			id, ok := acs.IdentifierFromMap(v)
			if !ok {
				return protoreflect.Value{}, false
			}
			return protoreflect.ValueOfMessage(acsproto.Identifier(id).ProtoReflect()), true
		case timestampName:
			s, ok := v.(string)
			if !ok {
				return protoreflect.Value{}, false
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return protoreflect.Value{}, false
			}
			return protoreflect.ValueOfMessage(timestamppb.New(t).ProtoReflect()), true
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return protoreflect.Value{}, false
		}
		val := newMessage()
		decodeFields(val.Message(), obj, nil)
		return val, true
	}
	return protoreflect.Value{}, false
}

func decodeEnum(ed protoreflect.EnumDescriptor, v any) (protoreflect.Value, bool) {
	s, ok := v.(string)
	if !ok {
		return protoreflect.Value{}, false
	}
	want := foldName(s)
	prefix := enumPrefix(ed)
	values := ed.Values()
	for i := range values.Len() {
		ev := values.Get(i)
		if ev.Number() != 0 && foldName(strings.TrimPrefix(string(ev.Name()), prefix)) == want {
			return protoreflect.ValueOfEnum(ev.Number()), true
		}
	}
	return protoreflect.Value{}, false
}

// enumPrefix is the prefix every value of the enum shares, the zero value's name without its
// UNSPECIFIED: DTMF_TONE_ for DTMF_TONE_UNSPECIFIED.
func enumPrefix(ed protoreflect.EnumDescriptor) string {
	zero := string(ed.Values().ByNumber(0).Name())
	return strings.TrimSuffix(zero, "UNSPECIFIED")
}

// foldName lowercases s and drops what is not a letter or a digit.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}
