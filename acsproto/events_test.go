package acsproto_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/callgate/callgate/acsproto"
	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// The rule that makes CallEvent's oneof the list of event types holds for every field: its
// message is named as the ACS event, and the field as the message in snake case.
func TestEventTypesComeFromTheOneof(t *testing.T) {
	types := acsproto.EventTypes()
	if len(types) < 14 {
		t.Fatalf("only %d event types", len(types))
	}
	seen := map[string]bool{}
	for _, typ := range types {
		if seen[typ] {
			t.Errorf("%s is typed twice", typ)
		}
		seen[typ] = true
		fd := acsproto.EventField(typ)
		if fd == nil {
			t.Fatalf("EventField(%s) is nil", typ)
		}
		if got, want := string(fd.Name()), snake(string(fd.Message().Name())); got != want {
			t.Errorf("field %s holds %s: name it %s", got, fd.Message().Name(), want)
		}
	}
	if got := acsproto.EventType(&callgatev1.CallTransferAccepted{}); got != "Microsoft.Communication.CallTransferAccepted" {
		t.Errorf("EventType = %s", got)
	}
	if acsproto.EventField("Microsoft.Communication.SomethingNew") != nil {
		t.Error("an unknown type has a field")
	}
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
