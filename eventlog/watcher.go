package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// maxIdleQueueCap is the queue capacity a drained watcher keeps; a larger
// one, left by a burst, is released so idle watchers stay small.
const maxIdleQueueCap = 16

// Entry is one stored event as a watcher receives it.
type Entry struct {
	// Seq is the event's stream sequence: increasing across all calls,
	// surviving restarts; the resume point.
	Seq uint64
	// Time is when the log stored the event.
	Time time.Time
	// EventID is the ID the event was appended with.
	EventID string
	// Payload is the appended payload. It is shared by every watcher of the
	// event and must not be modified.
	Payload []byte

	msg    jetstream.Msg // set for group deliveries, which are acknowledged
	shared *shared       // set for live deliveries, one per event for all its watchers
}

// shared holds what Entry.Shared derived from a live event, once for all its watchers.
type shared struct {
	once sync.Once
	v    any
}

// Shared returns derive(e), computed once per live event for every watcher that receives it
// (replayed and group entries compute it for themselves). A stream sends each of a call's
// events to all its watchers as the same bytes: they are encoded once, not once per watcher.
// derive must depend on the entry alone, be the same for every watcher of the stream, and its
// result must not be modified.
func (e Entry) Shared(derive func(Entry) any) any {
	if e.shared == nil {
		return derive(e)
	}
	e.shared.once.Do(func() { e.shared.v = derive(e) })
	return e.shared.v
}

// Ack confirms a group delivery once its receiver has it (e.g. after the
// gRPC Send returned), waiting for the server to record the ack so the event
// is not offered to another member. For other watchers it does nothing.
func (e Entry) Ack(ctx context.Context) error {
	if e.msg == nil {
		return nil
	}
	if err := e.msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("eventlog: ack sequence %d: %w", e.Seq, err)
	}
	return nil
}

// Nak hands a group delivery back at once, for another member (or this one)
// to take, instead of after the ack wait. For other watchers it does nothing.
func (e Entry) Nak() error {
	if e.msg == nil {
		return nil
	}
	if err := e.msg.Nak(); err != nil {
		return fmt.Errorf("eventlog: nak sequence %d: %w", e.Seq, err)
	}
	return nil
}

// Watcher delivers a call's (or the incoming calls') stored events after a
// resume point, then the live ones, in sequence order, each exactly once.
//
// Live events wait in a queue bounded by Config.WatcherBuffer that grows only
// as they wait. Once the watcher has caught up (its replay ended, or Next
// found nothing more to return), an event arriving for a full queue ends it
// at once: the queue is dropped and Next returns a *SlowConsumerError with
// the last sequence Next returned, from which the client can resume. Before
// that, while it is still replaying a backlog, a full queue is dropped and
// read from the store instead. Neither the appender nor any other watcher
// ever waits for a watcher.
//
// Next must not be called concurrently; Progress and Close may be called at
// any time.
type Watcher struct {
	log      *Log
	src      *logStream
	subject  string // exact subject, or a wildcard filter when wildcard
	wildcard bool
	key      string // call ID or called identity, for logs
	max      int

	parent     context.Context
	parentDone <-chan struct{} // parent's Done, looked up once: a stream's context is many layers deep
	ctx        context.Context // ended when the watcher ends
	cancel     context.CancelFunc
	afterDone  chan struct{} // closed once the watcher has fully ended
	notify     chan struct{} // capacity 1: "the queue changed" or "ended", coalesced

	// cursor is the last sequence the replay read, owned by Next.
	cursor uint64
	// verifiedUpto is the replay bound the stream leader is known to have
	// stored, owned by Next.
	verifiedUpto uint64
	// ahead is the replay's next entries, read ahead; owned by Next.
	ahead []Entry

	// idle paces NextWithin, armed to fire at idleAt (zero once it has fired and
	// been received); owned by Next's caller.
	idle   *time.Timer
	idleAt time.Time

	// Group membership: the shared durable consumer (nil for fan-out).
	group jetstream.Consumer

	mu        sync.Mutex
	replaying bool   // reading from the store, up to upto
	upto      uint64 // the last sequence the replay must cover
	caughtUp  bool   // had nothing more to return once: overflow now cuts off
	queue     []Entry
	head      int
	last      uint64 // the last sequence Next returned (or the resume point)
	err       error
}

// newWatcher makes a watcher of src; its fields must be complete before arm.
func newWatcher(l *Log, src *logStream, key string) *Watcher {
	return &Watcher{
		log:       l,
		src:       src,
		key:       key,
		max:       l.cfg.WatcherBuffer,
		afterDone: make(chan struct{}),
		notify:    make(chan struct{}, 1),
	}
}

// arm ties the watcher to ctx. Whoever ends the watcher (ctx, Close, the Log,
// the feed) cancels w.ctx; the function registered here then detaches it and
// signals afterDone. It may run at once, if ctx has ended already.
func (w *Watcher) arm(ctx context.Context) {
	w.parent, w.parentDone = ctx, ctx.Done()
	w.ctx, w.cancel = context.WithCancel(ctx)
	context.AfterFunc(w.ctx, func() {
		err := ctx.Err()
		if err == nil {
			err = ErrWatcherClosed
		}
		w.end(err)
		close(w.afterDone)
	})
}

// Next returns the next entry, waiting for one if needed. ctx bounds only
// this wait: when it expires Next returns ctx's error and the watcher goes on,
// so a short ctx can pace heartbeats. Once the watcher has ended, Next
// returns why: the watch context's error, ErrWatcherClosed, ErrClosed, a
// *SlowConsumerError, or a storage error.
func (w *Watcher) Next(ctx context.Context) (Entry, error) {
	return w.NextWithin(ctx, 0)
}

// NextWithin is Next bounded by an idle time as well: when no entry comes
// within idle (if positive) it returns ErrIdle and the watcher goes on. That
// holds while replaying too: if the store cannot answer (the log lost its
// quorum), NextWithin returns ErrIdle and the next call resumes the replay
// where it stopped, so a stream keeps sending heartbeats through an outage.
// Its timer is reused from call to call, so a stream that paces heartbeats
// this way holds no context per wait once live: thousands of idle watchers
// stay small. (One frame, no defer: the frames above a watcher's Next decide
// how large its goroutine's stack must grow.)
func (w *Watcher) NextWithin(ctx context.Context, idle time.Duration) (Entry, error) {
	if w.group != nil {
		return w.nextGroupWithin(ctx, idle)
	}
	var idleC <-chan time.Time
	var idleAt time.Time // when idle runs out, for the replay's requests
	if idle > 0 {
		idleAt = time.Now().Add(idle)
		switch {
		case w.idle == nil:
			w.idle, w.idleAt = time.NewTimer(idle), idleAt
		case w.idleAt.IsZero() || idleAt.Before(w.idleAt):
			// Since Go 1.23 a re-armed timer keeps no stale tick.
			w.idle.Reset(idle)
			w.idleAt = idleAt
		}
		// Else the timer is left to fire at an earlier call's deadline, then re-armed for
		// the rest of this one's: a stream's deadline moves with every event it sends, and
		// re-arming a timer per event costs more than once per idle period.
		idleC = w.idle.C
	}
	for {
		w.mu.Lock()
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return Entry{}, err
		}
		// Replaying (entries read ahead exist only then), or back to the store after an
		// overflow: the replay goes first. A live watcher takes this one lock per wait, shared
		// with the feed's offers.
		if w.replaying {
			w.mu.Unlock()
			e, ok, err := w.replayNextUntil(ctx, idleAt)
			if errors.Is(err, ErrIdle) {
				return Entry{}, ErrIdle
			}
			if err != nil {
				return Entry{}, w.failed(ctx, fmt.Errorf("eventlog: replay: %w", err))
			}
			if ok {
				return e, nil
			}
			continue
		}
		for w.head < len(w.queue) {
			e := w.queue[w.head]
			w.queue[w.head] = Entry{}
			w.head++
			if w.head == len(w.queue) {
				w.resetQueueLocked()
			}
			if e.Seq <= w.last {
				continue // replayed already
			}
			w.last = e.Seq
			w.mu.Unlock()
			w.log.metrics.liveReads.Inc()
			return e, nil
		}
		w.caughtUp = true
		w.mu.Unlock()
		// The watcher's end wakes it through notify (end), as its ctx's does: ctx is waited on
		// only when it is not the watch's own, a stream's case. Each channel fewer is one lock
		// fewer per wait, and a stream waits once per event.
		done := ctx.Done()
		if done == w.parentDone {
			done = nil
		}
		select {
		case <-w.notify:
		case <-idleC:
			if rest := time.Until(idleAt); rest > 0 {
				w.idle.Reset(rest)
				w.idleAt = idleAt
				continue
			}
			w.idleAt = time.Time{}
			return Entry{}, ErrIdle
		case <-done:
			return Entry{}, ctx.Err()
		}
	}
}

// Progress is the sequence up to which this watcher has returned every
// entry it will ever return: resuming after it misses nothing. It moves past
// the last entry's sequence while the watcher is idle and caught up, so a
// heartbeat carrying it lets an idle or filtering client advance its resume
// point.
func (w *Watcher) Progress() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.last
	if w.err == nil && w.group == nil && !w.replaying && w.head == len(w.queue) {
		p = max(p, w.src.feed.dispatched.Load())
	}
	return p
}

// Close ends the watcher and waits until it is detached from the log.
func (w *Watcher) Close() error {
	w.end(ErrWatcherClosed)
	<-w.afterDone
	return nil
}

// Err is why the watcher ended, or nil while it runs.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// offer queues a live entry; it reports whether that cut the watcher off.
// Called by the feed's dispatch: it must never block.
func (w *Watcher) offer(e Entry) (cut bool) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return false
	}
	if len(w.queue)-w.head >= w.max {
		if !w.caughtUp {
			// Still catching up: drop what waits and read it from the
			// store instead, rather than hold it or fail the watcher.
			w.queue, w.head = nil, 0
			w.upto = max(w.upto, e.Seq)
			w.replaying = true
			w.mu.Unlock()
			return false
		}
		w.err = &SlowConsumerError{LastSeq: w.last, Buffer: w.max}
		w.queue, w.head = nil, 0
		w.mu.Unlock()
		w.cancel()
		return true
	}
	if w.head > 0 && len(w.queue) == cap(w.queue) {
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return false
}

func (w *Watcher) resetQueueLocked() {
	if cap(w.queue) > maxIdleQueueCap {
		w.queue = nil
	} else {
		w.queue = w.queue[:0]
	}
	w.head = 0
}

// end records why the watcher ended (the first reason wins), drops its queue
// and detaches it. Safe to call any number of times, from anywhere but the
// feed's dispatch (which holds the feed's lock).
func (w *Watcher) end(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
		w.queue, w.head = nil, 0
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}: // a Next waiting returns why
	default:
	}
	w.cancel()
	if w.group != nil {
		w.log.removeMember(w)
	} else {
		w.src.feed.remove(w)
	}
}

// failed turns an error met by Next into its result: a timeout of Next's own
// ctx leaves the watcher running; anything else ends it.
func (w *Watcher) failed(ctx context.Context, err error) error {
	if w.ctx.Err() != nil {
		w.end(w.parentErr())
		return w.Err()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	w.end(err)
	return w.Err()
}

// deliver records seq as returned, unless the watcher ended meanwhile.
func (w *Watcher) deliver(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.last = seq
	return nil
}

func (w *Watcher) parentErr() error {
	if err := w.parent.Err(); err != nil {
		return err
	}
	return ErrWatcherClosed
}

func (w *Watcher) isReplaying() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.replaying && w.err == nil
}

func (w *Watcher) lastSeq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// mergedContext is ctx, also ended when the watcher ends, for the requests
// Next makes on the watcher's behalf.
func (w *Watcher) mergedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	mctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(w.ctx, cancel)
	return mctx, func() {
		stop()
		cancel()
	}
}
