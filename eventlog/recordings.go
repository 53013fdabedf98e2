package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The recordings stream, <prefix>_RECORDINGS, holds the events of call recordings, one subject
// per recording ID (<subject prefix>.recordings.<recording>): their state changes and the files
// ACS announces for them. Recording IDs are opaque base64 with '=', '+' and '/', so their
// subject tokens are the encoded form. It is retained, replicated and de-duplicated as the
// other streams are, and watched the same way: WatchRecordings replays after a resume point,
// then follows.

// MaxRecordingEvents bounds what RecordingEvents reads of one recording: a recording has a
// handful of state changes and one announcement of its files per session.
const MaxRecordingEvents = 1000

func (l *Log) openRecordings(ctx context.Context) error {
	var err error
	if l.recordings, err = l.openStream(ctx, "RECORDINGS", "recordings", "callgate recording events, one subject per recording"); err != nil {
		return err
	}
	l.recordings.feed, err = startFeed(ctx, l.recordings, "recording_id", l.cfg.FeedHeartbeat, l.log)
	return err
}

// AppendRecording stores one event of a recording; acknowledgement and de-duplication as
// AppendCall.
func (l *Log) AppendRecording(ctx context.Context, recordingID, eventID string, payload []byte) (seq uint64, duplicate bool, err error) {
	if err := checkKey("recording ID", recordingID); err != nil {
		return 0, false, err
	}
	ctx, span := l.metrics.appendSpan(ctx, "recordings", 1)
	start := time.Now()
	a, err := l.append(ctx, l.recordings, l.recordings.subject(recordingID), eventID, payload)
	l.metrics.appendDone(span, "recordings", start, []Appended{a}, err)
	if err != nil {
		return 0, false, fmt.Errorf("eventlog: append event %q of recording %q: %w", eventID, recordingID, err)
	}
	return a.Seq, a.Duplicate, nil
}

// WatchRecordings watches the events of one recording (recordingID), or of every recording
// (""): the stored ones after afterSeq, then the live ones, as WatchCall does.
func (l *Log) WatchRecordings(ctx context.Context, recordingID string, afterSeq uint64) (*Watcher, error) {
	if recordingID != "" {
		if err := checkKey("recording ID", recordingID); err != nil {
			return nil, err
		}
	}
	w := newWatcher(l, l.recordings, recordingID)
	if recordingID == "" {
		w.subject, w.wildcard = l.recordings.prefix+">", true
	} else {
		w.subject = l.recordings.subject(recordingID)
	}
	w.arm(ctx)
	if err := l.startWatch(ctx, w, afterSeq, false); err != nil {
		return nil, fmt.Errorf("eventlog: watch recordings: %w", err)
	}
	return w, nil
}

// RecordingEvents reads every stored event of a recording, oldest first, at most
// MaxRecordingEvents: one direct read per event, from the stream leader.
func (l *Log) RecordingEvents(ctx context.Context, recordingID string) ([]Entry, error) {
	if err := checkKey("recording ID", recordingID); err != nil {
		return nil, err
	}
	if l.closed.Load() {
		return nil, ErrClosed
	}
	subject := l.recordings.subject(recordingID)
	var out []Entry
	for seq := uint64(0); len(out) < MaxRecordingEvents; {
		var raw *jetstream.RawStreamMsg
		err := retry(ctx, func(ctx context.Context) error {
			var err error
			raw, err = l.recordings.stream.GetMsg(ctx, seq+1, jetstream.WithGetMsgSubject(subject))
			return err
		})
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("eventlog: events of recording %q: %w", recordingID, err)
		}
		out = append(out, Entry{Seq: raw.Sequence, Time: raw.Time, EventID: raw.Header.Get(jetstream.MsgIDHeader), Payload: raw.Data})
		seq = raw.Sequence
	}
	return out, nil
}

// LastRecordingSequence is the highest recording-event sequence this process has seen live.
func (l *Log) LastRecordingSequence() uint64 { return l.recordings.feed.dispatched.Load() }
