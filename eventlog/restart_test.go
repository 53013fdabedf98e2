package eventlog

import (
	"fmt"
	"slices"
	"testing"
)

// TestRestartOnFileStore closes the Log (stopping its embedded server) and
// reopens it on the same directory: a watcher resumes from its last sequence
// and misses nothing, sequences keep increasing, de-duplication remembers.
func TestRestartOnFileStore(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)
	cfg := Config{DataDir: dir, ServerName: uniqueName("restart"), Logger: testLogger(t)}

	l1, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var before []uint64
	for i := range 20 {
		before = append(before, appendCall(t, l1, "call", fmt.Sprintf("e%d", i), fmt.Sprint(i)))
	}
	w, err := l1.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	read := nextN(t, w, 12)
	resumeAt := read[len(read)-1].Seq
	if err := l1.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := openLog(t, cfg)
	if got := l2.LastSequence(); got != before[len(before)-1] {
		t.Fatalf("LastSequence after restart %d, want %d", got, before[len(before)-1])
	}
	// A redelivery of an event stored before the restart is still a duplicate.
	seq, dup, err := l2.AppendCall(ctx, "call", "e3", []byte("again"))
	if err != nil || !dup || seq != before[3] {
		t.Fatalf("redelivery after restart: seq %d dup %v err %v, want duplicate of %d", seq, dup, err, before[3])
	}
	var after []uint64
	for i := 20; i < 25; i++ {
		s := appendCall(t, l2, "call", fmt.Sprintf("e%d", i), fmt.Sprint(i))
		if s <= before[len(before)-1] {
			t.Fatalf("sequence %d after restart does not follow %d", s, before[len(before)-1])
		}
		after = append(after, s)
	}
	w2, err := l2.WatchCall(ctx, "call", resumeAt)
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(before[12:]), after...)
	got := nextN(t, w2, len(want))
	if !slices.Equal(seqs(got), want) {
		t.Fatalf("resumed after restart: %v, want %v", seqs(got), want)
	}
	for i, e := range got {
		if string(e.Payload) != fmt.Sprint(12+i) {
			t.Fatalf("entry %d payload %q", i, e.Payload)
		}
	}
	expectIdle(t, w2)
}
