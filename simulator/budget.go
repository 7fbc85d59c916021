package simulator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	atomics "sync/atomic"
	"time"
)

// The defaults of a run's budget, used where Options leaves a limit zero.
// They are generous but finite, for a person at a terminal; the JSON API
// and the page set tighter ones (see the README's limits table).
const (
	// DefaultTimeout is how long a run may take.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxValueBytes bounds a path, header value or body after
	// {{name}} substitution.
	DefaultMaxValueBytes = 1 << 20
	// DefaultMaxResultBytes bounds the bodies, headers, traces and race
	// outcomes of a whole result, before JSON encoding.
	DefaultMaxResultBytes = 64 << 20
	// DefaultMaxColumns bounds the columns: policies × isolations.
	DefaultMaxColumns = 64
)

// Names of the limits, as LimitError.Limit and the API's limitName.
const (
	LimitDeadline    = "deadline"
	LimitValueBytes  = "value-bytes"
	LimitResultBytes = "result-bytes"
	LimitColumns     = "columns"
	LimitStates      = "states"
	LimitTotalStates = "total-states"
	LimitRaceMemory  = "race-memory"
	LimitConstraints = "constraints"
)

// LimitError is a run that went past one of its bounds. When a line of
// the scenario is to blame it is the Err of an *Error, so errors.As finds
// it either way.
type LimitError struct {
	// Limit names the bound: one of the Limit constants.
	Limit string
	// Max is the bound in its own unit: bytes, columns, states, or
	// milliseconds for the deadline.
	Max int64
	// Msg says what went past the bound, in a sentence for people.
	Msg string
}

// Error returns the message.
func (e *LimitError) Error() string { return e.Msg }

// Progress is how far a run has come, for a host that shows long work.
type Progress struct {
	Columns     int           // columns in the run
	ColumnsDone int           // columns finished
	States      int           // race states explored so far, over all columns
	Elapsed     time.Duration // time since the run started
	Left        time.Duration // time left before the deadline
}

// progressEvery is how often at most Options.Progress is called.
const progressEvery = 100 * time.Millisecond

// budget is what one run may spend, shared by every column of it. Counts
// that columns spend in parallel are atomic; the byte share of each column
// is fixed up front so that which line goes past it does not depend on
// how the columns were scheduled.
type budget struct {
	ctx     context.Context
	start   time.Time
	timeout time.Duration
	soft    time.Time // the deadline
	// raceEnd and hard are times since start, read with time.Since: that
	// reads the monotonic clock alone, where time.Now reads the wall
	// clock too, and each reading is a call into JavaScript in the
	// WebAssembly hosts (a few microseconds under workerd).
	raceEnd  time.Duration // races stop here, to report what they found by the deadline
	hard     time.Duration // every other loop stops here with an error
	maxValue int
	colBytes int // result bytes each column may spend
	maxBytes int
	complete bool // a race stopped by a bound is an error, not a partial result

	columns     int
	columnsDone atomics.Int64
	states      atomics.Int64
	// firstFail is the lowest index of a column that failed; columns after
	// it stop, since only the lowest failure is reported.
	firstFail atomics.Int64

	mu       sync.Mutex
	progress func(Progress)
	lastTick time.Time
}

// raceReserve is how long before the deadline races stop exploring: what
// they found still has to be grouped into outcomes and analysed, which
// takes time in proportion to what was explored, and the steps after them
// still have to be answered. A tenth of the timeout, at most a second.
func raceReserve(timeout time.Duration) time.Duration {
	return min(time.Second, timeout/10)
}

// deadlineGrace is how long after the deadline the other loops may still
// run before the run fails, so that a run that reached the deadline in a
// race still gives its partial result when the machine is slow: a quarter
// of the timeout, from 250 ms to 500 ms.
func deadlineGrace(timeout time.Duration) time.Duration {
	return min(500*time.Millisecond, max(250*time.Millisecond, timeout/4))
}

// newBudget starts the budget of a run; setColumns completes it once the
// columns are known.
func newBudget(ctx context.Context, opts Options) *budget {
	if ctx == nil {
		ctx = context.Background()
	}
	b := &budget{ctx: ctx, start: time.Now(), timeout: opts.Timeout, maxValue: opts.MaxValueBytes,
		maxBytes: opts.MaxResultBytes, complete: opts.CompleteRaces, progress: opts.Progress}
	if b.timeout <= 0 {
		b.timeout = DefaultTimeout
	}
	if b.maxValue <= 0 {
		b.maxValue = DefaultMaxValueBytes
	}
	if b.maxBytes <= 0 {
		b.maxBytes = DefaultMaxResultBytes
	}
	b.soft = b.start.Add(b.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(b.soft) {
		b.soft = d
	}
	// Sub saturates, but the sums would wrap for a timeout near the
	// longest Duration (or a deadline centuries away): they saturate too.
	left := b.soft.Sub(b.start)
	b.raceEnd = left - raceReserve(b.timeout)
	if b.raceEnd > left {
		b.raceEnd = math.MinInt64
	}
	b.hard = left + deadlineGrace(b.timeout)
	if b.hard < left {
		b.hard = math.MaxInt64
	}
	return b
}

// setColumns shares the result bytes out among the columns.
func (b *budget) setColumns(n int) {
	b.columns = n
	b.colBytes = b.maxBytes / max(1, n)
	b.firstFail.Store(int64(n))
}

// raceStop tells an exploration why it must stop now, or "" to go on.
// The clock is read on every call rather than through ctx.Done: under
// GOOS=js a busy loop never lets the timer behind a context deadline run.
func (b *budget) raceStop() string {
	if b.ctx.Err() != nil || time.Since(b.start) >= b.raceEnd {
		return LimitDeadline
	}
	return ""
}

// clockEvery is how many cheap steps (requests, probes) pass between
// readings of the clock in stepCheck: reading it costs more than a step of
// a small scenario, in the WebAssembly hosts more still, and the grace
// after the deadline (deadlineGrace) is far longer than that many steps.
const clockEvery = 8

// stepCheck is check for a loop of cheap steps: cancellation is seen at
// once, the deadline at the first call and then at every clockEvery-th,
// counted in *n, which belongs to the caller's goroutine.
func (b *budget) stepCheck(n *int) error {
	*n++
	if *n%clockEvery != 1 && b.ctx.Err() == nil {
		return nil
	}
	return b.check()
}

// check is the test every loop outside the race explorer makes: it returns
// a *LimitError once the run has been cancelled or is past its deadline.
func (b *budget) check() error {
	if err := b.ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if b.ctx.Err() != nil || time.Since(b.start) >= b.hard {
		return b.deadlineError()
	}
	return nil
}

func (b *budget) deadlineError() *LimitError {
	return &LimitError{Limit: LimitDeadline, Max: b.timeout.Milliseconds(),
		Msg: "the run passed its deadline of " + b.timeout.String() + " here"}
}

// literal checks the size of a value as written in the scenario: a body
// of a batch create can hold tens of thousands of members.
func (b *budget) literal(what string, n int) error {
	if n <= b.maxValue {
		return nil
	}
	return &LimitError{Limit: LimitValueBytes, Max: int64(b.maxValue),
		Msg: fmt.Sprintf("the %s is %s bytes, over the limit of %s for one value", what, groupDigits(strconv.Itoa(n)), sizeText(b.maxValue))}
}

// value checks the size of a value about to be built.
func (b *budget) value(what string, n int) error {
	if n <= b.maxValue {
		return nil
	}
	return &LimitError{Limit: LimitValueBytes, Max: int64(b.maxValue),
		Msg: fmt.Sprintf("the %s after {{name}} substitution would be %s bytes, over the limit of %s for one value", what, groupDigits(strconv.Itoa(n)), sizeText(b.maxValue))}
}

// spend charges a column with bytes of result.
func (b *budget) spend(spent *int, n int) error {
	*spent += n
	if *spent <= b.colBytes {
		return nil
	}
	share := ""
	if b.columns > 1 {
		share = fmt.Sprintf(" (%s for each of %d columns)", sizeText(b.colBytes), b.columns)
	}
	return &LimitError{Limit: LimitResultBytes, Max: int64(b.maxBytes),
		Msg: fmt.Sprintf("the result passed the limit of %s%s at this step", sizeText(b.maxBytes), share)}
}

// tick reports progress, at most every progressEvery unless forced (as
// when a column finishes).
func (b *budget) tick(force bool) {
	if b.progress == nil {
		return
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !force && now.Sub(b.lastTick) < progressEvery {
		return
	}
	b.lastTick = now
	b.progress(Progress{Columns: b.columns, ColumnsDone: int(b.columnsDone.Load()), States: int(b.states.Load()),
		Elapsed: now.Sub(b.start), Left: max(0, b.soft.Sub(now))})
}

// sizeText writes a byte count for people: 512 bytes, 64 KiB, 1.5 MiB.
func sizeText(n int) string {
	switch {
	case n < 1<<10:
		return strconv.Itoa(n) + " bytes"
	case n < 1<<20:
		return trimFloat(float64(n)/(1<<10)) + " KiB"
	}
	return trimFloat(float64(n)/(1<<20)) + " MiB"
}

// trimFloat keeps at most one decimal: 1.5, 64.
func trimFloat(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// The JSON of a response or a trace entry costs about this much besides
// its text: member names, quotes and indentation.
const (
	responseOverhead = 256
	entryOverhead    = 64
)

// responseBytes is what a response adds to a result, before encoding.
func responseBytes(r *Response) int {
	n := responseOverhead + len(r.Body) + len(r.Reason) + len(r.Situation)
	for k, v := range r.Headers {
		n += len(k) + len(v)
	}
	if s := r.Sent; s != nil {
		n += len(s.Method) + len(s.Path) + len(s.Body)
		for k, v := range s.Headers {
			n += len(k) + len(v)
		}
	}
	for _, t := range r.Trace {
		n += entryOverhead + len(t.Step) + len(t.Detail) + len(t.Cite) + len(t.URL)
	}
	for _, f := range r.Lint {
		n += entryOverhead + len(f.Level) + len(f.Message) + len(f.Cite) + len(f.URL)
	}
	return n
}

// propertiesBytes is what a column's properties add to a result.
func propertiesBytes(p *Properties) int {
	n := 0
	for _, pr := range []*Property{&p.RetrySafe, &p.IdempotentEffect, &p.LeaksExistence, &p.LosesUpdates, &p.DoubleBooking, &p.CacheableRefusals} {
		n += entryOverhead + len(pr.Summary) + len(pr.Cite) + len(pr.URL) + 8*len(pr.Lines)
		for _, d := range pr.Details {
			n += 8 + len(d)
		}
	}
	return n
}

// raceBytes is what a race result adds to a result, before encoding.
func raceBytes(rr *RaceResult) int {
	n := responseOverhead + len(rr.Note) + len(rr.Orders)
	for _, o := range rr.Outcomes {
		n += responseOverhead + 16*len(o.Statuses)
		for _, s := range o.Situations {
			n += len(s)
		}
		for _, e := range o.Example {
			n += 8 + len(e)
		}
		for k, v := range o.Final {
			n += 8 + len(k) + len(v)
		}
		n += len(o.LostUpdate)
		for i := range o.Responses {
			n += responseBytes(&o.Responses[i])
		}
	}
	return n
}
