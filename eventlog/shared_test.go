package eventlog

import (
	"sync/atomic"
	"testing"
)

// TestSharedOncePerLiveEvent: what the watchers of a call derive from a live event is computed
// once for all of them; a replayed entry, read by one watcher, computes its own.
func TestSharedOncePerLiveEvent(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	stored := appendCall(t, l, "call", "e0", "stored")
	waitFor(t, func() bool { return l.LastSequence() >= stored })
	var derived atomic.Int64
	derive := func(e Entry) any {
		derived.Add(1)
		return string(e.Payload) + "!"
	}
	ws := make([]*Watcher, 3)
	for i := range ws {
		w, err := l.WatchCall(ctx, "call", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ws[i] = w
		if v := nextN(t, w, 1)[0].Shared(derive); v != "stored!" {
			t.Fatalf("replayed entry derived %v", v)
		}
	}
	if n := derived.Load(); n != 3 {
		t.Fatalf("replayed entries derived %d times, want once per watcher (3)", n)
	}
	appendCall(t, l, "call", "e1", "live")
	for _, w := range ws {
		if v := nextN(t, w, 1)[0].Shared(derive); v != "live!" {
			t.Fatalf("live entry derived %v", v)
		}
	}
	if n := derived.Load(); n != 4 {
		t.Fatalf("derived %d times in all, want 3 for the replays and 1 for the live event", n)
	}
}
