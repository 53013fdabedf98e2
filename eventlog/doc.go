// Package eventlog is callgate's durable, replicated, resumable event log,
// on NATS JetStream: the storage and fan-out behind callbacks (HTTP in ->
// append) and the WatchCall / WatchIncomingCalls streams. It stores opaque
// payloads and knows nothing of gRPC, protobuf or HTTP.
//
// # Storage
//
// Open embeds a NATS server in-process (no listener, JetStream on a file
// store under Config.DataDir) or connects to an external cluster
// (Config.NATSURL); everything else is the same code path. Two streams:
//
//   - <prefix>_CALLS, subjects <subject prefix>.calls.<call>: one subject per
//     call connection ID;
//   - <prefix>_INCOMING, subjects <subject prefix>.incoming.<called>: one
//     subject per called identity, so watchers and groups can filter on it.
//
// IDs become subject tokens as they are when made of [A-Za-z0-9_-] (ACS call
// connection IDs are UUIDs), otherwise as "~" + unpadded base64url: any ID,
// including ones with '.', '*', '>' or spaces, maps to exactly one token.
// Retention is by age (default 24h), size (default 1 GiB per stream) and
// optionally count, the oldest events going first.
//
// # Sequences and de-duplication
//
// An event's sequence is its JetStream stream sequence: increasing across all
// calls, kept across restarts of the embedded server (file store) and across
// leader changes in a cluster. It is the resume point. The event ID (the
// CloudEvent id) is the JetStream message ID: an ID already stored within
// Config.DuplicateWindow (default 10 minutes) is not stored again, and the
// append reports duplicate with the sequence of the first copy (JetStream
// answers a duplicate with the original's sequence; the tests check it,
// across restarts too). In a cluster, a duplicate that arrives while its
// original is not yet committed gets a "duplicate message id is in process"
// error from JetStream; Append retries it until the original's sequence can
// be returned.
//
// # Durability
//
// Append returns only once JetStream acknowledged the write. On the embedded
// single server that means the event was written to the store file (a
// write(2) before the acknowledgement, NATS' default): it survives a crash of
// the gateway process. The file is fsynced every Config.SyncInterval (NATS'
// default, two minutes), so a crash of the machine itself can lose the last
// events acknowledged before it. Config.SyncAlways fsyncs each write before
// acknowledging it, at several times the cost per append (see the benchmark
// figures reported with the package). In a cluster with Replicas >= 3 an
// acknowledged event is on a quorum of servers, which is the durability a
// production deployment should rely on.
//
// # Readiness
//
// Log.Ready, for readiness probes, fails while the NATS connection is down or
// while the leader of either stream has not heard from a quorum of its
// replicas for a few seconds: the state in which appends fail. It succeeds
// again once the quorum is back. It reads the stream leaders' view of their
// replicas, one small request per stream, and writes nothing.
//
// # Watching
//
// WatchCall and WatchIncoming register a watcher for live delivery first and
// then replay the stored events after its resume point, handing over without
// gap or duplicate (see replay.go). A replay reads in batches (a batched
// direct get: up to 256 entries or 1 MiB a request). Any replica nearly in
// sync may answer one; its store being a prefix of the leader's, a batch has
// no gap, and where a batch ends short of what the replay must cover the
// stream leader is asked whether anything follows. So a replay can go on from
// a surviving replica through a lost quorum up to where it needs the leader. A resume
// point the log cannot honour is an *OutOfRangeError (ErrOutOfRange), never a
// silent gap. Watcher.NextWithin returns ErrIdle after its idle time whether
// the watcher follows live events or replays from a store that cannot answer
// (a lost quorum), so a stream can send heartbeats through an outage; the
// next call resumes the replay where it stopped.
//
// Live events reach watchers through one shared JetStream ordered consumer
// per stream and process, fanned out in memory by subject: thousands of calls
// and many watchers per call cost one consumer per process, and an idle
// watcher about 1.3 KB of heap. A consumer per watcher was measured against
// it (BenchmarkLiveLatency, BenchmarkIdleWatcherMemory): slower, many times
// larger, and capped at 1,000 consumers per stream by the server's default.
//
// A live event reaches its watchers as one Entry: what they derive from it to
// send (Entry.Shared: a stream's encoded response) is computed once, not per
// watcher.
//
// Appends never wait for watchers. Each watcher's live queue is bounded by
// Config.WatcherBuffer; a caught-up watcher whose queue is full when an event
// arrives is ended with a *SlowConsumerError (ErrSlowConsumer) carrying the
// last sequence it returned, and its queue is released. A watcher still
// replaying a backlog instead drops its queue and reads those events from the
// store as well, so resuming far behind is never mistaken for being slow.
//
// # Incoming-call groups
//
// Watchers of IncomingOptions.Group share a durable JetStream pull consumer
// (one per group and called filter, replicated like the streams): each
// incoming call goes to one member across every process sharing the NATS
// cluster. A member acknowledges an entry (Entry.Ack) once its client has it;
// an unacknowledged entry is offered again after Config.GroupAckWait (default
// 30s), for instance when its member died, up to Config.GroupMaxDeliver
// times; Entry.Nak offers it again at once.
package eventlog
