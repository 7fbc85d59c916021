package warmstack

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// goroutineID is the number runtime.Stack prints for the calling
// goroutine, which tells goroutines apart in a test.
func goroutineID() int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.Atoi(string(buf[:bytes.IndexByte(buf, ' ')]))
	return id
}

func TestSequentialRequestsShareAGoroutine(t *testing.T) {
	t.Parallel()
	var ids []int
	h := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, goroutineID())
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}))
	for i := range 5 {
		rec := httptest.NewRecorder()
		path := "/" + strconv.Itoa(i)
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusTeapot || rec.Header().Get("X-Path") != path {
			t.Fatalf("request %d: got %d %q, want 418 and its own path", i, rec.Code, rec.Header().Get("X-Path"))
		}
	}
	for i, id := range ids {
		if id != ids[0] || id == goroutineID() {
			t.Fatalf("request %d ran on goroutine %d; want every request on goroutine %d, not the caller's", i, id, ids[0])
		}
	}
}

// TestConcurrentRequestsDoNotWait holds every request in the handler
// until all of them are in: a Handler that let one wait for another's
// goroutine would never get there.
func TestConcurrentRequestsDoNotWait(t *testing.T) {
	t.Parallel()
	const n = 3 * MaxIdle
	var in sync.WaitGroup
	in.Add(n)
	release := make(chan struct{})
	h := New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		in.Done()
		<-release
	}))
	var out sync.WaitGroup
	for range n {
		out.Add(1)
		go func() {
			defer out.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}()
	}
	all := make(chan struct{})
	go func() { in.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("the concurrent requests did not all reach the handler")
	}
	close(release)
	out.Wait()
	if got := len(h.idle); got != MaxIdle {
		t.Errorf("%d goroutines kept after %d concurrent requests, want at most (and here exactly) %d", got, n, MaxIdle)
	}
}

func TestPanicReachesTheCaller(t *testing.T) {
	t.Parallel()
	var ids []int
	h := New(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ids = append(ids, goroutineID())
		if r.URL.Path == "/panic" {
			panic(http.ErrAbortHandler)
		}
	}))
	serve := func(path string) (p any) {
		defer func() { p = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		return nil
	}
	if p := serve("/"); p != nil {
		t.Fatalf("a plain request panicked with %v", p)
	}
	if p := serve("/panic"); p != http.ErrAbortHandler {
		t.Fatalf("the caller recovered %v, want the handler's own value %v", p, http.ErrAbortHandler)
	}
	if p := serve("/"); p != nil {
		t.Fatalf("the request after the panic panicked with %v", p)
	}
	if ids[0] != ids[1] || ids[2] == ids[1] {
		t.Errorf("goroutines %v: want the first two requests on one goroutine and the one after the panic on another", ids)
	}
	if got := len(h.idle); got != 1 {
		t.Errorf("%d goroutines kept, want 1: the one that panicked is not", got)
	}
}

// whereItBroke panics the way a bug does, with a runtime error.
//
//go:noinline
func whereItBroke() {
	var counts []int
	counts[len(counts)]++
}

// TestPanicStackIsWritten: the trace of the re-raised panic names only
// this package, so the stack where it happened must be written out.
func TestPanicStackIsWritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler func()
		logged  bool
	}{
		{"a bug", whereItBroke, true},
		{"http.ErrAbortHandler", func() { panic(http.ErrAbortHandler) }, false},
	} {
		h := New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { tc.handler() }))
		var log bytes.Buffer
		h.panics = &log
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", "/notes/1", nil))
		}()
		switch got := log.String(); {
		case tc.logged && (!strings.Contains(got, "whereItBroke") || !strings.Contains(got, "PUT /notes/1")):
			t.Errorf("%s: wrote %q, want the request and a stack naming whereItBroke", tc.name, got)
		case !tc.logged && got != "":
			t.Errorf("%s: wrote %q, want nothing", tc.name, got)
		}
	}
}

func TestGoexitReachesTheCaller(t *testing.T) {
	t.Parallel()
	h := New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { runtime.Goexit() }))
	returned, exited := make(chan bool, 1), make(chan bool, 1)
	go func() {
		defer func() { exited <- recover() == nil }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		returned <- true
	}()
	select {
	case <-returned:
		t.Fatal("ServeHTTP returned after the handler called runtime.Goexit")
	case clean := <-exited:
		if !clean {
			t.Fatal("ServeHTTP panicked after the handler called runtime.Goexit, want Goexit")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeHTTP hung after the handler called runtime.Goexit")
	}
	if got := len(h.idle); got != 0 {
		t.Errorf("%d goroutines kept, want none: the one that exited is gone", got)
	}
}

// deep uses about n KiB of stack, as a run of the engine does.
//
//go:noinline
func deep(n int) int {
	var pad [1024]byte
	pad[n%len(pad)] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%len(pad)])
}

// BenchmarkHandler serves requests whose handler needs 64 KiB of stack
// the way syumai/workers calls a handler, on a new goroutine each time,
// straight and through a Handler.
func BenchmarkHandler(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { deep(64) })
	req := httptest.NewRequest("GET", "/", nil)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"fresh goroutine", next}, {"warm goroutine", New(next)}} {
		b.Run(bc.name, func(b *testing.B) {
			done := make(chan struct{})
			for b.Loop() {
				go func() {
					bc.h.ServeHTTP(nil, req)
					done <- struct{}{}
				}()
				<-done
			}
		})
	}
}
