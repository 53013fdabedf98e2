package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// closeTimeout bounds how long Close waits for the connection to drain.
const closeTimeout = 10 * time.Second

// Log is the durable, replicated event log of callgate: one JetStream stream
// of call events (a subject per call) and one of incoming calls, with
// in-process fan-out of live events to watchers. It stores opaque payloads.
// A Log is safe for concurrent use.
type Log struct {
	cfg Config
	log *zap.Logger

	ns         *server.Server // the embedded server; nil with an external cluster
	nc         *nats.Conn
	js         jetstream.JetStream
	connClosed chan struct{}

	calls      *logStream
	incoming   *logStream
	recordings *logStream // recordings.go

	closed  atomic.Bool
	metrics *metrics

	mu      sync.Mutex
	members map[*Watcher]struct{} // group members, ended by Close
}

// logStream is one JetStream stream with its shared live subscription.
type logStream struct {
	name   string
	prefix string // subject prefix, ending with '.'
	stream jetstream.Stream
	feed   *feed
}

func (s *logStream) subject(id string) string { return s.prefix + subjectToken(id) }

// Open connects to NATS (embedding a server when cfg.NATSURL is empty),
// creates or updates the two streams and starts the shared subscriptions.
// ctx bounds the setup, including waiting for a fresh cluster to elect its
// JetStream leaders.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Log{
		cfg:        cfg,
		log:        cfg.Logger,
		connClosed: make(chan struct{}),
		members:    make(map[*Watcher]struct{}),
	}
	l.metrics = newMetrics(l, cfg.Metrics, cfg.TracerProvider)
	if err := l.connect(); err != nil {
		return nil, err
	}
	if err := l.setup(ctx); err != nil {
		l.shutdown()
		return nil, err
	}
	l.log.Info("event log open",
		zap.Bool("embedded", l.ns != nil),
		zap.String("calls_stream", l.calls.name),
		zap.String("incoming_stream", l.incoming.name),
		zap.Int("replicas", cfg.Replicas),
		zap.Duration("max_age", cfg.MaxAge),
		zap.Int64("max_bytes", cfg.MaxBytes))
	return l, nil
}

func (l *Log) connect() error {
	opts := []nats.Option{
		nats.Name("callgate-eventlog"),
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(l.connClosed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				l.log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			l.log.Info("nats reconnected", zap.String("server_id", nc.ConnectedServerId()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := []zap.Field{zap.Error(err)}
			if sub != nil {
				fields = append(fields, zap.String("subject", sub.Subject))
			}
			l.log.Warn("nats asynchronous error", fields...)
		}),
	}
	url := l.cfg.NATSURL
	if url == "" {
		ns, err := startEmbedded(l.cfg)
		if err != nil {
			return err
		}
		l.ns = ns
		opts = append(opts, nats.InProcessServer(ns))
	} else {
		opts = append(opts, l.cfg.NATSOptions...)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		// The URL may hold credentials: the error names no server.
		l.stopServer()
		return fmt.Errorf("eventlog: connect to NATS: %w", err)
	}
	l.nc = nc
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(publishAsyncMaxPending),
		jetstream.WithPublishAsyncTimeout(l.cfg.AppendTimeout))
	if err != nil {
		l.shutdown()
		return fmt.Errorf("eventlog: jetstream: %w", err)
	}
	l.js = js
	return nil
}

func (l *Log) setup(ctx context.Context) error {
	var err error
	if l.calls, err = l.openStream(ctx, "CALLS", "calls", "callgate call events, one subject per call connection"); err != nil {
		return err
	}
	if l.incoming, err = l.openStream(ctx, "INCOMING", "incoming", "callgate incoming calls, one subject per called identity"); err != nil {
		return err
	}
	if l.calls.feed, err = startFeed(ctx, l.calls, "call_connection_id", l.cfg.FeedHeartbeat, l.log); err != nil {
		return err
	}
	if l.incoming.feed, err = startFeed(ctx, l.incoming, "called", l.cfg.FeedHeartbeat, l.log); err != nil {
		return err
	}
	return l.openRecordings(ctx)
}

func (l *Log) openStream(ctx context.Context, suffix, kind, description string) (*logStream, error) {
	s := &logStream{
		name:   l.cfg.StreamPrefix + "_" + suffix,
		prefix: l.cfg.SubjectPrefix + "." + kind + ".",
	}
	cfg := jetstream.StreamConfig{
		Name:        s.name,
		Description: description,
		Subjects:    []string{s.prefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    l.cfg.Replicas,
		MaxAge:      l.cfg.MaxAge,
		MaxBytes:    l.cfg.MaxBytes,
		MaxMsgs:     l.cfg.MaxMsgs,
		Duplicates:  l.cfg.DuplicateWindow,
		// Batched direct gets for replays (storeread.go).
		AllowDirect: true,
	}
	if cfg.MaxMsgs == 0 {
		cfg.MaxMsgs = -1
	}
	err := retry(ctx, func(ctx context.Context) error {
		st, err := l.js.CreateOrUpdateStream(ctx, cfg)
		if err == nil {
			s.stream = st
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: create stream %s: %w", s.name, err)
	}
	return s, nil
}

// Close ends every watcher with ErrClosed, stops the shared subscriptions,
// drains the connection and stops the embedded server, waiting for all of
// it. Appends in flight either complete or fail; Close is idempotent.
func (l *Log) Close() error {
	if !l.closed.CompareAndSwap(false, true) {
		return nil
	}
	for _, s := range []*logStream{l.calls, l.incoming, l.recordings} {
		s.feed.stop()
	}
	l.mu.Lock()
	members := make([]*Watcher, 0, len(l.members))
	for w := range l.members {
		members = append(members, w)
	}
	l.mu.Unlock()
	for _, w := range members {
		w.end(ErrClosed)
		<-w.afterDone
	}
	err := l.shutdown()
	l.log.Info("event log closed")
	return err
}

// shutdown drains the connection and stops the embedded server.
func (l *Log) shutdown() error {
	var err error
	if l.nc != nil {
		if derr := l.nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
			err = fmt.Errorf("eventlog: drain: %w", derr)
			l.nc.Close()
		}
		select {
		case <-l.connClosed:
		case <-time.After(closeTimeout):
			l.nc.Close()
			err = errors.Join(err, fmt.Errorf("eventlog: connection did not drain within %s", closeTimeout))
		}
	}
	l.stopServer()
	return err
}

func (l *Log) stopServer() {
	if l.ns != nil {
		l.ns.Shutdown()
		l.ns.WaitForShutdown()
	}
}

// LastSequence is the highest call-event sequence this process has seen on
// its shared subscription: cheap, for heartbeats. A watcher's own resume
// point is Watcher.Progress, which never claims events still buffered.
func (l *Log) LastSequence() uint64 { return l.calls.feed.dispatched.Load() }

func (l *Log) addMember(w *Watcher) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrClosed
	}
	if err := w.Err(); err != nil {
		return err // ended before it got here: removed already
	}
	l.members[w] = struct{}{}
	return nil
}

func (l *Log) removeMember(w *Watcher) {
	l.mu.Lock()
	delete(l.members, w)
	l.mu.Unlock()
}
