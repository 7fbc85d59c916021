// Package policyserver serves one httpplay policy over real HTTP: a
// stateful, in-memory server that answers every request exactly as that
// policy's column of the httpplay matrix answers it, with the same status,
// header fields and body, so that a client's retries, conditional requests
// and error handling can be tested against "a strict API" or "an
// Azure-style API" without writing one.
//
// A Server is an http.Handler, to mount in a mux, serve on a port or wrap
// in httptest.NewServer:
//
//	srv, err := policyserver.New("zalando", policyserver.Declarations("@unique /users email"))
//	if err != nil { ... }
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//
// The world the server keeps lives until Reset, bounded in resources and
// bytes (MaxResources, MaxWorldBytes) and in the size of request bodies
// (MaxBodyBytes), so that a mock anyone can reach cannot be made to grow
// without end. Requests are handled one at a time, each atomically, unless
// Isolation("check-then-act") lets a concurrent request come between the
// read and the write of another, as in the simulator's races.
//
// Beyond the answer of the policy, the server adds only what net/http
// frames every response with (Content-Length or chunked encoding); it
// suppresses the Date and sniffed Content-Type fields net/http would add,
// since the simulated policy sends neither.
package policyserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/httpplay/httpplay/simulator"
)

// DefaultMaxBodyBytes bounds a request body when MaxBodyBytes is not
// given: the bound of the httpplay API's scenarios.
const DefaultMaxBodyBytes = 64 << 10

// Option configures New.
type Option func(*config)

type config struct {
	opts    simulator.ServerOptions
	maxBody int64
	observe func(*http.Request, simulator.Response)
}

// Declarations gives the server the declarations of a scenario, in its
// text (for example "@unique /users email\n@min /teams/*/members 1").
// Requests in the text are an error.
func Declarations(text string) Option {
	return func(c *config) { c.opts.Declarations = text }
}

// Isolation chooses how a write interleaves with concurrent requests:
// "atomic" (the default) or "check-then-act".
func Isolation(name string) Option {
	return func(c *config) { c.opts.Isolation = name }
}

// PolicyJSON defines a custom policy in the JSON of httpplay's SYNTAX.md;
// the policy given to New must then be its id, or empty.
func PolicyJSON(text string) Option {
	return func(c *config) { c.opts.PolicyJSON = text }
}

// MaxBodyBytes bounds the body of a request; larger ones are refused with
// 413 before they reach the policy.
func MaxBodyBytes(n int64) Option {
	return func(c *config) { c.maxBody = n }
}

// MaxResources bounds the entries of the world (resources, tombstones and
// Idempotency-Keys); past it, unsafe requests are refused with 507.
func MaxResources(n int) Option {
	return func(c *config) { c.opts.MaxResources = n }
}

// MaxWorldBytes bounds the estimated memory of the world; past it, unsafe
// requests are refused with 507.
func MaxWorldBytes(n int) Option {
	return func(c *config) { c.opts.MaxWorldBytes = n }
}

// Observe calls f with every request the server answered and the
// simulator's response to it, situation, trace and lint included, after
// the response is written: for logs and for tools that show why.
func Observe(f func(r *http.Request, resp simulator.Response)) Option {
	return func(c *config) { c.observe = f }
}

// Server is a policy's server on a world of its own. It is safe for
// concurrent use.
type Server struct {
	sim     *simulator.Server
	maxBody int64
	observe func(*http.Request, simulator.Response)
}

// New makes a server for the built-in policy with the given id (see
// simulator.Policies), or for the custom policy PolicyJSON defines.
func New(policy string, options ...Option) (*Server, error) {
	c := config{maxBody: DefaultMaxBodyBytes}
	c.opts.Policy = policy
	for _, o := range options {
		o(&c)
	}
	if c.maxBody <= 0 {
		return nil, errors.New("policyserver: MaxBodyBytes must be positive")
	}
	sim, err := simulator.NewServer(c.opts)
	if err != nil {
		return nil, fmt.Errorf("policyserver: %w", err)
	}
	return &Server{sim: sim, maxBody: c.maxBody, observe: c.observe}, nil
}

// Policy describes the server's policy.
func (s *Server) Policy() simulator.PolicyInfo { return s.sim.Policy() }

// Isolation is "atomic" or "check-then-act".
func (s *Server) Isolation() string { return s.sim.Isolation() }

// State returns a copy of the world.
func (s *Server) State() simulator.State { return s.sim.State() }

// Reset empties the world.
func (s *Server) Reset() { s.sim.Reset() }

// Handle answers a request given as the simulator writes one, for hosts
// that are not net/http; ServeHTTP is Handle for HTTP.
func (s *Server) Handle(req simulator.Request) simulator.Response { return s.sim.Handle(req) }

// framing lists the request fields that belong to the connection or the
// transfer, not to the request the policy judges.
var framing = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Te": true, "Trailer": true,
	"Upgrade": true, "Proxy-Connection": true, "Content-Length": true,
}

// ServeHTTP answers one request as the policy does.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, resp, ok := s.read(w, r)
	if ok {
		resp = s.sim.Handle(req)
	}
	write(w, r, resp)
	if s.observe != nil {
		s.observe(r, resp)
	}
}

// read turns an HTTP request into the simulator's, or into the refusal
// of one too large.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (simulator.Request, simulator.Response, bool) {
	if r.ContentLength > s.maxBody {
		return simulator.Request{}, tooLarge(s.maxBody), false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return simulator.Request{}, tooLarge(s.maxBody), false
		}
		return simulator.Request{}, problem(400, "Bad Request", "the request body could not be read: "+err.Error(), "unreadable-body"), false
	}
	req := simulator.Request{Method: r.Method, Path: r.URL.RequestURI(), Body: string(body), Headers: map[string]string{}}
	for name, vals := range r.Header {
		if !framing[name] {
			req.Headers[name] = strings.Join(vals, ", ")
		}
	}
	return req, simulator.Response{}, true
}

func tooLarge(n int64) simulator.Response {
	return problem(413, "Content Too Large", fmt.Sprintf("the request body may have at most %d bytes", n), "body-too-large")
}

// problem is an answer the server gives on its own, before the policy:
// an RFC 9457 problem document.
func problem(status int, title, detail, situation string) simulator.Response {
	body := fmt.Sprintf("{\"type\":\"about:blank\",\"title\":%q,\"status\":%d,\"detail\":%q}\n", title, status, detail)
	return simulator.Response{Status: status, Reason: detail, Situation: situation, Body: body,
		Headers: map[string]string{"Content-Type": "application/problem+json"}}
}

// write sends a simulated response: its fields in name order, as the
// simulator spells them, and nothing net/http would add on its own but
// the framing.
func write(w http.ResponseWriter, r *http.Request, resp simulator.Response) {
	h := w.Header()
	names := make([]string, 0, len(resp.Headers))
	for name := range resp.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h[name] = []string{resp.Headers[name]}
	}
	if _, ok := resp.Headers["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
	h["Date"] = nil
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead && resp.Body != "" {
		_, _ = io.WriteString(w, resp.Body)
	}
}
