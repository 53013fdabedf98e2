package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A replay reads its subject's stored entries in batches (a JetStream batched direct get: one
// request, up to replayBatch messages back, then an end-of-batch status), not one request per
// entry: at one round trip per entry a resuming watcher caught up at about 10,000 entries/s.
const (
	replayBatch = 1024
	// replayBatchBytes bounds what one batch holds in the watcher's memory.
	replayBatchBytes = 1 << 20
)

// Direct gets may be answered by any server holding a replica that is nearly in sync, not only
// the leader. A replica's store is a prefix of the leader's log, so what a batch returns has no
// gap up to its last entry; only a batch that ends early may have been answered by a replica
// that had not yet stored what follows. With one replica there is no such server.

const (
	statusHeader     = "Status"
	statusNoMessages = "404"
	statusEndOfBatch = "204"
	statusNoReply    = "503"
	numPendingHeader = "Nats-Num-Pending"
)

// readBatch reads the next stored entries of subject with a sequence in (after, upto], in order:
// up to replayBatch of them, fewer when their bytes reach replayBatchBytes. It returns none only
// when the log holds no more up to upto, as the stream leader saw it.
func (s *logStream) readBatch(ctx context.Context, nc *nats.Conn, subject string, after, upto uint64, replicated bool) ([]Entry, error) {
	var out []Entry
	var more bool
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		out, more, err = s.directBatch(ctx, nc, subject, after, upto)
		return err
	})
	if err != nil {
		return nil, err
	}
	if more || !replicated {
		return out, nil
	}
	// A short batch: the leader says whether anything follows it.
	last := after
	if len(out) > 0 {
		last = out[len(out)-1].Seq
	}
	if last >= upto {
		return out, nil
	}
	var next *Entry
	err = retry(ctx, func(ctx context.Context) error {
		var err error
		next, err = s.leaderGet(ctx, nc, msgGetRequest{Seq: last + 1, NextFor: subject})
		return err
	})
	if err != nil {
		return nil, err
	}
	if next != nil && next.Seq <= upto {
		out = append(out, *next)
	}
	return out, nil
}

type directGetRequest struct {
	Seq      uint64 `json:"seq"`
	NextFor  string `json:"next_by_subj"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes"`
}

// directBatch is one batched direct get: the entries of subject after seq `after`, up to upto,
// and whether the server that answered holds any entry of subject after the last one returned
// (then, its store being a prefix of the leader's, it had stored all up to there).
func (s *logStream) directBatch(ctx context.Context, nc *nats.Conn, subject string, after, upto uint64) (_ []Entry, more bool, _ error) {
	req, err := json.Marshal(directGetRequest{Seq: after + 1, NextFor: subject, Batch: replayBatch, MaxBytes: replayBatchBytes})
	if err != nil {
		return nil, false, err
	}
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishMsg(&nats.Msg{Subject: jetstream.DefaultAPIPrefix + "DIRECT.GET." + s.name, Reply: inbox, Data: req}); err != nil {
		return nil, false, err
	}
	var out []Entry
	beyond := false // the server holds an entry after upto: everything up to upto, then
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, false, err
		}
		if len(m.Data) == 0 {
			switch m.Header.Get(statusHeader) {
			case statusEndOfBatch:
				return out, beyond || pending(m) > 0, nil
			case statusNoMessages:
				return out, false, nil
			case statusNoReply:
				return nil, false, nats.ErrNoResponders
			case "":
				// An empty payload is a stored entry too.
			default:
				return nil, false, fmt.Errorf("direct get: %s %s", m.Header.Get(statusHeader), m.Header.Get("Description"))
			}
		}
		e, err := directEntry(m)
		if err != nil {
			return nil, false, err
		}
		if e.Seq <= upto {
			out = append(out, e)
		} else {
			beyond = true
		}
		// A server that does not batch answers with the entry alone.
		if m.Header.Get(numPendingHeader) == "" {
			return out, beyond, nil
		}
	}
}

// pending is what an end-of-batch status says the server holds after the batch.
func pending(m *nats.Msg) uint64 {
	n, _ := strconv.ParseUint(m.Header.Get(numPendingHeader), 10, 64)
	return n
}

func directEntry(m *nats.Msg) (Entry, error) {
	seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
	if err != nil {
		return Entry{}, fmt.Errorf("direct get: sequence header: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
	if err != nil {
		return Entry{}, fmt.Errorf("direct get: time header: %w", err)
	}
	return Entry{Seq: seq, Time: t, EventID: m.Header.Get(jetstream.MsgIDHeader), Payload: m.Data}, nil
}

type msgGetResponse struct {
	Error   *jetstream.APIError `json:"error"`
	Message *struct {
		Sequence uint64    `json:"seq"`
		Header   []byte    `json:"hdrs"`
		Data     []byte    `json:"data"`
		Time     time.Time `json:"time"`
	} `json:"message"`
}

type msgGetRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
	LastFor string `json:"last_by_subj,omitempty"`
}

// leaderGet reads one stored entry from the stream leader (the non-direct get, which only the
// leader answers), or nil if there is none.
func (s *logStream) leaderGet(ctx context.Context, nc *nats.Conn, r msgGetRequest) (*Entry, error) {
	req, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	reply, err := nc.RequestWithContext(ctx, jetstream.DefaultAPIPrefix+"STREAM.MSG.GET."+s.name, req)
	if err != nil {
		return nil, err
	}
	var resp msgGetResponse
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return nil, fmt.Errorf("stream message get: %w", err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, nil
		}
		return nil, resp.Error
	}
	if resp.Message == nil {
		return nil, jetstream.ErrInvalidJetStreamResponse
	}
	e := &Entry{Seq: resp.Message.Sequence, Time: resp.Message.Time, Payload: resp.Message.Data}
	if len(resp.Message.Header) > 0 {
		hdr, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("stream message get: %w", err)
		}
		e.EventID = hdr.Get(jetstream.MsgIDHeader)
	}
	return e, nil
}
