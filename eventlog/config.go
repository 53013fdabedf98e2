package eventlog

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Config configures a Log. The zero value of every field but DataDir (needed
// when embedding) selects a documented default.
type Config struct {
	// NATSURL lists the servers of an external NATS cluster, comma-separated.
	// Empty embeds a NATS server in-process (no network listener) with
	// JetStream on a file store under DataDir. The URL may carry credentials:
	// it is never logged.
	NATSURL string
	// NATSOptions are extra client options for an external cluster
	// (credentials file, TLS, ...).
	NATSOptions []nats.Option

	// DataDir holds the embedded server's file store. Required when NATSURL
	// is empty; sequences survive restarts on the same DataDir.
	DataDir string
	// ServerName names the embedded server (default "callgate").
	ServerName string
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges it. Off by default: an acknowledged append has been
	// written to the store file (it survives a crash of the process) and is
	// fsynced within SyncInterval (it survives a crash of the machine after
	// that). See the package documentation for the figures.
	SyncAlways bool
	// SyncInterval is the embedded server's fsync period (default: the NATS
	// server's, two minutes).
	SyncInterval time.Duration

	// MaxAge is how long events are kept (default 24h).
	MaxAge time.Duration
	// MaxBytes bounds each stream's size; the oldest events go first
	// (default 1 GiB).
	MaxBytes int64
	// MaxMsgs bounds each stream's message count (default 0: unbounded).
	MaxMsgs int64
	// Replicas is the streams' replication factor in an external cluster
	// (default 1; use 3 in production).
	Replicas int
	// DuplicateWindow is how long an event ID is remembered for
	// de-duplication (default 10 minutes, at most MaxAge).
	DuplicateWindow time.Duration

	// StreamPrefix prefixes the stream names (default "CALLGATE": streams
	// CALLGATE_CALLS and CALLGATE_INCOMING).
	StreamPrefix string
	// SubjectPrefix prefixes the subjects (default "callgate": subjects
	// callgate.calls.<call> and callgate.incoming.<called>).
	SubjectPrefix string

	// WatcherBuffer is how many events a watcher may have waiting for its
	// reader before it is ended with *SlowConsumerError (default 256). The
	// buffer grows only as events wait, so an idle watcher holds none of it.
	WatcherBuffer int
	// AppendTimeout bounds an append, retries included, when the caller's
	// context allows longer (default 10s).
	AppendTimeout time.Duration
	// FeedHeartbeat is how often the server proves the shared subscription
	// alive; after two missed beats it is recreated from the last sequence
	// (default 5s; shorter detects a lost server sooner, but on a saturated
	// machine risks needless recreations).
	FeedHeartbeat time.Duration

	// GroupAckWait is how long an incoming call handed to a group member may
	// stay unacknowledged before it is offered to another member (default 30s).
	GroupAckWait time.Duration
	// GroupMaxDeliver is how many times an incoming call is offered to a
	// group (default 5).
	GroupMaxDeliver int
	// GroupInactiveThreshold removes a group's consumer after it had no
	// member for that long (default 1h).
	GroupInactiveThreshold time.Duration

	// Logger receives structured logs (default: no logs).
	Logger *zap.Logger
	// Metrics, when set, gets the log's Prometheus collectors; TracerProvider makes the spans of
	// appends (nil: the global one).
	Metrics        prometheus.Registerer
	TracerProvider trace.TracerProvider
}

const (
	defaultMaxAge          = 24 * time.Hour
	defaultMaxBytes        = 1 << 30
	defaultDuplicateWindow = 10 * time.Minute
	defaultWatcherBuffer   = 256
	defaultAppendTimeout   = 10 * time.Second
	defaultFeedHeartbeat   = 5 * time.Second
	defaultGroupAckWait    = 30 * time.Second
	defaultGroupMaxDeliver = 5
	defaultGroupInactive   = time.Hour
)

func (c Config) withDefaults() Config {
	if c.ServerName == "" {
		c.ServerName = "callgate"
	}
	if c.MaxAge == 0 {
		c.MaxAge = defaultMaxAge
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = defaultMaxBytes
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = min(defaultDuplicateWindow, c.MaxAge)
	}
	if c.StreamPrefix == "" {
		c.StreamPrefix = "CALLGATE"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "callgate"
	}
	if c.WatcherBuffer == 0 {
		c.WatcherBuffer = defaultWatcherBuffer
	}
	if c.AppendTimeout == 0 {
		c.AppendTimeout = defaultAppendTimeout
	}
	if c.FeedHeartbeat == 0 {
		c.FeedHeartbeat = defaultFeedHeartbeat
	}
	if c.GroupAckWait == 0 {
		c.GroupAckWait = defaultGroupAckWait
	}
	if c.GroupMaxDeliver == 0 {
		c.GroupMaxDeliver = defaultGroupMaxDeliver
	}
	if c.GroupInactiveThreshold == 0 {
		c.GroupInactiveThreshold = defaultGroupInactive
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

func (c Config) validate() error {
	if c.NATSURL == "" && c.DataDir == "" {
		return fmt.Errorf("eventlog: DataDir is required when NATSURL is empty")
	}
	if c.MaxAge < 0 || c.MaxBytes < 0 || c.MaxMsgs < 0 || c.DuplicateWindow < 0 {
		return fmt.Errorf("eventlog: MaxAge, MaxBytes, MaxMsgs and DuplicateWindow must not be negative")
	}
	if c.DuplicateWindow > c.MaxAge {
		return fmt.Errorf("eventlog: DuplicateWindow %s exceeds MaxAge %s", c.DuplicateWindow, c.MaxAge)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("eventlog: Replicas must be between 1 and 5, got %d", c.Replicas)
	}
	if c.WatcherBuffer < 1 {
		return fmt.Errorf("eventlog: WatcherBuffer must be positive, got %d", c.WatcherBuffer)
	}
	if c.GroupMaxDeliver < -1 || c.GroupAckWait < 0 || c.AppendTimeout < 0 || c.FeedHeartbeat < 0 {
		return fmt.Errorf("eventlog: negative timing or delivery limit")
	}
	if !isPlainToken(c.StreamPrefix) {
		return fmt.Errorf("eventlog: StreamPrefix %q may hold only letters, digits, '-' and '_'", c.StreamPrefix)
	}
	for _, tok := range strings.Split(c.SubjectPrefix, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return fmt.Errorf("eventlog: SubjectPrefix %q is not a literal subject", c.SubjectPrefix)
		}
	}
	return nil
}
