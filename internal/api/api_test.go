package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/httpplay/httpplay/internal/hostile"
	"github.com/httpplay/httpplay/simulator"
)

// apiCase is one request to the API and what must come back.
type apiCase struct {
	method  string
	path    string
	header  map[string]string
	body    string
	status  int
	ctype   string            // exact Content-Type; "" when the answer has no body
	headers map[string]string // headers that must have exactly these values
	check   func(t *testing.T, body []byte)
}

func serveAPI(t *testing.T, c apiCase) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	New(Options{}).ServeHTTP(rec, req)
	return rec
}

func (c apiCase) run(t *testing.T) {
	t.Helper()
	rec := serveAPI(t, c)
	if rec.Code != c.status {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", c.method, c.path, rec.Code, c.status, rec.Body)
	}
	if got := rec.Header().Get("Content-Type"); got != c.ctype {
		t.Errorf("Content-Type %q, want %q", got, c.ctype)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	for k, want := range c.headers {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if c.ctype != "" && rec.Header().Get("Content-Length") != fmt.Sprint(rec.Body.Len()) && c.method != http.MethodHead {
		t.Errorf("Content-Length %q for a body of %d bytes", rec.Header().Get("Content-Length"), rec.Body.Len())
	}
	if c.check != nil {
		c.check(t, rec.Body.Bytes())
	}
}

// wantProblem checks a problem+json body: its type, that status matches
// the answer, and that detail mentions every fragment.
func wantProblem(typ string, status int, fragments ...string) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		p := decodeProblem(t, body)
		if p.Type != typ {
			t.Errorf("type %q, want %q", p.Type, typ)
		}
		if p.Status != status {
			t.Errorf("status member %d, want %d", p.Status, status)
		}
		if p.Title == "" || p.Detail == "" {
			t.Errorf("title %q and detail %q must both be set", p.Title, p.Detail)
		}
		if p.Type == "about:blank" && p.Title != simulator.ReasonPhrase(status) {
			t.Errorf("about:blank problem titled %q, want the status phrase %q", p.Title, simulator.ReasonPhrase(status))
		}
		for _, f := range fragments {
			if !strings.Contains(p.Detail, f) {
				t.Errorf("detail %q does not mention %q", p.Detail, f)
			}
		}
	}
}

func decodeProblem(t *testing.T, body []byte) Problem {
	t.Helper()
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("not a problem object: %v\n%s", err, body)
	}
	return p
}

// wantResult checks that a body is exactly the simulator's result bytes.
func wantResult(src string, opts simulator.Options) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		res, err := simulator.Run(src, opts)
		if err != nil {
			t.Fatalf("simulator.Run: %v", err)
		}
		if want := res.JSON(); !bytes.Equal(body, want) {
			t.Errorf("body differs from (*simulator.Result).JSON():\n got: %.300s\nwant: %.300s", body, want)
		}
	}
}

func wantJSON(v any, want any) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("body is not the expected JSON: %v\n%s", err, body)
		}
		wantBody := mustJSON(want)
		if !bytes.Equal(body, wantBody) {
			t.Errorf("body:\n%s\nwant:\n%s", body, wantBody)
		}
	}
}

const (
	jsonCT    = "application/json"
	problemCT = "application/problem+json"
	twoSteps  = "# Two posts\nPOST /users\n{\"email\": \"a@example.com\"}\n\nPOST /users\n{\"email\": \"a@example.com\"}\n"
	custom    = `{"id": "mine", "base": "strict", "rules": {"already-present": {"status": 200}}}`
)

func defaultPreset(t *testing.T) simulator.Preset {
	t.Helper()
	p, ok := simulator.PresetByName(simulator.DefaultPreset)
	if !ok {
		t.Fatalf("no preset %q", simulator.DefaultPreset)
	}
	return p
}

func TestAPIRoutes(t *testing.T) {
	t.Parallel()
	preset := defaultPreset(t)
	runJSON := func(v any) string { return string(mustJSON(v)) }
	cases := map[string]apiCase{
		"run text/plain": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			body: preset.Text, status: 200, ctype: jsonCT,
			check: wantResult(preset.Text, simulator.Options{}),
		},
		"run without Content-Type": {
			method: "POST", path: "/api/run", body: twoSteps, status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{}),
		},
		"run text with policies in the query": {
			method: "POST", path: "/api/run?policies=all", header: map[string]string{"Content-Type": "text/plain"},
			body: twoSteps, status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{Policies: []string{"all"}}),
		},
		"run JSON": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "application/json"},
			body: runJSON(map[string]any{"scenario": twoSteps}), status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{}),
		},
		"run JSON with policies and a custom policy": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "application/json"},
			body:   `{"scenario": ` + string(mustJSON(twoSteps)) + `, "policies": ["strict"], "policy": ` + custom + `}`,
			status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{Policies: []string{"strict"}, PolicyJSON: []string{custom}}),
		},
		"run JSON with an array of custom policies": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "application/problem+json"},
			body:   `{"scenario": ` + string(mustJSON(twoSteps)) + `, "policy": [` + custom + `]}`,
			status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{PolicyJSON: []string{custom}}),
		},
		"run with blank policy ids": {
			method: "POST", path: "/api/run?policies=,", header: map[string]string{"Content-Type": "text/plain"},
			body: twoSteps, status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{}),
		},
		"run JSON with blank policy ids": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "application/json"},
			body:   runJSON(map[string]any{"scenario": twoSteps, "policies": []string{"", " "}}),
			status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{}),
		},
		"run JSON policies win over the query": {
			method: "POST", path: "/api/run?policies=all", header: map[string]string{"Content-Type": "application/json"},
			body:   runJSON(map[string]any{"scenario": twoSteps, "policies": []string{"strict"}}),
			status: 200, ctype: jsonCT,
			check: wantResult(twoSteps, simulator.Options{Policies: []string{"strict"}}),
		},
		"policies": {
			method: "GET", path: "/api/policies", status: 200, ctype: jsonCT,
			headers: map[string]string{"Cache-Control": presetMaxAge},
			check:   wantJSON(&[]simulator.PolicyInfo{}, simulator.Policies()),
		},
		"presets": {
			method: "GET", path: "/api/presets", status: 200, ctype: jsonCT,
			check: wantJSON(&[]simulator.Preset{}, simulator.Presets()),
		},
		"one preset": {
			method: "GET", path: "/api/presets/" + preset.Name, status: 200, ctype: jsonCT,
			headers: map[string]string{"Cache-Control": presetMaxAge},
			check:   wantResult(preset.Text, simulator.Options{File: preset.Name}),
		},
		"one preset with policies": {
			method: "GET", path: "/api/presets/" + preset.Name + "?policies=strict,idempotent", status: 200, ctype: jsonCT,
			check: wantResult(preset.Text, simulator.Options{File: preset.Name, Policies: []string{"strict", "idempotent"}}),
		},
		"health": {
			method: "GET", path: "/api/health", status: 200, ctype: jsonCT,
			headers: map[string]string{"Cache-Control": "no-store"},
			check: wantJSON(&health{}, health{Status: "ok", MaxSteps: simulator.MaxSteps, MaxRaceStates: apiMaxStates, MaxTotalStates: apiMaxTotalStates,
				MaxBodyBytes: maxRunBody, MaxValueBytes: apiMaxValueBytes, MaxResultBytes: apiMaxResultBytes, MaxColumns: apiMaxColumns, MaxConstraints: simulator.MaxConstraints, TimeoutMillis: 3000}),
		},
		"problem type": {
			method: "GET", path: "/api/problems/" + problemScenario, status: 200, ctype: jsonCT,
			check: wantJSON(&problemType{}, problemTypes[problemScenario]),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

// TestAPIHead checks HEAD over a real connection, where the server drops
// the body the handler writes and keeps the GET's headers.
func TestAPIHead(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	for _, path := range []string{"/api/presets/follow-twice", "/api/health", "/api/policies"} {
		get, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		getBody, _ := io.ReadAll(get.Body)
		get.Body.Close()
		head, err := http.Head(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		headBody, _ := io.ReadAll(head.Body)
		head.Body.Close()
		if head.StatusCode != 200 || len(headBody) != 0 {
			t.Errorf("HEAD %s: status %d with %d bytes of body", path, head.StatusCode, len(headBody))
		}
		for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Cache-Control"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET has %q", path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
		if head.Header.Get("Content-Length") != fmt.Sprint(len(getBody)) {
			t.Errorf("HEAD %s: Content-Length %q for a GET body of %d bytes", path, head.Header.Get("Content-Length"), len(getBody))
		}
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tooMany := strings.Repeat("GET /users\n\n", simulator.MaxSteps+1)
	justEnough := strings.Repeat("GET /users\n\n", simulator.MaxSteps)
	// Seven POSTs to one collection leave a different list in each of
	// their 5 040 orders; three have 6.
	race := func(n int) string {
		var b strings.Builder
		b.WriteString("# Race\n\nrace {\n")
		for i := range n {
			fmt.Fprintf(&b, "  POST /q\n  {\"n\": %d}\n\n", i)
		}
		return b.String() + "}\n"
	}
	bigRace, smallRace := race(7), race(3)
	text := map[string]string{"Content-Type": "text/plain"}
	js := map[string]string{"Content-Type": "application/json"}
	cases := map[string]apiCase{
		"unknown path": {
			method: "GET", path: "/api/nothing", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404, "/api/nothing"),
		},
		"unknown path outside the API": {
			method: "GET", path: "/index.html", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404),
		},
		"path below a route": {
			method: "GET", path: "/api/presets/follow-twice/extra", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404),
		},
		"unknown preset": {
			method: "GET", path: "/api/presets/nope", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404, `"nope"`),
		},
		"preset with the CLI prefix": {
			method: "GET", path: "/api/presets/preset:follow-twice", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404),
		},
		"preset with an unknown policy": {
			method: "GET", path: "/api/presets/follow-twice?policies=nope", status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "nope"),
		},
		"unknown problem type": {
			method: "GET", path: "/api/problems/nope", status: 404, ctype: problemCT,
			check: wantProblem("about:blank", 404),
		},
		"GET /api/run": {
			method: "GET", path: "/api/run", status: 405, ctype: problemCT,
			headers: map[string]string{"Allow": "POST, OPTIONS"},
			check:   wantProblem("about:blank", 405, "POST"),
		},
		"DELETE /api/presets": {
			method: "DELETE", path: "/api/presets", status: 405, ctype: problemCT,
			headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"},
			check:   wantProblem("about:blank", 405),
		},
		"POST /api/health": {
			method: "POST", path: "/api/health", body: "x", status: 405, ctype: problemCT,
			headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"},
			check:   wantProblem("about:blank", 405),
		},
		"body over 64 KiB": {
			method: "POST", path: "/api/run", header: text, body: strings.Repeat("#", maxRunBody+1),
			status: 413, ctype: problemCT,
			check: wantProblem("about:blank", 413, "65536"),
		},
		"unsupported media type": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "application/xml"},
			body: "<run/>", status: 415, ctype: problemCT,
			check: wantProblem("about:blank", 415, "application/xml"),
		},
		"unparsable media type": {
			method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "text/plain; ;"},
			body: "GET /", status: 415, ctype: problemCT,
			check: wantProblem("about:blank", 415),
		},
		"empty body": {
			method: "POST", path: "/api/run", header: text, status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "empty"),
		},
		"malformed JSON": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": `, status: 400, ctype: problemCT,
			check: wantProblem(problemURI(problemMalformedJSON), 400),
		},
		"JSON syntax error": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario" "GET /"}`, status: 400, ctype: problemCT,
			check: wantProblem(problemURI(problemMalformedJSON), 400, "byte"),
		},
		"two JSON objects": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /"} {}`, status: 400, ctype: problemCT,
			check: wantProblem(problemURI(problemMalformedJSON), 400),
		},
		"JSON array": {
			method: "POST", path: "/api/run", header: js, body: `["GET /"]`, status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "object"),
		},
		"JSON without scenario": {
			method: "POST", path: "/api/run", header: js, body: `{"policies": ["strict"]}`, status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, `"scenario"`),
		},
		"JSON scenario of the wrong type": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": 7}`, status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "scenario", "string"),
		},
		"JSON policies of the wrong type": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policies": "strict"}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "policies"),
		},
		"JSON with an unknown field": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policys": ["strict"]}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "policys"),
		},
		"JSON with a field in the wrong case": {
			method: "POST", path: "/api/run", header: js, body: `{"Scenario": "GET /"}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, `unknown field "Scenario"`, `write "scenario"`),
		},
		"JSON with a field twice": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /a", "scenario": "GET /b"}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, `"scenario" is given twice`),
		},
		"JSON with a wrong type": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": 7}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, `"scenario" must be a string, not number`),
		},
		"JSON that is not an object": {
			method: "POST", path: "/api/run", header: js, body: `["GET /"]`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "must be a JSON object, not an array"),
		},
		"custom policy member named by line and column of the body": {
			method: "POST", path: "/api/run", header: js,
			body:   "{\"scenario\": \"GET /\",\n \"policy\": [{\"id\": \"a\"},\n  {\"id\": \"b\",\n   \"rules\": {\"missing\": {\"colour\": 1}}}]}",
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemInvalidRequest), 422, "line 4, column 26: custom policy 2", `unknown member "colour"`)(t, body)
				if p := decodeProblem(t, body); p.Line != 4 || p.Column != 26 {
					t.Errorf("line %d column %d, want 4 and 26", p.Line, p.Column)
				}
			},
		},
		"custom policy with a member twice": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policy": {"id": "x", "id": "y"}}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "line 1, column 45", `"id" appears twice`),
		},
		"more custom policies than columns": {
			method: "POST", path: "/api/run", header: js,
			body:   `{"scenario": "GET /", "policy": [` + strings.Repeat(`{"id": "p"},`, apiMaxColumns) + `{"id": "p"}]}`,
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemLimitExceeded), 422, "columns")(t, body)
				if p := decodeProblem(t, body); p.LimitName != "columns" || p.Limit != apiMaxColumns {
					t.Errorf("limit %s %d, want columns %d", p.LimitName, p.Limit, apiMaxColumns)
				}
			},
		},
		"a value doubled past its bound": {
			method: "POST", path: "/api/run?policies=strict", header: text, body: hostile.Doubling(13),
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemLimitExceeded), 422, "value-bytes", "64 KiB")(t, body)
				if p := decodeProblem(t, body); p.LimitName != "value-bytes" || p.Limit != apiMaxValueBytes || p.Line == 0 {
					t.Errorf("limit %s %d at line %d, want value-bytes %d at a line", p.LimitName, p.Limit, p.Line, apiMaxValueBytes)
				}
			},
		},
		"a race refused by its size before exploring": {
			method: "POST", path: "/api/run?policies=strict", header: text, body: race(12),
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemRaceTooLarge), 422, "line 3", "at least 4 095 states")(t, body)
				if p := decodeProblem(t, body); p.LimitName != "states" || p.Line != 3 || p.Column != 1 {
					t.Errorf("limit %s at %d:%d, want states at 3:1", p.LimitName, p.Line, p.Column)
				}
			},
		},
		"custom policy that is not an object": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policy": "strict"}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "policy"),
		},
		"custom policy array with a string": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policy": ["strict"]}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "policy"),
		},
		"invalid custom policy": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET /", "policy": {"id": "x", "colour": 1}}`,
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "colour"),
		},
		"unknown policy": {
			method: "POST", path: "/api/run?policies=strict,nope", header: text, body: "GET /users\n",
			status: 422, ctype: problemCT,
			check: wantProblem(problemURI(problemInvalidRequest), 422, "nope"),
		},
		"scenario error": {
			method: "POST", path: "/api/run", header: text, body: "# Bad\nGET /users\n\nfetch /users\n",
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemScenario), 422, "line 4, column 1")(t, body)
				if p := decodeProblem(t, body); p.Line != 4 || p.Column != 1 {
					t.Errorf("line %d column %d, want 4 and 1", p.Line, p.Column)
				}
			},
		},
		"scenario error in JSON": {
			method: "POST", path: "/api/run", header: js, body: `{"scenario": "GET users"}`,
			status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				if p := decodeProblem(t, body); p.Type != problemURI(problemScenario) || p.Line != 1 || p.Column != 5 {
					t.Errorf("got %+v, want a scenario error at 1:5", p)
				}
			},
		},
		"too many steps": {
			method: "POST", path: "/api/run", header: text, body: tooMany, status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemTooManySteps), 422, fmt.Sprint(simulator.MaxSteps))(t, body)
				if p := decodeProblem(t, body); p.Limit != simulator.MaxSteps || p.Line != 2*simulator.MaxSteps+1 {
					t.Errorf("limit %d line %d, want %d and %d", p.Limit, p.Line, simulator.MaxSteps, 2*simulator.MaxSteps+1)
				}
			},
		},
		"race over the exploration bound": {
			method: "POST", path: "/api/run?policies=strict", header: text, body: bigRace, status: 422, ctype: problemCT,
			check: func(t *testing.T, body []byte) {
				wantProblem(problemURI(problemRaceTooLarge), 422, "line 3", fmt.Sprint(apiMaxStates))(t, body)
				if p := decodeProblem(t, body); p.Limit != apiMaxStates || p.Line != 3 {
					t.Errorf("limit %d line %d, want %d and 3", p.Limit, p.Line, apiMaxStates)
				}
			},
		},
		"race within the bound": {
			method: "POST", path: "/api/run", header: text, body: smallRace, status: 200, ctype: jsonCT,
			check: wantResult(smallRace, simulator.Options{MaxStates: apiMaxStates}),
		},
		"exactly MaxSteps steps": {
			method: "POST", path: "/api/run", header: text, body: justEnough, status: 200, ctype: jsonCT,
			check: wantResult(justEnough, simulator.Options{}),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

// TestAPIBodyLimitWithoutLength sends bodies of unknown length, as a
// chunked upload or the Worker runtime's stream does. A refused body is
// read on up to maxDrain and closed before the answer, which the Worker
// runtime needs (see drain).
func TestAPIBodyLimitWithoutLength(t *testing.T) {
	t.Parallel()
	over := func(n int) io.Reader {
		return io.MultiReader(strings.NewReader("GET /users\n\n"), strings.NewReader(strings.Repeat("#", n)))
	}
	cases := map[string]struct {
		body     io.Reader
		status   int
		leftOver int // bytes the handler must leave unread
	}{
		"just over the limit":      {over(maxRunBody), 413, 0},
		"far over the drain bound": {over(maxRunBody + maxDrain + 1000), 413, 12 + maxRunBody + 1000 - (maxRunBody + 1)},
		"read error":               {iotest.ErrReader(io.ErrUnexpectedEOF), 400, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := &closeRecorder{Reader: c.body}
			req := httptest.NewRequest("POST", "/api/run", body)
			req.ContentLength = -1
			rec := httptest.NewRecorder()
			New(Options{}).ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			wantProblem("about:blank", c.status)(t, rec.Body.Bytes())
			if c.status != 413 {
				return
			}
			if !body.closed {
				t.Error("the refused body was not closed")
			}
			if left, _ := io.Copy(io.Discard, c.body); left != int64(c.leftOver) {
				t.Errorf("%d bytes left unread, want %d", left, c.leftOver)
			}
		})
	}
}

// closeRecorder is a request body that remembers being closed.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

func TestAPINilBody(t *testing.T) {
	t.Parallel()
	// The Worker runtime gives requests without a body a nil Body.
	req := httptest.NewRequest("POST", "/api/run", nil)
	req.Body = nil
	rec := httptest.NewRecorder()
	New(Options{}).ServeHTTP(rec, req)
	if rec.Code != 422 {
		t.Fatalf("status %d, want 422: %s", rec.Code, rec.Body)
	}
}

func TestAPICORS(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		path, requestMethod string
		wantAllow           string
	}{
		"run":     {"/api/run", "POST", "POST, OPTIONS"},
		"presets": {"/api/presets/follow-twice", "GET", "GET, HEAD, OPTIONS"},
		"health":  {"/api/health", "GET", "GET, HEAD, OPTIONS"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			apiCase{
				method: "OPTIONS", path: c.path, status: 204,
				header: map[string]string{
					"Origin":                         "https://docs.example",
					"Access-Control-Request-Method":  c.requestMethod,
					"Access-Control-Request-Headers": "content-type",
				},
				headers: map[string]string{
					"Allow":                        c.wantAllow,
					"Access-Control-Allow-Methods": c.wantAllow,
					"Access-Control-Allow-Headers": "Content-Type, If-None-Match",
					"Access-Control-Max-Age":       "86400",
				},
			}.run(t)
			// A plain OPTIONS, not a preflight, only learns Allow.
			rec := serveAPI(t, apiCase{method: "OPTIONS", path: c.path})
			if rec.Code != 204 || rec.Header().Get("Allow") != c.wantAllow || rec.Header().Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("plain OPTIONS: %d, Allow %q, Access-Control-Allow-Methods %q",
					rec.Code, rec.Header().Get("Allow"), rec.Header().Get("Access-Control-Allow-Methods"))
			}
			// The actual request carries the origin grant and exposes ETag.
			rec = serveAPI(t, apiCase{method: "GET", path: "/api/policies", header: map[string]string{"Origin": "https://docs.example"}})
			if rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Access-Control-Expose-Headers") != "ETag" {
				t.Errorf("GET with Origin: headers %v", rec.Header())
			}
		})
	}
}

func TestAPIConditionalGet(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/api/presets/follow-twice", "/api/presets/delete-twice?policies=all", "/api/policies", "/api/presets"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			first := serveAPI(t, apiCase{method: "GET", path: path})
			etag := first.Header().Get("ETag")
			if first.Code != 200 || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
				t.Fatalf("first GET: status %d, ETag %q, want 200 and a strong ETag", first.Code, etag)
			}
			if again := serveAPI(t, apiCase{method: "GET", path: path}); again.Header().Get("ETag") != etag {
				t.Errorf("ETag changed between two GETs: %q then %q", etag, again.Header().Get("ETag"))
			}
			cases := map[string]struct {
				ifNoneMatch string
				want        int
			}{
				"same tag":            {etag, 304},
				"weak form":           {"W/" + etag, 304},
				"in a list":           {`"other", ` + etag, 304},
				"any":                 {"*", 304},
				"other tag":           {`"other"`, 200},
				"unquoted (no match)": {strings.Trim(etag, `"`), 200},
			}
			for name, c := range cases {
				rec := serveAPI(t, apiCase{method: "GET", path: path, header: map[string]string{"If-None-Match": c.ifNoneMatch}})
				if rec.Code != c.want {
					t.Errorf("%s: status %d, want %d", name, rec.Code, c.want)
					continue
				}
				if c.want == 304 && (rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") != presetMaxAge) {
					t.Errorf("%s: 304 with %d bytes, ETag %q, Cache-Control %q", name, rec.Body.Len(), rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
				}
				if c.want == 200 && !bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()) {
					t.Errorf("%s: body differs from the first GET", name)
				}
			}
		})
	}
	// Different policies are different results, so different tags.
	a := serveAPI(t, apiCase{method: "GET", path: "/api/presets/follow-twice"}).Header().Get("ETag")
	b := serveAPI(t, apiCase{method: "GET", path: "/api/presets/follow-twice?policies=strict"}).Header().Get("ETag")
	if a == b {
		t.Errorf("default and strict-only results share the ETag %q", a)
	}
}

// TestAPIEveryPreset runs each preset through POST /api/run and GET
// /api/presets/{name}: both must answer, with the simulator's bytes.
func TestAPIEveryPreset(t *testing.T) {
	t.Parallel()
	for _, p := range simulator.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			apiCase{
				method: "POST", path: "/api/run", header: map[string]string{"Content-Type": "text/plain"},
				body: p.Text, status: 200, ctype: jsonCT, check: wantResult(p.Text, simulator.Options{}),
			}.run(t)
			apiCase{
				method: "GET", path: "/api/presets/" + p.Name, status: 200, ctype: jsonCT,
				check: wantResult(p.Text, simulator.Options{File: p.Name}),
			}.run(t)
		})
	}
}

// TestProblemTypesResolve follows the type URI of every API problem type.
func TestProblemTypesResolve(t *testing.T) {
	t.Parallel()
	for name, pt := range problemTypes {
		if pt.Type != problemURI(name) || pt.Title == "" || pt.Description == "" || pt.Status < 400 {
			t.Errorf("problem type %s is incomplete: %+v", name, pt)
		}
		rec := serveAPI(t, apiCase{method: "GET", path: pt.Type})
		if rec.Code != 200 {
			t.Errorf("GET %s: status %d", pt.Type, rec.Code)
		}
	}
}

func TestNewWithStatic(t *testing.T) {
	t.Parallel()
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "static "+r.URL.Path)
	})
	h := New(Options{Static: static})
	for path, want := range map[string]string{
		"/":            "static /",
		"/index.html":  "static /index.html",
		"/apixyz":      "static /apixyz",
		"/api/health":  "",
		"/api/missing": "",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		isAPI := rec.Header().Get("Access-Control-Allow-Origin") == "*"
		if (want == "") != isAPI || want != "" && rec.Body.String() != want {
			t.Errorf("GET %s: API %v, body %q; want %q", path, isAPI, rec.Body, want)
		}
	}
}

// FuzzRun checks that no body and media type make the API fail: every
// answer is a 200 result or a 4xx problem, and both are JSON.
func FuzzRun(f *testing.F) {
	for _, p := range simulator.Presets() {
		f.Add("text/plain", p.Text)
	}
	f.Add("application/json", `{"scenario": "GET /users", "policy": {"id": "x", "base": "strict"}}`)
	f.Add("application/json", `{"scenario": "race {\nPUT /a\n\nPUT /a\n}\n", "policies": ["all"]}`)
	f.Add("", "POST /users\nContent-Type: application/json\n{\"id\": \"{{x}}\"}\n")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		req := httptest.NewRequest("POST", "/api/run", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		New(Options{}).ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code > 499) {
			t.Fatalf("status %d for %q %q: %s", rec.Code, ctype, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
	})
}

func TestAPIBusy(t *testing.T) {
	t.Parallel()
	a := &api{slots: newRunSlots(1)}
	a.slots.slots <- struct{}{} // a run under way
	rec := httptest.NewRecorder()
	handler(a.handleRun).ServeHTTP(rec, httptest.NewRequest("POST", "/api/run", strings.NewReader("GET /users")))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	wantProblem(problemURI(problemBusy), 503, "1 scenarios")(t, rec.Body.Bytes())
	<-a.slots.slots
	rec = httptest.NewRecorder()
	handler(a.handleRun).ServeHTTP(rec, httptest.NewRequest("POST", "/api/run", strings.NewReader("GET /users")))
	if rec.Code != http.StatusOK {
		t.Errorf("with the slot free: status %d, want 200", rec.Code)
	}
}

func TestAPIClientGoneStopsTheRun(t *testing.T) {
	t.Parallel()
	a := &api{slots: newRunSlots(1)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/api/run", strings.NewReader(hostile.Doubling(4))).WithContext(ctx)
	rec := httptest.NewRecorder()
	handler(a.handleRun).ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Errorf("answered a client that is gone: %s", rec.Body)
	}
	if len(a.slots.slots) != 0 {
		t.Error("the run's slot was not given back")
	}
}
