package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMockHandler(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	m, err := newMock("strict", &log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(m)
	defer ts.Close()
	c := ts.Client()
	tests := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"POST", "/users", `{"name":"ann"}`, 201, ""},
		{"GET", "/users/1", "", 200, `"name":"ann"`},
		{"GET", "/_httpplay/state", "", 200, `"/users/1": {`},
		{"DELETE", "/_httpplay/state", "", 405, "GET"},
		{"GET", "/_httpplay/reset", "", 405, "POST"},
		{"GET", "/_httpplay/other", "", 404, "/_httpplay/state"},
		{"POST", "/_httpplay/reset", "", 204, ""},
		{"GET", "/users/1", "", 404, ""},
		{"GET", "/_httpplay/state", "", 200, `"resources": {}`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s %s: %d %s, want %d containing %q", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.contains)
		}
	}
	for _, want := range []string{"POST /users -> 201 created", "GET /users/1 -> 200 read", "reset: the world is empty", "GET /users/1 -> 404 missing"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "_httpplay") {
		t.Errorf("the log shows control requests as the policy's:\n%s", log.String())
	}
}

// TestMockBusy fills every slot and requires the next request to be
// turned away at once rather than queued without bound.
func TestMockBusy(t *testing.T) {
	t.Parallel()
	m, err := newMock("strict", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for range maxMockRequests {
		m.slots <- struct{}{}
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/users", nil))
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("a full mock answered %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestMockUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.http")
	if err := os.WriteFile(bad, []byte("@unique /users email\n@min /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "p.json")
	if err := os.WriteFile(badPolicy, []byte("{\n  \"id\": \"x\",\n  \"base\": 3\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "give --policy ID"},
		{[]string{"--policy", "nope"}, `unknown policy "nope"`},
		{[]string{"--policy", "strict", "--addr", "9901"}, "is not HOST:PORT"},
		{[]string{"--policy", "strict", "extra"}, `unexpected argument "extra"`},
		{[]string{"--policy", "strict", "--declare", filepath.Join(dir, "missing")}, "--declare:"},
		{[]string{"--policy", "strict", "--declare", bad}, bad + ":2:"},
		{[]string{"--policy-file", badPolicy}, badPolicy + ":3:"},
		{[]string{"--policy", "strict", "--isolation", "serial"}, `unknown isolation "serial"`},
	}
	for _, tt := range tests {
		var stdout, stderr syncBuffer
		code := mockMain(context.Background(), tt.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("mock %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

// TestMockServes starts the command on a free port, sends it a request
// and stops it.
func TestMockServes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- mockMain(ctx, []string{"--policy", "idempotent", "--addr", "127.0.0.1:0", "--isolation", "check-then-act"}, &stdout, &stderr)
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, after, ok := strings.Cut(stdout.String(), " on "); ok && strings.HasSuffix(after, "\n") {
			base = strings.TrimSuffix(strings.TrimSpace(after), "/")
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("the mock did not start: %s %s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "idempotent (check-then-act)") {
		t.Errorf("the banner does not name the policy and isolation: %q", stdout.String())
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/_httpplay/state")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Policy, Isolation string
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.Policy != "idempotent" || st.Isolation != "check-then-act" {
		t.Errorf("state: %+v, %v", st, err)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(2 * shutdownGrace):
		t.Fatal("the mock did not stop")
	}
}
