package eventlog

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// fillCall appends n events of call, each followed by one of "other", so that the call's
// sequences are not contiguous; it returns the call's sequences and payloads.
func fillCall(t *testing.T, l *Log, call string, n, size int) ([]uint64, []string) {
	t.Helper()
	ctx := testContext(t)
	var seqsOut []uint64
	var want []string
	for i := 0; i < n; i += 50 {
		var batch []CallEvent
		for k := i; k < min(i+50, n); k++ {
			p := fmt.Sprintf("%s-%d-", call, k)
			p += string(make([]byte, max(0, size-len(p))))
			batch = append(batch,
				CallEvent{CallID: call, EventID: fmt.Sprintf("%s-%d", call, k), Payload: []byte(p)},
				CallEvent{CallID: "other", EventID: fmt.Sprintf("%s-other-%d", call, k), Payload: []byte("o")})
			want = append(want, p)
		}
		appended, err := l.AppendCalls(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < len(appended); k += 2 {
			seqsOut = append(seqsOut, appended[k].Seq)
		}
	}
	return seqsOut, want
}

// TestReplayAcrossBatches: a replay longer than several batches returns every stored event once,
// in order, whether it starts at the beginning, at a batch boundary or inside a batch, and turns
// live after it without a gap.
func TestReplayAcrossBatches(t *testing.T) {
	l := openEmbedded(t, nil)
	const n = 2*replayBatch + 7
	stored, want := fillCall(t, l, "call", n, 16)
	for _, from := range []int{0, 1, replayBatch - 1, replayBatch, replayBatch + 1, 2*replayBatch + 3, n} {
		t.Run(fmt.Sprint(from), func(t *testing.T) {
			after := uint64(0)
			if from > 0 {
				after = stored[from-1]
			}
			w, err := l.WatchCall(testContext(t), "call", after)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			got := nextN(t, w, len(stored)-from)
			if !slices.Equal(seqs(got), stored[from:]) {
				t.Fatalf("replayed %v, want %v", seqs(got), stored[from:])
			}
			if !slices.Equal(payloads(got), want[from:]) {
				t.Fatal("payloads differ")
			}
			// The next subtests replay it too.
			live := appendCall(t, l, "call", fmt.Sprintf("live-%d", from), "live")
			stored, want = append(stored, live), append(want, "live")
			if e := nextN(t, w, 1)[0]; e.Seq != live {
				t.Fatalf("live entry %d, want %d", e.Seq, live)
			}
			expectIdle(t, w)
		})
	}
}

// TestReplayBatchBoundedByBytes: entries large enough that a batch is cut by its byte bound, not
// its count, are all replayed, in order.
func TestReplayBatchBoundedByBytes(t *testing.T) {
	l := openEmbedded(t, nil)
	const n = 40
	stored, want := fillCall(t, l, "call", n, replayBatchBytes/8)
	w, err := l.WatchCall(testContext(t), "call", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got := nextN(t, w, n)
	if !slices.Equal(seqs(got), stored) || !slices.Equal(payloads(got), want) {
		t.Fatalf("replayed %v, want %v", seqs(got), stored)
	}
	expectIdle(t, w)
}

// TestReplayAcrossBatchesReplicated: on a three-node cluster, where any replica in sync may answer
// a batch, a replay across batches and ending short of its bound (the last event is another
// call's) misses nothing and repeats nothing.
func TestReplayAcrossBatchesReplicated(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster takes seconds")
	}
	servers := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	l := openLogCtx(t, ctx, Config{NATSURL: clientURLs(servers...), Replicas: 3, Logger: testLogger(t)})
	const n = replayBatch + 30
	stored, want := fillCall(t, l, "call", n, 16)
	w, err := l.WatchCall(testContext(t), "call", stored[9])
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got := nextN(t, w, n-10)
	if !slices.Equal(seqs(got), stored[10:]) || !slices.Equal(payloads(got), want[10:]) {
		t.Fatalf("replayed %v, want %v", seqs(got), stored[10:])
	}
	live := appendCall(t, l, "call", "live", "live")
	if e := nextN(t, w, 1)[0]; e.Seq != live {
		t.Fatalf("live entry %d, want %d", e.Seq, live)
	}
}
