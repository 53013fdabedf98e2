package eventlog

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestAppendDeduplicates(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)

	first, dup, err := l.AppendCall(ctx, "call-a", "event-1", []byte("original"))
	if err != nil || dup {
		t.Fatalf("first append: seq %d, dup %v, err %v", first, dup, err)
	}
	appendCall(t, l, "call-a", "event-2", "second")
	// A redelivery (same CloudEvent id) returns the first copy's sequence,
	// even with another payload, and stores nothing.
	again, dup, err := l.AppendCall(ctx, "call-a", "event-1", []byte("redelivered"))
	if err != nil {
		t.Fatal(err)
	}
	if !dup || again != first {
		t.Fatalf("redelivery: seq %d dup %v, want seq %d dup true", again, dup, first)
	}

	w, err := l.WatchCall(ctx, "call-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := nextN(t, w, 2)
	if want := []string{"original", "second"}; !slices.Equal(payloads(got), want) {
		t.Fatalf("stored payloads %q, want %q", payloads(got), want)
	}
	if got[0].EventID != "event-1" || got[1].EventID != "event-2" {
		t.Fatalf("event IDs %q, %q", got[0].EventID, got[1].EventID)
	}
	expectIdle(t, w)

	// The same event ID under another call is a duplicate too: the ID is
	// the CloudEvent id, unique across the resource.
	other, dup, err := l.AppendCall(ctx, "call-b", "event-1", []byte("x"))
	if err != nil || !dup || other != first {
		t.Fatalf("same ID on another call: seq %d dup %v err %v", other, dup, err)
	}
}

func TestAppendKeepsOrderPerCall(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	calls := []string{"call.with.dots", "call *>", "0b004880-e406-40bf-8384-a4042a72fecd"}
	want := map[string][]uint64{}
	var last uint64
	for i := range 60 {
		call := calls[i%len(calls)]
		seq := appendCall(t, l, call, fmt.Sprintf("e%d", i), fmt.Sprintf("%s#%d", call, i))
		if seq <= last {
			t.Fatalf("sequence %d after %d: not increasing", seq, last)
		}
		last = seq
		want[call] = append(want[call], seq)
	}
	for _, call := range calls {
		w, err := l.WatchCall(ctx, call, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := nextN(t, w, len(want[call]))
		if !slices.Equal(seqs(got), want[call]) {
			t.Errorf("call %q: sequences %v, want %v", call, seqs(got), want[call])
		}
		for i, e := range got {
			if wantPayload := fmt.Sprintf("%s#%d", call, i*len(calls)+slices.Index(calls, call)); string(e.Payload) != wantPayload {
				t.Errorf("call %q entry %d: payload %q, want %q", call, i, e.Payload, wantPayload)
			}
		}
		expectIdle(t, w)
	}
}

func TestAppendCallsBatch(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	pre := appendCall(t, l, "call-a", "a0", "a0")

	events := []CallEvent{
		{CallID: "call-a", EventID: "a1", Payload: []byte("a1")},
		{CallID: "call-b", EventID: "b1", Payload: []byte("b1")},
		{CallID: "call-a", EventID: "a0", Payload: []byte("redelivered")},
		{CallID: "call-a", EventID: "a2", Payload: []byte("a2")},
		{CallID: "call-b", EventID: "b2", Payload: []byte("b2")},
	}
	res, err := l.AppendCalls(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if !res[2].Duplicate || res[2].Seq != pre {
		t.Fatalf("redelivered event in batch: %+v, want duplicate of %d", res[2], pre)
	}
	for _, i := range []int{0, 1, 3, 4} {
		if res[i].Duplicate || res[i].Seq == 0 {
			t.Fatalf("event %d: %+v", i, res[i])
		}
	}
	if !(res[0].Seq < res[3].Seq && res[1].Seq < res[4].Seq) {
		t.Fatalf("batch order not kept per call: %+v", res)
	}
	w, err := l.WatchCall(ctx, "call-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := payloads(nextN(t, w, 3)); !slices.Equal(got, []string{"a0", "a1", "a2"}) {
		t.Fatalf("call-a payloads %q", got)
	}
	expectIdle(t, w)

	if _, err := l.AppendCalls(ctx, []CallEvent{{CallID: "c", EventID: ""}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("batch with an empty event ID: %v", err)
	}
}

func TestAppendRejectsInvalid(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	if _, _, err := l.AppendCall(ctx, "", "e", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty call ID: %v", err)
	}
	if _, _, err := l.AppendCall(ctx, "c", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty event ID: %v", err)
	}
	if _, err := l.WatchCall(ctx, "", 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("watch with an empty call ID: %v", err)
	}
}

func TestReady(t *testing.T) {
	l := openEmbedded(t, nil)
	ctx := testContext(t)
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("Ready on an open log: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ready on a closed log: %v, want ErrClosed", err)
	}
}
