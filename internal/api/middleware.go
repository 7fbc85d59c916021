package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// recoverPanics turns a panic into a 500 problem instead of a dropped
// connection or, on the Worker, a dead instance. http.ErrAbortHandler goes
// on up: it is net/http's way to abort an answer on purpose.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, httpProblem(http.StatusInternalServerError,
					"the simulator failed on this input; please report it with the request body"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// cors grants every origin what it asks, since documentation sites call the
// API from their own pages and nothing is tied to cookies or credentials:
// every answer allows any origin and exposes ETag, and the answer to a
// preflight (an OPTIONS with Origin and Access-Control-Request-Method)
// allows the methods its route answers, which methods lists in Allow.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag")
		if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			w = &preflightWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// preflightWriter adds the grants of a preflight to the route's 204 answer
// to OPTIONS, from the Allow field the route set; an error answer, such as
// the 404 of a path no route takes, grants nothing.
type preflightWriter struct {
	http.ResponseWriter
}

func (p *preflightWriter) WriteHeader(status int) {
	h := p.Header()
	if allow := h.Get("Allow"); status == http.StatusNoContent && allow != "" {
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Allow-Headers", "Content-Type, If-None-Match")
		h.Set("Access-Control-Max-Age", "86400")
	}
	p.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (p *preflightWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// nosniff tells clients to take every answer as the media type it
// declares.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// methods routes one path by request method. HEAD runs the GET endpoint
// (the server drops the body), OPTIONS answers 204 with Allow, and any
// other method is a 405 problem with Allow. Methods are routed here rather
// than by the method patterns of http.ServeMux, whose 405 is plain text.
type methods map[string]handler

func (m methods) allow() string {
	list := make([]string, 0, len(m)+2)
	for method := range m {
		list = append(list, method)
	}
	if _, ok := m[http.MethodGet]; ok {
		list = append(list, http.MethodHead)
	}
	sort.Strings(list)
	return strings.Join(append(list, http.MethodOptions), ", ")
}

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	handler(m.route).ServeHTTP(w, r)
}

func (m methods) route(w http.ResponseWriter, r *http.Request) error {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if f, ok := m[method]; ok {
		return f(w, r)
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", m.allow())
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return httpProblem(http.StatusMethodNotAllowed,
		fmt.Sprintf("%s does not answer %s; use %s", r.URL.Path, r.Method, m.allow())).with("Allow", m.allow())
}

// limitBody refuses a request body over limit bytes with 413: at once when
// Content-Length says so, else when a read of the body goes past it, which
// then fails with the *http.MaxBytesError that tooLarge answers.
func limitBody(limit int64, next handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.ContentLength > limit {
			return tooLarge(limit)
		}
		if r.Body != nil { // nil: a handler test's request without a body
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit), upload: r.Body}
		}
		return next(w, r)
	}
}

// tooLarge is the answer to a body over limit bytes.
func tooLarge(limit int64) *Problem {
	p := httpProblem(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the body may have at most %d bytes (%d KiB)", limit, limit>>10))
	p.Limit = int(limit)
	return p
}

// limitedBody is a request body cut off at its limit. The read that goes
// past the limit also discards the rest of the upload (see drain), so that
// the 413 which follows reaches the client.
type limitedBody struct {
	io.ReadCloser               // the http.MaxBytesReader
	upload        io.ReadCloser // the body it reads
	drained       bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var maxErr *http.MaxBytesError
	if !b.drained && errors.As(err, &maxErr) {
		b.drained = true
		drain(b.upload)
	}
	return n, err
}

// maxDrain bounds how much of an oversized body of unknown length is read
// and discarded before the 413 is sent. The Worker needs the drain (see
// drain); the native server, which could just close the connection, uses
// the same bound so that a client gets the same answer from both: a 413
// for an upload up to 16 MiB, rather than a reset connection.
const maxDrain = 16 << 20

// discarder is a request body that can skip what is left of it more cheaply
// than by reading it into Go: the Worker's (body_worker.go in package main).
type discarder interface {
	Discard(limit int64)
}

// drain discards what is left of a refused body, up to maxDrain, and closes
// it, which on the Worker cancels the request stream. Answering while the
// client is still sending fails the request in workerd ("Can't read from
// request stream after response has been sent"), and under wrangler dev a
// request that follows such an answer could wait until its client gave up;
// with the upload consumed first it never did (68 KiB to 5 MiB, 8 tries
// each). Uploads over the bound are cut off, with that risk.
func drain(body io.ReadCloser) {
	if d, ok := body.(discarder); ok {
		d.Discard(maxDrain)
	} else {
		io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	}
	body.Close()
}
