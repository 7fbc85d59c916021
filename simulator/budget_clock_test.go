package simulator

import (
	"context"
	"math"
	"testing"
	"time"
)

// wallDeadline is a context whose deadline is a wall-clock time without a
// monotonic reading and which never reports an error itself, so that only
// the budget's own clock can stop a run.
type wallDeadline struct {
	context.Context
	d time.Time
}

func (c wallDeadline) Deadline() (time.Time, bool) { return c.d, true }

func TestBudgetWallClockDeadline(t *testing.T) {
	t.Parallel()
	// raceReserve(DefaultTimeout) is a second: races stop 50 ms from now.
	d := time.Now().Add(time.Second + 50*time.Millisecond).Round(0)
	b := newBudget(wallDeadline{context.Background(), d}, Options{})
	if got := b.raceStop(); got != "" {
		t.Fatalf("raceStop at the start = %q, want to go on", got)
	}
	if err := b.check(); err != nil {
		t.Fatalf("check at the start = %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := b.raceStop(); got != LimitDeadline {
		t.Fatalf("raceStop past the deadline = %q, want %q", got, LimitDeadline)
	}
}

func TestBudgetPastDeadline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Hour).Round(0))
	defer cancel()
	b := newBudget(ctx, Options{Timeout: time.Second})
	if b.raceStop() != LimitDeadline || b.check() == nil {
		t.Fatal("a deadline in the past does not stop the run")
	}
}

// TestBudgetLongestTimeout: the longest timeout a Duration holds (the
// CLI's -timeout accepts it) must not wrap the hard deadline round to
// before the start.
func TestBudgetLongestTimeout(t *testing.T) {
	t.Parallel()
	for _, timeout := range []time.Duration{math.MaxInt64, math.MaxInt64 - 100*time.Millisecond} {
		b := newBudget(context.Background(), Options{Timeout: timeout})
		if err := b.check(); err != nil {
			t.Errorf("timeout %v: check at the start = %v", timeout, err)
		}
		if got := b.raceStop(); got != "" {
			t.Errorf("timeout %v: raceStop at the start = %q", timeout, got)
		}
	}
}
