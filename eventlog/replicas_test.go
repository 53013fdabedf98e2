package eventlog

import (
	"fmt"
	"slices"
	"testing"
)

// TestTwoReplicasShareTheLog: two Logs ("two gateway replicas") on one NATS
// server. A callback appended through A streams to a watcher on B, and a
// watcher on B started later replays what A stored.
func TestTwoReplicasShareTheLog(t *testing.T) {
	ns := startServer(t, nil)
	ctx := testContext(t)
	cfg := Config{NATSURL: ns.ClientURL(), Logger: testLogger(t)}
	a := openLog(t, cfg)
	b := openLog(t, cfg)

	live, err := b.WatchCall(ctx, "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for i := range 10 {
		want = append(want, appendCall(t, a, "call", fmt.Sprintf("e%d", i), fmt.Sprint(i)))
	}
	if got := nextN(t, live, 10); !slices.Equal(seqs(got), want) {
		t.Fatalf("watcher on B: %v, want %v", seqs(got), want)
	}
	// Appends on both replicas interleave into one sequence.
	want = append(want, appendCall(t, b, "call", "from-b", "b"))
	want = append(want, appendCall(t, a, "call", "from-a", "a"))
	if got := nextN(t, live, 2); !slices.Equal(seqs(got), want[10:]) {
		t.Fatalf("watcher on B after appends on both: %v, want %v", seqs(got), want[10:])
	}
	// A redelivery to the other replica is a duplicate there too.
	if seq, dup, err := b.AppendCall(ctx, "call", "e0", []byte("again")); err != nil || !dup || seq != want[0] {
		t.Fatalf("redelivery to B: seq %d dup %v err %v", seq, dup, err)
	}
	late, err := a.WatchCall(ctx, "call", want[4])
	if err != nil {
		t.Fatal(err)
	}
	if got := nextN(t, late, len(want)-5); !slices.Equal(seqs(got), want[5:]) {
		t.Fatalf("late watcher on A: %v", seqs(got))
	}
	expectIdle(t, late)
	expectIdle(t, live)
}
