package eventlog

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by every operation on a closed Log, and by the
	// watchers the Log ended when it closed.
	ErrClosed = errors.New("eventlog: log closed")

	// ErrIdle is returned by NextWithin when nothing came within its idle
	// time; the watcher goes on.
	ErrIdle = errors.New("eventlog: nothing within the idle time")

	// ErrWatcherClosed is returned by Next after the watcher's own Close.
	ErrWatcherClosed = errors.New("eventlog: watcher closed")

	// ErrOutOfRange is wrapped by *OutOfRangeError: the resume point cannot be
	// honoured without a silent gap (the gRPC layer maps it to OutOfRange).
	ErrOutOfRange = errors.New("eventlog: resume point out of range")

	// ErrSlowConsumer is wrapped by *SlowConsumerError: the watcher fell
	// further behind than its buffer allows (the gRPC layer maps it to
	// ResourceExhausted).
	ErrSlowConsumer = errors.New("eventlog: slow consumer")

	// ErrInvalidArgument wraps every validation failure of an argument
	// (empty call ID, empty event ID, ...).
	ErrInvalidArgument = errors.New("eventlog: invalid argument")
)

// OutOfRangeError reports a resume point the log cannot honour: events after
// After were discarded by retention (First is the oldest sequence still
// stored), or After lies beyond the last sequence the log ever assigned
// (Last), which means the log was reset since the client saw After.
type OutOfRangeError struct {
	After uint64
	First uint64
	Last  uint64
}

func (e *OutOfRangeError) Error() string {
	if e.After > e.Last {
		return fmt.Sprintf("eventlog: sequence %d is beyond the last stored sequence %d", e.After, e.Last)
	}
	return fmt.Sprintf("eventlog: events after sequence %d are no longer stored; the oldest stored sequence is %d", e.After, e.First)
}

func (e *OutOfRangeError) Unwrap() error { return ErrOutOfRange }

// SlowConsumerError ends a watcher whose backlog outgrew its buffer.
// LastSeq is the last sequence Next returned: the client resumes after it
// and misses nothing.
type SlowConsumerError struct {
	LastSeq uint64
	Buffer  int
}

func (e *SlowConsumerError) Error() string {
	return fmt.Sprintf("eventlog: watcher fell more than %d events behind; resume after sequence %d", e.Buffer, e.LastSeq)
}

func (e *SlowConsumerError) Unwrap() error { return ErrSlowConsumer }

func invalidArg(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
