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
	// sandboxHolderHeader names the holder of a world where a host has
	// one per sandbox (newHeldSandboxes); the policy never sees it.
	sandboxHolderHeader = "Httpplay-Sandbox-Holder"
	// sandboxOwnHeader marks, where worlds are held, the answers that are
	// the mock's and not the policy's: "busy" (every slot taken) and
	// "lost" (the holder's world is not kept), so that the holder neither
	// journals them nor takes them for the world's answer. The holder
	// removes it before a client sees the answer.
	sandboxOwnHeader = "Httpplay-Sandbox-Own"
)

// withSandboxes mounts serve's mock beside next. The hosts add the mock
// around the API's handler (api.New), serve with this and the Worker with
// newHeldSandboxes, since they keep the worlds in different places.
func withSandboxes(next http.Handler) http.Handler {
	return mountSandboxes(newSandboxes(), next)
}

// newHeldSandboxes makes the mock's worlds for a host that keeps each
// sandbox in a holder of its own, named by the holder header of every
// request: the Worker, whose Durable Object for a policy and session (one
// at a time in the whole deployment) sets it. A holder made afresh, as a
// Durable Object is after an eviction, starts from an empty world, even
// in an isolate that still keeps the world of the one before it (the
// object then replays its journal into it, worker/worker.mjs); the bounds
// below forget the old one.
func newHeldSandboxes() *sandboxes {
	s := newSandboxes()
	s.held = true
	return s
}

// mountSandboxes routes sandboxPrefix to s and the rest to next.
func mountSandboxes(s *sandboxes, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sandboxPrefix, s)
	mux.Handle("/", next)
	return mux
}

// sandboxes holds the worlds of serve's mock.
type sandboxes struct {
	mu    sync.Mutex
	byKey map[string]*sandbox
	slots chan struct{}
	now   func() time.Time
	// held makes the holder header part of a world's key, and required.
	held bool
}

type sandbox struct {
	srv  *policyserver.Server
	used time.Time
}

func newSandboxes() *sandboxes {
	return &sandboxes{byKey: map[string]*sandbox{}, slots: make(chan struct{}, maxSandboxRequests), now: time.Now}
}

// get returns the world of a policy under key, making it if need be
// (except where worlds are held: a holder makes its world with open, so
// that a world its holder lost is never silently made anew, empty), after
// forgetting the worlds that have been idle too long. It returns nil for
// a held world that is not kept.
func (s *sandboxes) get(policy, key string) (*policyserver.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sb := s.byKey[key]; sb != nil {
		sb.used = s.now()
		return sb.srv, nil
	}
	if s.held {
		return nil, nil
	}
	return s.make(policy, key)
}

// open makes an empty world for a policy and session under holder, in
// place of any it had: the holder's first step before it replays its
// journal into the world.
func (s *sandboxes) open(policy, session, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.make(policy, sandboxKey(policy, session, holder))
	return err
}

// make puts an empty world of a policy under key, after forgetting the
// worlds that have been idle too long and, at maxSandboxes, the least
// recently used. The caller holds s.mu.
func (s *sandboxes) make(policy, key string) (*policyserver.Server, error) {
	now := s.now()
	delete(s.byKey, key)
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

// holds reports whether the world of a policy and session under holder
// is kept, and marks it used, so that the bounds forget others first. The
// Worker's Durable Object asks it before each request, to know whether it
// must first open a world and replay its journal into it; a world lost
// after that answer is answered "lost" (sandboxOwnHeader), never made
// anew.
func (s *sandboxes) holds(policy, session, holder string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sb := s.byKey[sandboxKey(policy, session, holder)]
	if sb != nil {
		sb.used = s.now()
	}
	return sb != nil
}

// sandboxKey is the key of a world: its policy and session, and its
// holder where a host has them.
func sandboxKey(policy, session, holder string) string {
	key := policy + "\x00" + session
	if holder != "" {
		key += "\x00" + holder
	}
	return key
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

// sandboxRoute splits the escaped path of a request under sandboxPrefix
// into its policy and the rest, and checks the policy and the session. A
// request it refuses has status and detail set: the mock's answer to it.
// The Worker asks it, before any Durable Object, where a request goes.
func sandboxRoute(escapedPath, session string) (policy, rest string, status int, detail string) {
	policy, rest, _ = strings.Cut(strings.TrimPrefix(escapedPath, sandboxPrefix), "/")
	if _, ok := simulator.PolicyByID(policy); !ok {
		ids := make([]string, 0, 16)
		for _, p := range simulator.Policies() {
			ids = append(ids, p.ID)
		}
		return "", "", http.StatusNotFound, fmt.Sprintf("the mock answers under %s{policy}/, for a policy among %s", sandboxPrefix, strings.Join(ids, ", "))
	}
	if !validSession(session) {
		return "", "", http.StatusBadRequest, fmt.Sprintf("%s must be at most %d letters, digits, - and _", sandboxHeader, maxSandboxSessionID)
	}
	return policy, rest, 0, ""
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
		if s.held {
			w.Header().Set(sandboxOwnHeader, "busy")
		}
		mockProblem(w, http.StatusServiceUnavailable, fmt.Sprintf("the mock answers at most %d requests at once", maxSandboxRequests))
		return
	}
	// Every value counts: a second header, or a list in one, is not a
	// session, whichever of them a host would keep.
	session := strings.Join(r.Header.Values(sandboxHeader), ",")
	policy, rest, status, detail := sandboxRoute(r.URL.EscapedPath(), session)
	if status != 0 {
		mockProblem(w, status, detail)
		return
	}
	holder := ""
	if s.held {
		holder = r.Header.Get(sandboxHolderHeader)
		if holder == "" || !validSession(holder) {
			mockProblem(w, http.StatusInternalServerError, "the mock's worlds are kept by their holders, and this request came through none")
			return
		}
	}
	srv, err := s.get(policy, sandboxKey(policy, session, holder))
	if err != nil {
		mockProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	if srv == nil {
		w.Header().Set(sandboxOwnHeader, "lost")
		mockProblem(w, http.StatusServiceUnavailable, "this sandbox's world is no longer kept here; its holder makes it again")
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
	inner.Header.Del(sandboxHolderHeader)
	// The mock's own paths are its own, as under `httpplay mock`: one it
	// does not have is a 404, not a resource of the policy's.
	if strings.HasPrefix(path, mockControl) {
		(&mock{srv: srv, slots: make(chan struct{}, 1), log: io.Discard}).ServeHTTP(w, inner)
		return
	}
	srv.ServeHTTP(w, inner)
}
