// Package warmstack serves HTTP requests on goroutines kept from one
// request to the next, for the Worker (entry_worker.go), where Go runs on
// one thread and a goroutine's stack growth is pure overhead.
package warmstack

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
)

// Handler serves each request on a goroutine that has served one before,
// when one is free, instead of on the goroutine the request came in on. On
// the Worker that is a fresh goroutine for every request (syumai/workers
// starts one), with a small stack that a run grows by copying it over and
// over, adjusting every frame at each copy: 2% of the isolate's CPU time
// for the default preset, in a profile. A goroutine kept between requests
// keeps its grown stack until the collector shrinks it.
//
// Concurrent requests each get a goroutine of their own, so none waits
// for another; at most MaxIdle are kept when the load falls. A panic in
// the handler is raised again on the request's own goroutine with the
// same value, as is a runtime.Goexit, and a goroutine that ended so is not
// kept. The trace of the re-raised panic shows only this package, so the
// stack where the panic happened is written to standard error first
// (workerd's console), but for http.ErrAbortHandler, which net/http's
// convention keeps quiet.
type Handler struct {
	next http.Handler
	idle chan *server
	// panics receives the stacks of panics, os.Stderr but in tests.
	panics io.Writer
}

// MaxIdle bounds the goroutines a Handler keeps: more than the requests
// an isolate usually has in flight at once, each with at most a few
// hundred KiB of stack.
const MaxIdle = 8

// New returns a Handler that serves next.
func New(next http.Handler) *Handler {
	return &Handler{next: next, idle: make(chan *server, MaxIdle), panics: os.Stderr}
}

// ServeHTTP hands the request to an idle goroutine, or a new one, and
// returns when it has been answered.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var s *server
	select {
	case s = <-h.idle:
	default:
		s = &server{jobs: make(chan job), done: make(chan any)}
		go s.serve(h.next, h.panics)
	}
	s.jobs <- job{w, r}
	switch p := <-s.done; p {
	case nil:
	case errGoexit:
		runtime.Goexit()
	default:
		panic(p)
	}
	select {
	case h.idle <- s:
	default:
		close(s.jobs)
	}
}

// server is one goroutine of a Handler and its channels: jobs brings it
// requests, done reports each one answered with nil, or with what the
// handler panicked with.
type server struct {
	jobs chan job
	done chan any
}

// errGoexit stands for a runtime.Goexit in the handler, which recover
// does not see.
var errGoexit = errors.New("the handler called runtime.Goexit")

type job struct {
	w http.ResponseWriter
	r *http.Request
}

// serve answers requests until jobs is closed, or until one panics.
func (s *server) serve(next http.Handler, panics io.Writer) {
	for j := range s.jobs {
		if !s.serveOne(next, j, panics) {
			return
		}
	}
}

// serveOne answers one request and reports whether it returned normally.
// The goroutine ends when it did not, so the request's own goroutine is
// told what happened: the value of a panic, or errGoexit.
func (s *server) serveOne(next http.Handler, j job, panics io.Writer) (ok bool) {
	defer func() {
		if !ok {
			p := recover()
			switch p {
			case nil:
				p = errGoexit
			case http.ErrAbortHandler:
			default:
				fmt.Fprintf(panics, "panic serving %s %s: %v\n\n%s\n", j.r.Method, j.r.URL.Path, p, debug.Stack())
			}
			s.done <- p
		}
	}()
	next.ServeHTTP(j.w, j.r)
	s.done <- nil
	return true
}
