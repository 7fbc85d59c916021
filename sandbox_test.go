package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/api"
)

func sandboxDo(t *testing.T, h http.Handler, method, path, session, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set(sandboxHeader, session)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestSandboxWorlds(t *testing.T) {
	t.Parallel()
	s := newSandboxes()
	tests := []struct {
		method, path, session, body string
		status                      int
		contains                    string
	}{
		{"PUT", "/mock/strict/notes/1", "ann", `{"t":"a"}`, 201, ""},
		{"GET", "/mock/strict/notes/1", "ann", "", 200, `"t":"a"`},
		{"GET", "/mock/strict/notes/1", "bob", "", 404, ""},
		{"GET", "/mock/strict/notes/1", "", "", 404, ""},
		{"GET", "/mock/idempotent/notes/1", "ann", "", 404, ""},
		{"DELETE", "/mock/strict/notes/1", "ann", "", 204, ""},
		{"DELETE", "/mock/strict/notes/1", "ann", "", 404, ""},
		{"DELETE", "/mock/idempotent/notes/1", "ann", "", 204, ""},
		{"PUT", "/mock/strict/a%2Fb", "ann", `{}`, 201, ""},
		{"GET", "/mock/strict/_httpplay/state", "ann", "", 200, `"/a%2Fb"`},
		{"POST", "/mock/strict/_httpplay/reset", "ann", "", 204, ""},
		{"GET", "/mock/strict/_httpplay/state", "ann", "", 200, `"resources": {}`},
		{"GET", "/mock/nope/x", "", "", 404, "for a policy among strict"},
		{"GET", "/mock/", "", "", 404, "for a policy among"},
		{"GET", "/mock/strict/x", "not a token!", "", 400, sandboxHeader},
		{"GET", "/mock/strict/x", strings.Repeat("a", maxSandboxSessionID+1), "", 400, sandboxHeader},
		{"GET", "/mock/strict/x", "ann,x", "", 400, sandboxHeader},
		{"PUT", "/mock/strict/_httpplay/nope", "ann", `{}`, 404, "the mock's own endpoints"},
		{"GET", "/mock/strict/_httpplay/state", "ann", "", 200, `"resources": {}`},
	}
	for _, tt := range tests {
		code, body := sandboxDo(t, s, tt.method, tt.path, tt.session, tt.body)
		if code != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("%s %s (%q): %d %s, want %d containing %q", tt.method, tt.path, tt.session, code, body, tt.status, tt.contains)
		}
	}
	// Two session headers name no session, whichever one a host would keep.
	req := httptest.NewRequest("GET", "/mock/strict/notes/1", nil)
	req.Header.Add(sandboxHeader, "ann")
	req.Header.Add(sandboxHeader, "bob")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Errorf("two %s headers: %d %s, want 400", sandboxHeader, rec.Code, rec.Body)
	}
}

// TestSandboxBounds: worlds expire when idle, and past maxSandboxes the
// least recently used is forgotten first.
func TestSandboxBounds(t *testing.T) {
	t.Parallel()
	s := newSandboxes()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	sandboxDo(t, s, "PUT", "/mock/strict/k/1", "keep", `{}`)
	for i := range maxSandboxes - 1 {
		now = now.Add(time.Second)
		sandboxDo(t, s, "PUT", "/mock/strict/k/1", "s"+string(rune('a'+i%26))+strings.Repeat("x", i/26), `{}`)
	}
	if n := s.count(); n != maxSandboxes {
		t.Fatalf("%d worlds, want %d", n, maxSandboxes)
	}
	now = now.Add(time.Second)
	if code, _ := sandboxDo(t, s, "GET", "/mock/strict/k/1", "keep", ""); code != 200 {
		t.Fatalf("the first world is gone before any bound: %d", code)
	}
	now = now.Add(time.Second)
	sandboxDo(t, s, "GET", "/mock/strict/k/1", "newcomer", "")
	if n := s.count(); n != maxSandboxes {
		t.Fatalf("%d worlds past the bound, want %d", n, maxSandboxes)
	}
	if code, _ := sandboxDo(t, s, "GET", "/mock/strict/k/1", "keep", ""); code != 200 {
		t.Errorf("the recently used world was forgotten: %d", code)
	}
	if code, _ := sandboxDo(t, s, "GET", "/mock/strict/k/1", "sa", ""); code != 404 {
		t.Errorf("the least recently used world is still there: %d", code)
	}
	now = now.Add(sandboxIdle + time.Minute)
	sandboxDo(t, s, "GET", "/mock/strict/k/1", "late", "")
	if n := s.count(); n != 1 {
		t.Errorf("%d worlds after every other was idle too long, want 1", n)
	}
	for i := range sandboxResources + 1 {
		code, _ := sandboxDo(t, s, "PUT", "/mock/strict/many/"+strings.Repeat("x", i+1), "late", `{}`)
		if i < sandboxResources && code != 201 || i == sandboxResources && code != 507 {
			t.Fatalf("PUT %d: %d", i, code)
		}
	}
}

// TestServeMock: serve mounts the mock, and check can check it, its base
// a path under the server.
func TestServeMock(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(withSandboxes(api.New(api.Options{Static: http.NotFoundHandler()})))
	defer ts.Close()
	resp, err := ts.Client().Post(ts.URL+"/mock/zalando/users", "application/json", strings.NewReader(`{"name":"ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/users/1" {
		t.Fatalf("POST /mock/zalando/users: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, out, errOut := runCheck(t, "--base", ts.URL+"/mock/zalando", "--reset", "/_httpplay/reset", "--expect", "zalando", "preset:follow-twice")
	if code != 0 {
		t.Fatalf("check of serve's mock: exit %d\n%s%s", code, errOut, out)
	}
}

// TestServeMainMountsMock: the mock is under /mock/ in the server that
// `httpplay serve` starts, and the playground's files are still served.
func TestServeMainMountsMock(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t)
	defer stop()
	resp, body := get(t, base+"/mock/strict/things/1")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":404`) {
		t.Errorf("GET /mock/strict/things/1: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := get(t, base+"/"); resp.StatusCode != 200 {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
}

// TestHeldSandboxes: where a host holds each sandbox (the Worker's Durable
// Objects), the holder is part of the world's key, a world is made only by
// its holder's open and starts empty, a world the host does not keep is
// answered "lost" rather than made anew behind the holder's back, and a
// request that names no holder is refused rather than given a world
// outside every holder.
func TestHeldSandboxes(t *testing.T) {
	t.Parallel()
	s := newHeldSandboxes()
	h := mountSandboxes(s, http.NotFoundHandler())
	do := func(method, path, holder, body string) (int, string, string) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set(sandboxHeader, "ann")
		if holder != "" {
			req.Header.Set(sandboxHolderHeader, holder)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header().Get(sandboxOwnHeader)
	}
	if err := s.open("strict", "ann", "h1"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, holder, body string
		status                     int
		contains, own              string
	}{
		{"PUT", "/mock/strict/notes/1", "h1", `{"t":"a"}`, 201, "", ""},
		{"GET", "/mock/strict/notes/1", "h1", "", 200, `"t":"a"`, ""},
		{"GET", "/mock/strict/notes/1", "h2", "", 503, "no longer kept", "lost"},
		{"PUT", "/mock/strict/notes/1", "h2", `{"t":"b"}`, 503, "no longer kept", "lost"},
		{"GET", "/mock/strict/notes/1", "", "", 500, "came through none", ""},
		{"GET", "/mock/strict/notes/1", "not a token!", "", 500, "came through none", ""},
		{"GET", "/mock/nope/notes/1", "", "", 404, "for a policy among", ""},
		{"GET", "/mock/strict/_httpplay/state", "h1", "", 200, `"/notes/1"`, ""},
		{"PUT", "/mock/strict/_httpplay/nope", "h1", `{"t":"c"}`, 404, "the mock's own endpoints", ""},
		{"GET", "/mock/strict/_httpplay/state", "h1", "", 200, `"/notes/1"`, ""},
	}
	for _, tt := range tests {
		code, body, own := do(tt.method, tt.path, tt.holder, tt.body)
		if code != tt.status || !strings.Contains(body, tt.contains) || own != tt.own {
			t.Errorf("%s %s (holder %q): %d %s (own %q), want %d containing %q (own %q)", tt.method, tt.path, tt.holder, code, body, own, tt.status, tt.contains, tt.own)
		}
	}
	if _, body, _ := do("GET", "/mock/strict/_httpplay/state", "h1", ""); strings.Contains(body, "_httpplay") {
		t.Errorf("a PUT to the mock's own path made a resource: %s", body)
	}
	if err := s.open("strict", "ann", "h1"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do("GET", "/mock/strict/notes/1", "h1", ""); code != 404 {
		t.Errorf("open kept the world it replaces: GET answered %d", code)
	}
	if code, _, _ := do("GET", "/api/health", "", ""); code != 404 {
		t.Errorf("GET /api/health did not reach the next handler: %d", code)
	}
	for _, tt := range []struct {
		policy, session, holder string
		want                    bool
	}{
		{"strict", "ann", "h1", true},
		{"strict", "ann", "h2", false}, // its requests made nothing
		{"strict", "ann", "h3", false},
		{"strict", "bob", "h1", false},
		{"zalando", "ann", "h1", false},
		{"strict", "ann", "", false},
	} {
		if got := s.holds(tt.policy, tt.session, tt.holder); got != tt.want {
			t.Errorf("holds(%q, %q, %q) = %v, want %v", tt.policy, tt.session, tt.holder, got, tt.want)
		}
	}
}

// TestSandboxRoute: the Worker names a request's Durable Object from this,
// so what it accepts is exactly what the mock serves.
func TestSandboxRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, session, policy, rest string
		status                      int
	}{
		{"/mock/strict/notes/1", "ann", "strict", "notes/1", 0},
		{"/mock/strict/", "", "strict", "", 0},
		{"/mock/strict", "", "strict", "", 0},
		{"/mock/zalando/a%2Fb", "s-1_x", "zalando", "a%2Fb", 0},
		{"/mock/", "", "", "", 404},
		{"/mock/nope/x", "", "", "", 404},
		{"/mock/Strict/x", "", "", "", 404},
		{"/mock/str%69ct/x", "", "", "", 404},
		{"/mock/strict/x", "a/b", "", "", 400},
		{"/mock/strict/x", strings.Repeat("a", maxSandboxSessionID+1), "", "", 400},
	}
	for _, tt := range tests {
		policy, rest, status, detail := sandboxRoute(tt.path, tt.session)
		if policy != tt.policy || rest != tt.rest || status != tt.status || (status != 0) != (detail != "") {
			t.Errorf("sandboxRoute(%q, %q) = %q, %q, %d, %q; want %q, %q, %d", tt.path, tt.session, policy, rest, status, detail, tt.policy, tt.rest, tt.status)
		}
	}
}
