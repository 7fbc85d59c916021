package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/httpplay/httpplay/policyserver"
	"github.com/httpplay/httpplay/simulator"
)

// The mock of `httpplay serve` answers under /mock/{policy}/..., so that a
// reader of the documentation can curl a policy: each policy and session
// (the Httpplay-Session header, or the shared world without one) has a
// world of its own, made on first use, forgotten after sandboxIdle without
// a request, and the least recently used is forgotten first when there
// are maxSandboxes already. Each world is bounded as policyserver bounds
// it, more tightly than `httpplay mock`'s, since many share the process.
const (
	sandboxPrefix       = "/mock/"
	sandboxHeader       = "Httpplay-Session"
	maxSandboxes        = 128
	sandboxIdle         = 30 * time.Minute
	sandboxResources    = 200
	sandboxWorldBytes   = 256 << 10
	maxSandboxSessionID = 64
	// maxSandboxRequests bounds the requests all sandboxes answer at once.
	maxSandboxRequests = 64
)

// withSandboxes mounts serve's mock beside next. It is added by serve
// alone, not by newHandler, so that the Worker, which does not serve the
// mock, does not carry its code.
func withSandboxes(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sandboxPrefix, newSandboxes())
	mux.Handle("/", next)
	return mux
}

// sandboxes holds the worlds of serve's mock.
type sandboxes struct {
	mu    sync.Mutex
	byKey map[string]*sandbox
	slots chan struct{}
	now   func() time.Time
}

type sandbox struct {
	srv  *policyserver.Server
	used time.Time
}

func newSandboxes() *sandboxes {
	return &sandboxes{byKey: map[string]*sandbox{}, slots: make(chan struct{}, maxSandboxRequests), now: time.Now}
}

// get returns the world of a policy and session, making it if need be,
// after forgetting the worlds that have been idle too long.
func (s *sandboxes) get(policy, session string) (*policyserver.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	key := policy + "\x00" + session
	if sb := s.byKey[key]; sb != nil {
		sb.used = now
		return sb.srv, nil
	}
	var oldest string
	for k, sb := range s.byKey {
		if now.Sub(sb.used) > sandboxIdle {
			delete(s.byKey, k)
		} else if oldest == "" || sb.used.Before(s.byKey[oldest].used) {
			oldest = k
		}
	}
	if len(s.byKey) >= maxSandboxes {
		delete(s.byKey, oldest)
	}
	srv, err := policyserver.New(policy, policyserver.MaxResources(sandboxResources), policyserver.MaxWorldBytes(sandboxWorldBytes))
	if err != nil {
		return nil, err
	}
	s.byKey[key] = &sandbox{srv: srv, used: now}
	return srv, nil
}

// count is the number of worlds held.
func (s *sandboxes) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}

// validSession accepts the session ids a client can choose: short tokens
// of letters, digits, "-" and "_".
func validSession(id string) bool {
	if len(id) > maxSandboxSessionID {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ServeHTTP routes /mock/{policy}/rest to the policy's world for the
// session, as the request /rest; /mock/{policy}/_httpplay/state and
// /_httpplay/reset show and empty that world.
func (s *sandboxes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		w.Header().Set("Retry-After", "1")
		mockProblem(w, http.StatusServiceUnavailable, fmt.Sprintf("the mock answers at most %d requests at once", maxSandboxRequests))
		return
	}
	escaped := strings.TrimPrefix(r.URL.EscapedPath(), sandboxPrefix)
	policy, rest, _ := strings.Cut(escaped, "/")
	if _, ok := simulator.PolicyByID(policy); !ok {
		ids := make([]string, 0, 16)
		for _, p := range simulator.Policies() {
			ids = append(ids, p.ID)
		}
		mockProblem(w, http.StatusNotFound, fmt.Sprintf("the mock answers under %s{policy}/, for a policy among %s", sandboxPrefix, strings.Join(ids, ", ")))
		return
	}
	session := r.Header.Get(sandboxHeader)
	if !validSession(session) {
		mockProblem(w, http.StatusBadRequest, fmt.Sprintf("%s must be at most %d letters, digits, - and _", sandboxHeader, maxSandboxSessionID))
		return
	}
	srv, err := s.get(policy, session)
	if err != nil {
		mockProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	rest = "/" + rest
	path, err := url.PathUnescape(rest)
	if err != nil {
		mockProblem(w, http.StatusBadRequest, "the path is not valid: "+err.Error())
		return
	}
	inner := new(http.Request)
	*inner = *r
	u := *r.URL
	u.Path, u.RawPath = path, rest
	inner.URL = &u
	inner.Header = r.Header.Clone()
	inner.Header.Del(sandboxHeader)
	switch path {
	case mockControl + "state", mockControl + "reset":
		(&mock{srv: srv, slots: make(chan struct{}, 1), log: io.Discard}).ServeHTTP(w, inner)
		return
	}
	srv.ServeHTTP(w, inner)
}
