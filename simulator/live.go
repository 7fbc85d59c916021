package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// PolicyByID describes the built-in policy with the given id.
func PolicyByID(id string) (PolicyInfo, bool) {
	_, byID := builtins()
	p, ok := byID[id]
	if !ok {
		return PolicyInfo{}, false
	}
	return p.info(), true
}

// Bounds of a Server's world, so that a mock that anyone can reach cannot
// be made to hold without end what its clients send.
const (
	// DefaultMaxResources bounds the entries of a Server's world: live
	// resources, tombstones and Idempotency-Keys together.
	DefaultMaxResources = 1000
	// DefaultMaxWorldBytes bounds the estimated memory of a Server's world.
	DefaultMaxWorldBytes = 4 << 20
)

// ServerOptions configures NewServer.
type ServerOptions struct {
	// Policy is the id of a built-in policy, or of the custom policy that
	// PolicyJSON defines.
	Policy string
	// PolicyJSON, when not empty, defines a custom policy in the JSON of
	// SYNTAX.md; Policy may then be empty or its id.
	PolicyJSON string
	// Declarations is scenario text with declarations only, such as
	// "@unique /users email"; requests in it are an error.
	Declarations string
	// Isolation is "atomic" (the default, or the declarations'
	// @isolation) or "check-then-act", under which an unsafe request reads
	// and writes in two steps that other requests may come between, as in
	// the simulator's races.
	Isolation string
	// MaxResources and MaxWorldBytes bound the world (see
	// DefaultMaxResources and DefaultMaxWorldBytes when zero). Past them,
	// unsafe requests are refused with 507 until the world is Reset or
	// shrinks.
	MaxResources  int
	MaxWorldBytes int
}

// Server is one policy's server on a world of its own that lives from one
// request to the next, for hosts that answer real HTTP: each request goes
// through the same pipeline as a cell of the matrix, so a Server answers a
// sequence of requests exactly as that policy's column does. It is safe
// for concurrent use.
type Server struct {
	mu     sync.Mutex
	policy *Policy
	decls  *declarations
	iso    isolation
	w      *world
	maxRes int
	maxMem int
}

// NewServer makes a server for a policy. Errors in the declarations are
// *Error values with their line and column, named "declarations".
func NewServer(opts ServerOptions) (*Server, error) {
	var p *Policy
	if opts.PolicyJSON != "" {
		cp, perr := parsePolicyText(opts.PolicyJSON, "")
		if perr != nil {
			return nil, &PolicyError{Line: perr.line, Col: perr.col, Offset: perr.off, Err: perr.err}
		}
		if _, builtin := PolicyByID(cp.ID); builtin {
			return nil, fmt.Errorf("custom policy %q has the id of a built-in policy: choose another id", cp.ID)
		}
		if opts.Policy != "" && opts.Policy != cp.ID {
			return nil, fmt.Errorf("the custom policy's id is %q, not %q", cp.ID, opts.Policy)
		}
		p = cp
	} else {
		_, byID := builtins()
		p = byID[opts.Policy]
		if p == nil {
			ids := make([]string, 0, len(byID))
			for _, info := range Policies() {
				ids = append(ids, info.ID)
			}
			return nil, fmt.Errorf("unknown policy %q (known: %s)", opts.Policy, strings.Join(ids, ", "))
		}
	}
	sc, err := parseDeclarations(opts.Declarations)
	if err != nil {
		return nil, err
	}
	if len(sc.steps) > 0 {
		st := sc.steps[0]
		return nil, &Error{File: "declarations", Line: st.line, Col: 1, Msg: "declarations may not hold requests: a server answers the requests it is sent"}
	}
	if len(sc.policies) > 0 {
		pd := sc.policies[0]
		return nil, &Error{File: "declarations", Line: pd.line, Col: pd.col, Msg: "declarations may not define policies: give the policy's JSON as the custom policy"}
	}
	iso := sc.decls.isolation
	if opts.Isolation != "" {
		var ok bool
		if iso, ok = parseIsolation(opts.Isolation); !ok {
			return nil, fmt.Errorf("unknown isolation %q: use atomic or check-then-act", opts.Isolation)
		}
	}
	s := &Server{policy: p, decls: &sc.decls, iso: iso, w: newWorld(), maxRes: opts.MaxResources, maxMem: opts.MaxWorldBytes}
	if s.maxRes <= 0 {
		s.maxRes = DefaultMaxResources
	}
	if s.maxMem <= 0 {
		s.maxMem = DefaultMaxWorldBytes
	}
	return s, nil
}

// declarationsEnd is what parseDeclarations appends: the parser wants a
// request, and one after everything else cannot change how the text
// before it reads.
const declarationsEnd = "\n\nGET /\n"

// parseDeclarations reads text meant to hold declarations only, returning
// the requests it holds nevertheless so that the caller can refuse them.
func parseDeclarations(text string) (*scenario, error) {
	sc, err := parse("declarations", text+declarationsEnd)
	if err != nil {
		return nil, err
	}
	sc.steps = sc.steps[:len(sc.steps)-1]
	return sc, nil
}

// Policy describes the server's policy.
func (s *Server) Policy() PolicyInfo { return s.policy.info() }

// Isolation is "atomic" or "check-then-act".
func (s *Server) Isolation() string { return s.iso.String() }

// ErrWorldFull is what Handle's refusal of a write past the bounds of
// ServerOptions stands for.
var ErrWorldFull = errors.New("the server's world is full")

// Handle answers one request and keeps what it changed. Header names may
// be in any case; repeated fields must be joined with ", " beforehand. The
// response has the status, header fields, body and situation the policy's
// column gives the same request after the same history, with its trace
// and lint.
func (s *Server) Handle(r Request) Response {
	req := &request{method: r.Method, path: r.Path, body: r.Body, headers: make(map[string]string, len(r.Headers))}
	for name, v := range r.Headers {
		name = canonicalHeader(name)
		if prev, ok := req.headers[name]; ok {
			v = prev + ", " + v
		}
		req.headers[name] = v
	}
	req.target = cleanPath(req.path)
	req.badField = firstCtlField(req)
	req.index()

	// Check-then-act: the read and the write are two steps, and the
	// lock is let go between them so that a concurrent request may come
	// in between, as one can in the simulator's races.
	split := s.iso == checkThenAct && unsafe(req.method)
	var resp Response
	var d *detection
	var srv *server
	s.locked(func() {
		if unsafe(req.method) && s.full() {
			resp = worldFull(s.maxRes, s.maxMem)
			return
		}
		// The caches hold per-request memos; a fresh one per request
		// keeps a long-lived server's memory bounded by its world.
		srv = &server{policy: s.policy, decls: s.decls, w: s.w, cache: newRunCache()}
		if split {
			d = srv.detect(req, false)
			return
		}
		resp = srv.handle(req, viewFull).resp
	})
	if d != nil {
		s.locked(func() {
			// The write lands in the world there is now, which a Reset
			// between the two steps may have replaced.
			srv.w = s.w
			resp = srv.respond(req, d, viewFull).resp
		})
	}
	return resp
}

// locked runs f holding the server's lock, which a panic in f lets go
// too, so that a host that recovers from it can go on serving.
func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// full reports whether the world is at its bounds.
func (s *Server) full() bool {
	return len(s.w.res)+len(s.w.keys) >= s.maxRes || s.w.size() >= s.maxMem
}

func worldFull(maxRes, maxMem int) Response {
	detail := fmt.Sprintf("this mock holds at most %d resources and Idempotency-Keys (%d KiB); reset it to write more", maxRes, maxMem>>10)
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": "Insufficient Storage", "status": 507, "detail": detail})
	return Response{
		Status:    507,
		Reason:    detail,
		Headers:   map[string]string{"Content-Type": "application/problem+json"},
		Body:      string(body) + "\n",
		Situation: "world-full",
		Trace:     []TraceEntry{{Step: "limit", Detail: ErrWorldFull.Error() + ": " + detail}},
		Lint:      []Finding{},
	}
}

// State is the server's world: each live resource by path, the
// tombstones of deleted ones, and the Idempotency-Keys it remembers.
type State struct {
	Resources map[string]json.RawMessage `json:"resources"`
	Deleted   []string                   `json:"deleted"`
	Keys      []string                   `json:"idempotency_keys"`
}

// State returns a copy of the world.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Resources: s.w.snapshot(), Deleted: []string{}, Keys: sortedKeys(s.w.keys)}
	for _, p := range sortedKeys(s.w.res) {
		if s.w.res[p].deleted {
			st.Deleted = append(st.Deleted, p)
		}
	}
	return st
}

// Reset empties the world, as if the server had just been made.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = newWorld()
}
