package eventlog

import (
	"fmt"
	"slices"
	"testing"
)

// Recording events are stored by recording ID (opaque base64, with '=' and '/'), watched for
// one recording or all, resumed after a sequence, read back whole, and de-duplicated by event ID.
func TestRecordingsStream(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	const a, b = "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiJhIn0=", "eyJ/+b=="
	first, _, err := l.AppendRecording(ctx, a, "ev-0", []byte("a-0"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := l.WatchRecordings(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	onlyB, err := l.WatchRecordings(ctx, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for i, id := range []string{b, a, b} {
		seq, dup, err := l.AppendRecording(ctx, id, fmt.Sprintf("ev-%d", i+1), []byte(id))
		if err != nil || dup {
			t.Fatalf("AppendRecording: %v %v", err, dup)
		}
		want = append(want, seq)
	}
	if seq, dup, err := l.AppendRecording(ctx, b, "ev-1", []byte("again")); err != nil || !dup || seq != want[0] {
		t.Errorf("a redelivered event: seq %d dup %v err %v, want %d, true", seq, dup, err, want[0])
	}
	if got := nextN(t, all, 4); !slices.Equal(seqs(got), append([]uint64{first}, want...)) {
		t.Fatalf("every recording: %v", seqs(got))
	}
	if got := nextN(t, onlyB, 2); !slices.Equal(seqs(got), []uint64{want[0], want[2]}) || string(got[1].Payload) != b {
		t.Fatalf("recording %s: %v", b, seqs(got))
	}
	expectIdle(t, all)
	resumed, err := l.WatchRecordings(ctx, "", want[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, resumed, 2); !slices.Equal(seqs(got), want[1:]) {
		t.Fatalf("resumed after %d: %v", want[0], seqs(got))
	}
	events, err := l.RecordingEvents(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs(events), []uint64{first, want[1]}) || string(events[0].Payload) != "a-0" || events[0].EventID != "ev-0" {
		t.Fatalf("events of %s: %v", a, seqs(events))
	}
	if events, err := l.RecordingEvents(ctx, "nothing-stored"); err != nil || len(events) != 0 {
		t.Fatalf("an unknown recording: %v %v", events, err)
	}
	if l.LastRecordingSequence() < want[2] {
		t.Errorf("LastRecordingSequence %d, want at least %d", l.LastRecordingSequence(), want[2])
	}
	if _, err := l.WatchRecordings(ctx, "", want[2]+10); err == nil {
		t.Error("a resume point past the end was accepted")
	}
}
