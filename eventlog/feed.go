package eventlog

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

const (
	// feedBatch is how many messages the shared subscription lets the server
	// push ahead of its dispatch; it only caps client memory, dispatch is not
	// batched.
	feedBatch = 1000
	// feedStopTimeout bounds Close's wait for the subscription to stop.
	feedStopTimeout = 5 * time.Second
)

// feed is the one live subscription a process holds on a stream, and the
// in-process fan-out of its messages to watchers by subject. A JetStream
// ordered consumer delivers every message in stream order with its stream
// sequence, and recreates itself from the last delivered sequence when its
// server goes away (missed heartbeats) or it detects a gap, so the feed
// neither loses nor repeats messages.
//
// Dispatch never blocks: it appends to each watcher's bounded queue and cuts
// off a watcher whose queue is full. Appends never wait for it at all.
type feed struct {
	log      *zap.Logger
	stream   string
	keyField string // log field naming the subject's ID

	// dispatched is the highest sequence handed to watchers. It only moves
	// under mu (read-locked), after the message was queued to every watcher,
	// so a watcher registering under the write lock knows that every later
	// message will reach it live and every earlier one must be replayed.
	dispatched atomic.Uint64

	mu        sync.RWMutex
	bySubject map[string][]*Watcher
	all       []*Watcher // watchers of every subject
	stopped   bool

	cc jetstream.ConsumeContext
}

func startFeed(ctx context.Context, s *logStream, keyField string, heartbeat time.Duration, log *zap.Logger) (*feed, error) {
	f := &feed{
		log:       log,
		stream:    s.name,
		keyField:  keyField,
		bySubject: make(map[string][]*Watcher),
	}
	var last uint64
	err := retry(ctx, func(ctx context.Context) error {
		info, err := s.stream.Info(ctx)
		if err == nil {
			last = info.State.LastSeq
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: stream %s info: %w", s.name, err)
	}
	f.dispatched.Store(last)
	// An explicit start sequence, not DeliverNew: if the consumer is
	// recreated before it delivered anything, it must still start here.
	var cons jetstream.Consumer
	err = retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{s.prefix + ">"},
			DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:    last + 1,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: stream %s live consumer: %w", s.name, err)
	}
	f.cc, err = cons.Consume(f.dispatch,
		jetstream.PullMaxMessages(feedBatch),
		jetstream.PullHeartbeat(heartbeat),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			f.log.Warn("live subscription error; it recovers from the last sequence",
				zap.String("stream", f.stream), zap.Error(err))
		}))
	if err != nil {
		return nil, fmt.Errorf("eventlog: stream %s live consume: %w", s.name, err)
	}
	return f, nil
}

func (f *feed) dispatch(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		f.log.Error("live message without metadata", zap.String("stream", f.stream), zap.Error(err))
		return
	}
	e := Entry{
		Seq:     meta.Sequence.Stream,
		Time:    meta.Timestamp,
		EventID: msg.Headers().Get(jetstream.MsgIDHeader),
		Payload: msg.Data(),
	}
	var cut []*Watcher
	f.mu.RLock()
	if e.Seq <= f.dispatched.Load() {
		f.mu.RUnlock()
		return
	}
	ws := f.bySubject[msg.Subject()]
	if len(ws)+len(f.all) > 1 {
		e.shared = &shared{}
	}
	for _, w := range ws {
		if w.offer(e) {
			cut = append(cut, w)
		}
	}
	for _, w := range f.all {
		if w.offer(e) {
			cut = append(cut, w)
		}
	}
	f.dispatched.Store(e.Seq)
	f.mu.RUnlock()
	for _, w := range cut {
		f.log.Warn("slow watcher cut off", zap.String("stream", f.stream), zap.String(f.keyField, w.key),
			zap.Uint64("resume_after_sequence", w.lastSeq()), zap.Int("buffer", w.max))
		f.remove(w)
	}
}

// add registers w for live delivery and returns the sequence from which on
// it will receive every message live: older ones are for the replay.
func (f *feed) add(w *Watcher) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return 0, ErrClosed
	}
	// A watcher ended before it got here was removed already: adding it
	// now would leak it.
	if err := w.Err(); err != nil {
		return 0, err
	}
	if w.wildcard {
		f.all = append(f.all, w)
	} else {
		f.bySubject[w.subject] = append(f.bySubject[w.subject], w)
	}
	return f.dispatched.Load(), nil
}

func (f *feed) remove(w *Watcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.wildcard {
		f.all = deleteWatcher(f.all, w)
		return
	}
	ws := deleteWatcher(f.bySubject[w.subject], w)
	if len(ws) == 0 {
		delete(f.bySubject, w.subject)
	} else {
		f.bySubject[w.subject] = ws
	}
}

func deleteWatcher(ws []*Watcher, w *Watcher) []*Watcher {
	i := slices.Index(ws, w)
	if i < 0 {
		return ws
	}
	last := len(ws) - 1
	ws[i] = ws[last]
	ws[last] = nil
	return ws[:last]
}

// stop ends the subscription and every watcher (with ErrClosed).
func (f *feed) stop() {
	f.cc.Stop()
	select {
	case <-f.cc.Closed():
	case <-time.After(feedStopTimeout):
		f.log.Warn("live subscription did not stop in time", zap.String("stream", f.stream))
	}
	f.mu.Lock()
	f.stopped = true
	var ws []*Watcher
	for _, list := range f.bySubject {
		ws = append(ws, list...)
	}
	ws = append(ws, f.all...)
	f.mu.Unlock()
	for _, w := range ws {
		w.end(ErrClosed)
		<-w.afterDone
	}
}
