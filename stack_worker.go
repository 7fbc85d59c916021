//go:build js && wasm

package main

import (
	"errors"
	"net/http"
	"runtime"
)

// withWarmStacks serves each request on a goroutine that has served one
// before, when one is free, instead of on the fresh goroutine
// syumai/workers starts for every request. A fresh goroutine starts with a
// small stack, and a run grows it by copying it over and over, with the
// frames adjusted at each copy: 2% of the Worker's CPU time for the
// default preset (a profile of the isolate). A goroutine kept between
// requests keeps its grown stack until the collector shrinks it.
//
// Concurrent requests each get their own goroutine, so one cannot wait
// for another; at most maxIdleServers are kept when the load falls. A
// panic in next is raised again on the request's own goroutine with the
// same value (its stack trace is the one thing lost), and a goroutine that
// panicked is not kept.
func withWarmStacks(next http.Handler) http.Handler {
	idle := make(chan *stackServer, maxIdleServers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s *stackServer
		select {
		case s = <-idle:
		default:
			s = &stackServer{jobs: make(chan stackJob), done: make(chan any)}
			go s.serve(next)
		}
		s.jobs <- stackJob{w, r}
		switch p := <-s.done; p {
		case nil:
		case errGoexit:
			runtime.Goexit()
		default:
			panic(p)
		}
		select {
		case idle <- s:
		default:
			close(s.jobs)
		}
	})
}

// maxIdleServers bounds the goroutines withWarmStacks keeps: more than
// the requests an isolate usually has in flight at once, each with at
// most a few hundred KiB of stack.
const maxIdleServers = 8

// stackServer is one goroutine of withWarmStacks and its channels: jobs
// brings it requests, done reports each one answered with nil, or with
// what next panicked with.
type stackServer struct {
	jobs chan stackJob
	done chan any
}

// errGoexit stands for a runtime.Goexit in next, which recover does not
// see.
var errGoexit = errors.New("the handler called runtime.Goexit")

type stackJob struct {
	w http.ResponseWriter
	r *http.Request
}

// serve answers requests until jobs is closed, or until one panics.
func (s *stackServer) serve(next http.Handler) {
	for job := range s.jobs {
		if !s.serveOne(next, job) {
			return
		}
	}
}

// serveOne answers one request and reports whether it returned normally.
// The goroutine ends when it did not, so the request's own goroutine is
// told what happened: the value of a panic, or errGoexit.
func (s *stackServer) serveOne(next http.Handler, job stackJob) (ok bool) {
	defer func() {
		if !ok {
			p := recover()
			if p == nil {
				p = errGoexit
			}
			s.done <- p
		}
	}()
	next.ServeHTTP(job.w, job.r)
	s.done <- nil
	return true
}
