package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/httpplay/httpplay/simulator"
)

// ok answers 200 with the method it was called for.
func ok(w http.ResponseWriter, r *http.Request) error {
	send(w, http.StatusOK, "text/plain", []byte("ran "+r.Method))
	return nil
}

// TestMiddleware checks each middleware on its own, around a handler that
// stands for the API's routes.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	preflight := map[string]string{"Origin": "https://docs.example", "Access-Control-Request-Method": "POST"}
	route := methods{http.MethodGet: ok, http.MethodPost: ok}
	tests := map[string]struct {
		h       http.Handler
		method  string
		header  map[string]string
		body    string
		status  int
		headers map[string]string // "" means the field must be absent
		inBody  string
	}{
		"nosniff": {
			h: nosniff(handler(ok)), method: "GET", status: 200,
			headers: map[string]string{"X-Content-Type-Options": "nosniff"},
		},
		"cors on an answer": {
			h: cors(handler(ok)), method: "GET", header: map[string]string{"Origin": "https://docs.example"}, status: 200,
			headers: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag", "Access-Control-Allow-Methods": ""},
		},
		"cors on a preflight": {
			h: cors(route), method: "OPTIONS", header: preflight, status: 204,
			headers: map[string]string{"Allow": "GET, HEAD, POST, OPTIONS", "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
				"Access-Control-Allow-Headers": "Content-Type, If-None-Match", "Access-Control-Max-Age": "86400"},
		},
		"cors on a plain OPTIONS": {
			h: cors(route), method: "OPTIONS", status: 204,
			headers: map[string]string{"Allow": "GET, HEAD, POST, OPTIONS", "Access-Control-Allow-Methods": ""},
		},
		"cors on a preflight of a missing path": {
			h: cors(handler(notFound)), method: "OPTIONS", header: preflight, status: 404,
			headers: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "", "Access-Control-Max-Age": ""},
		},
		"recovery": {
			h: recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })), method: "GET", status: 500,
			headers: map[string]string{"Content-Type": "application/problem+json"}, inBody: "please report it",
		},
		"methods: HEAD runs GET": {
			h: route, method: "HEAD", status: 200, inBody: "ran HEAD",
		},
		"methods: 405": {
			h: route, method: "DELETE", status: 405,
			headers: map[string]string{"Allow": "GET, HEAD, POST, OPTIONS", "Content-Type": "application/problem+json"}, inBody: "does not answer DELETE",
		},
		"methods: POST only": {
			h: methods{http.MethodPost: ok}, method: "GET", status: 405,
			headers: map[string]string{"Allow": "POST, OPTIONS"},
		},
		"limitBody: within": {
			h: handler(limitBody(4, readAll)), method: "POST", body: "abcd", status: 200, inBody: "abcd",
		},
		"limitBody: over": {
			h: handler(limitBody(4, readAll)), method: "POST", body: "abcde", status: 413,
			headers: map[string]string{"Content-Type": "application/problem+json"}, inBody: `"limit": 4`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "/p", strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			for k, want := range tt.headers {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if !strings.Contains(rec.Body.String(), tt.inBody) {
				t.Errorf("body %q does not contain %q", rec.Body, tt.inBody)
			}
		})
	}
}

// readAll answers the body it read.
func readAll(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	send(w, http.StatusOK, "text/plain", body)
	return nil
}

// TestRecoverPanicsLetsAbortThrough checks that http.ErrAbortHandler,
// net/http's way to abort an answer on purpose, is not turned into a 500.
func TestRecoverPanicsLetsAbortThrough(t *testing.T) {
	t.Parallel()
	h := recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("the abort did not reach the caller")
}

// TestWriteError checks the one place that writes errors: each kind of
// error becomes its problem, with its header fields, and a client that is
// gone gets nothing.
func TestWriteError(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err    error
		status int
		typ    string
		header map[string]string
	}{
		"problem":          {httpProblem(418, "short and stout"), 418, "about:blank", nil},
		"wrapped problem":  {fmt.Errorf("while running: %w", typedProblem(problemScenario, "x")), 422, problemURI(problemScenario), nil},
		"with header":      {typedProblem(problemBusy, "busy").with("Retry-After", "1"), 503, problemURI(problemBusy), map[string]string{"Retry-After": "1"}},
		"scenario error":   {&simulator.Error{Line: 2, Col: 3, Msg: "bad"}, 422, problemURI(problemScenario), nil},
		"limit error":      {&simulator.LimitError{Limit: simulator.LimitStates, Max: 7, Msg: "big"}, 422, problemURI(problemRaceTooLarge), nil},
		"options error":    {errors.New(`unknown policy "nope"`), 422, problemURI(problemInvalidRequest), nil},
		"client gone":      {errClientGone, 0, "", nil},
		"wrapped gone":     {fmt.Errorf("run: %w", errClientGone), 0, "", nil},
		"too large a body": {tooLarge(maxRunBody), 413, "about:blank", nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			writeError(rec, tt.err)
			if tt.status == 0 {
				if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
					t.Errorf("answered a client that is gone: %v %s", rec.Header(), rec.Body)
				}
				return
			}
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			p := decodeProblem(t, rec.Body.Bytes())
			if p.Type != tt.typ || p.Status != tt.status || p.Detail == "" {
				t.Errorf("problem %+v, want type %s and status %d with a detail", p, tt.typ, tt.status)
			}
			for k, want := range tt.header {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if strings.Contains(rec.Body.String(), "Header") {
				t.Errorf("the header fields are in the body: %s", rec.Body)
			}
		})
	}
}

// TestLimitBodyDrains checks that a body over the limit is discarded and
// closed by the read that goes past it, before anything is answered.
func TestLimitBodyDrains(t *testing.T) {
	t.Parallel()
	upload := &closeRecorder{Reader: strings.NewReader(strings.Repeat("x", 100))}
	req := httptest.NewRequest("POST", "/p", upload)
	req.ContentLength = -1
	var unread int64 = -1
	h := limitBody(10, func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.ReadAll(r.Body)
		unread, _ = io.Copy(io.Discard, upload.Reader)
		return err
	})
	rec := httptest.NewRecorder()
	handler(h).ServeHTTP(rec, req)
	if rec.Code != 413 || !upload.closed || unread != 0 {
		t.Errorf("status %d, closed %v, %d bytes left; want 413, closed and nothing left", rec.Code, upload.closed, unread)
	}
}
