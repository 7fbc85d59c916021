package api

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// maxRuns is how many runs the API works on at once. Each run is CPU
// bound, so more than a couple per core only adds memory and latency.
func maxRuns() int { return max(2, 2*runtime.GOMAXPROCS(0)) }

// idleRelease is how long the API waits, once no run is under way, before
// it returns the memory of past runs to the system.
const idleRelease = time.Second

// runSlots bounds the runs under way. A run endpoint takes a slot after it
// has read and checked its request, rather than in a middleware before,
// so that a slow upload or a bad body never holds one, and gives it back
// once its answer is sent.
type runSlots struct {
	slots chan struct{}

	mu   sync.Mutex
	idle *time.Timer // returns memory to the system once no run is under way
}

func newRunSlots(n int) *runSlots { return &runSlots{slots: make(chan struct{}, n)} }

// take takes a slot for a request, waiting at most runQueueWait for one.
// When none frees up it returns the 503 to answer, or errClientGone when
// the client stopped waiting first.
func (s *runSlots) take(r *http.Request) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(runQueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-t.C:
	case <-r.Context().Done():
		return errClientGone
	}
	if r.Context().Err() != nil {
		return errClientGone
	}
	return typedProblem(problemBusy, fmt.Sprintf("the server is already running %d scenarios, as many as it takes at once; try again in a second", cap(s.slots))).
		with("Retry-After", "1")
}

// give gives a slot back.
func (s *runSlots) give() {
	<-s.slots
	s.releaseWhenIdle()
}

// releaseWhenIdle returns memory to the system once no run has been under
// way for idleRelease: after a burst of runs an idle server would keep its
// heap until the next forced collection, minutes later. WebAssembly memory
// cannot shrink, so the Worker skips it.
func (s *runSlots) releaseWhenIdle() {
	if runtime.GOOS == "js" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle != nil {
		s.idle.Reset(idleRelease)
		return
	}
	s.idle = time.AfterFunc(idleRelease, func() {
		if len(s.slots) == 0 {
			debug.FreeOSMemory()
		}
	})
}
