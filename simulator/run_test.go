package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestRunOptions(t *testing.T) {
	t.Parallel()
	src := "GET /a"
	tests := []struct {
		name    string
		opts    Options
		want    []string
		wantErr string
	}{
		{"default", Options{}, []string{"strict", "idempotent", "see-other", "unprocessable", "bad-request", "enumeration-safe", "conditional"}, ""},
		{"all", Options{Policies: []string{"all"}}, builtinOrder, ""},
		{"blank ids mean the defaults", Options{Policies: []string{"", " "}}, []string{"strict", "idempotent", "see-other", "unprocessable", "bad-request", "enumeration-safe", "conditional"}, ""},
		{"chosen order kept", Options{Policies: []string{"github", "strict", "github"}}, []string{"github", "strict"}, ""},
		{"custom appended", Options{Policies: []string{"strict"}, PolicyJSON: []string{`{"id":"mine","rules":{"missing":{"status":410}}}`}}, []string{"strict", "mine"}, ""},
		{"unknown policy", Options{Policies: []string{"lenient"}}, nil, `unknown policy "lenient"`},
		{"custom clashes with built-in", Options{PolicyJSON: []string{`{"id":"strict"}`}}, nil, "has the id of a built-in policy"},
		{"custom ids clash", Options{PolicyJSON: []string{`{"id":"a"}`, `{"id":"a"}`}}, nil, `two custom policies have the id "a"`},
		{"custom bad json", Options{PolicyJSON: []string{`{"id":`}}, nil, "custom policy 1, line 1, column 6: not valid JSON"},
		{"custom unknown member", Options{PolicyJSON: []string{`{"id":"a","rule":{}}`}}, nil, `custom policy 1, line 1, column 11: unknown member "rule"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(src, tc.opts)
			if tc.wantErr != "" {
				var serr *Error
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.As(err, &serr) {
					t.Fatalf("error %v, want an option error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.Policies, ",") != strings.Join(tc.want, ",") {
				t.Errorf("policies %v, want %v", res.Policies, tc.want)
			}
		})
	}
}

func TestCapturesAndSubstitution(t *testing.T) {
	t.Parallel()
	src := "POST /docs\n{\"title\":\"a\"}\nlet id = body id\nlet tag = header ETag\nlet code = status\n\n" +
		"PUT /docs/{{id}}\nIf-Match: {{tag}}\nX-Previous: {{code}}\n{\"title\":\"b\",\"id\":\"{{id}}\"}"
	res, err := Run(src, Options{Policies: []string{"strict", "conditional"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range res.Policies {
		r := res.Steps[1].Results[id]
		if r.Status != 200 || r.Situation != "replaced" {
			t.Errorf("%s: %d %s, want 200 replaced", id, r.Status, r.Situation)
		}
		if r.Sent == nil || r.Sent.Path != "/docs/1" || r.Sent.Headers["If-Match"] != `"v1"` || r.Sent.Headers["X-Previous"] != "201" {
			t.Errorf("%s: sent %+v", id, r.Sent)
		}
	}
	if res.Steps[1].Request.Path != "/docs/{{id}}" {
		t.Errorf("the step keeps the request as written, got %q", res.Steps[1].Request.Path)
	}
	if res.Steps[0].Results["strict"].Sent != nil {
		t.Error("a request without variables has no sent copy")
	}
}

func TestMissingCaptureIsEmptyAndExplained(t *testing.T) {
	t.Parallel()
	res, err := Run("GET /a/1\nlet tag = header ETag\n\nDELETE /a/{{tag}}", Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Steps[0].Results["strict"].Trace
	if last := tr[len(tr)-1]; last.Step != "capture" || !strings.Contains(last.Detail, "absent") {
		t.Errorf("last trace entry %+v, want an absent capture", last)
	}
	if got := res.Steps[1].Results["strict"].Sent.Path; got != "/a/" {
		t.Errorf("sent path %q", got)
	}
}

func TestBodiesAndHeaders(t *testing.T) {
	t.Parallel()
	src := "POST /a\n{\"id\":\"1\",\"x\":1}\n\nHEAD /a/1\n\nGET /a/1\n\nPOST /a\n[{\"id\":\"2\"},{\"id\":\"1\",\"x\":1}]\n\nGET /a"
	res, err := Run(src, Options{Policies: []string{"strict", "bad-request"}})
	if err != nil {
		t.Fatal(err)
	}
	s := func(i int, id string) Response { return res.Steps[i].Results[id] }
	if r := s(0, "strict"); r.Headers["Location"] != "/a/1" || r.Headers["ETag"] != `"v1"` || r.Body != `{"id":"1","x":1}` {
		t.Errorf("create: %+v", r)
	}
	// HEAD sends GET's header fields without the content (RFC 9110 §9.3.2).
	if r := s(1, "strict"); r.Status != 200 || r.Body != "" || r.Headers["Content-Type"] != "application/json" || r.Headers["ETag"] != `"v1"` {
		t.Errorf("HEAD: %+v", r)
	}
	if r := s(3, "strict"); r.Status != 207 || !strings.Contains(r.Body, `"location":"/a/2"`) || !strings.Contains(r.Body, `"status":409`) {
		t.Errorf("partial batch: %d %s", r.Status, r.Body)
	}
	if r := s(3, "bad-request"); r.Status != 400 || !strings.Contains(r.Body, `"status":424`) {
		t.Errorf("atomic batch: %d %s", r.Status, r.Body)
	}
	if r := s(4, "strict"); r.Body != `[{"id":"1","x":1},{"id":"2"}]` {
		t.Errorf("strict list %s", r.Body)
	}
	if r := s(4, "bad-request"); r.Body != `[{"id":"1","x":1}]` {
		t.Errorf("an atomic batch that failed created something: %s", r.Body)
	}
}

func TestErrorFormats(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"strict":     `"type":"about:blank"`,
		"azure":      `{"error":{"code":"NotFound"`,
		"paypal":     `"debug_id":`,
		"jsonapi":    `{"errors":[{`,
		"google-aip": `"status":"NOT_FOUND"`,
		"kubernetes": `"kind":"Status"`,
		"github":     `"documentation_url":`,
	}
	res, err := Run("GET /a/1", Options{Policies: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	for id, frag := range want {
		r := res.Steps[0].Results[id]
		if !strings.Contains(r.Body, frag) {
			t.Errorf("%s body %s lacks %s", id, r.Body, frag)
		}
	}
	if res.Steps[0].Results["azure"].Headers["X-Ms-Error-Code"] != "NotFound" {
		t.Error("azure errors carry x-ms-error-code")
	}
}

func TestGuidelineFallbackIsSaid(t *testing.T) {
	t.Parallel()
	res, err := Run("POST /a\n{\"id\":\"1\",\"x\":1}\n\nPOST /a\n{\"id\":\"1\",\"x\":2}", Options{Policies: []string{"azure", "jsonapi"}})
	if err != nil {
		t.Fatal(err)
	}
	has := func(id string) bool {
		for _, e := range res.Steps[1].Results[id].Trace {
			if e.Step == "fallback" && strings.Contains(e.Detail, "chosen as strict answers") {
				return true
			}
		}
		return false
	}
	if !has("azure") {
		t.Error("Azure says nothing about duplicate creates; its trace must say it falls back to strict")
	}
	if has("jsonapi") {
		t.Error("JSON:API specifies 409 for a taken client id; no fallback should be claimed")
	}
}

func ExampleRun() {
	res, err := Run("# Delete twice\nPUT /notes/1\n{}\n\nDELETE /notes/1\n\nDELETE /notes/1", Options{Policies: []string{"strict", "idempotent"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range res.Steps {
		fmt.Println(st.Request.Method, st.Request.Path, st.Results["strict"].Status, st.Results["idempotent"].Status)
	}
	// Output:
	// PUT /notes/1 201 201
	// DELETE /notes/1 204 204
	// DELETE /notes/1 404 204
}

// A server writes result after result into one buffer with AppendJSON:
// the bytes are those of JSON.
func ExampleResult_AppendJSON() {
	var buf []byte
	for _, scenario := range []string{"GET /notes/1", "PUT /notes/1\n{}"} {
		res, err := Run(scenario, Options{Policies: []string{"strict"}})
		if err != nil {
			fmt.Println(err)
			return
		}
		buf = res.AppendJSON(buf[:0])
		fmt.Println(bytes.Equal(buf, res.JSON()), res.Steps[0].Results["strict"].Status)
	}
	// Output:
	// true 404
	// true 201
}

func ExampleError() {
	_, err := Run("GET /a\nlet x = cookie id", Options{File: "demo.http"})
	fmt.Println(err)
	// Output:
	// demo.http:2:9: unknown capture "cookie": write let NAME = header Header-Name, let NAME = body PATH or let NAME = status
}

// BenchmarkMatrix runs every preset under every built-in policy: the
// whole matrix a page or the API computes, with the analysis. The presets
// without races and those with races are measured apart, because a race
// explores every interleaving.
func BenchmarkMatrix(b *testing.B) {
	var sequential, races []Preset
	for _, p := range Presets() {
		if strings.Contains(p.Text, "race {") {
			races = append(races, p)
		} else {
			sequential = append(sequential, p)
		}
	}
	for _, group := range []struct {
		name    string
		presets []Preset
	}{{"sequential", sequential}, {"races", races}} {
		b.Run(group.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range group.presets {
					if _, err := Run(p.Text, Options{Policies: []string{"all"}}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkDefaultPreset is what the playground computes on first load.
func BenchmarkDefaultPreset(b *testing.B) {
	p, _ := PresetByName(DefaultPreset)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(p.Text, Options{})
		if err != nil {
			b.Fatal(err)
		}
		_ = res.JSON()
	}
}

// BenchmarkResultJSON encodes the result of the default preset under
// every built-in policy, as the API sends it.
func BenchmarkResultJSON(b *testing.B) {
	p, _ := PresetByName(DefaultPreset)
	res, err := Run(p.Text, Options{Policies: []string{"all"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = res.JSON()
	}
}

// BenchmarkPresetMatrix is one preset's matrix under every built-in
// policy, as the playground computes it on each edit.
func BenchmarkPresetMatrix(b *testing.B) {
	for _, p := range Presets() {
		b.Run(p.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(p.Text, Options{Policies: []string{"all"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPlayColumns(t *testing.T) {
	t.Parallel()
	t.Run("every column once", func(t *testing.T) {
		t.Parallel()
		played := make([]int, 20)
		playColumns(len(played), 3, 0, func(ci int, cache *runCache) {
			if cache == nil {
				t.Errorf("column %d got no cache", ci)
			}
			played[ci]++
		})
		for ci, n := range played {
			if n != 1 {
				t.Errorf("column %d played %d times", ci, n)
			}
		}
	})
	t.Run("the first column's panic reaches the caller", func(t *testing.T) {
		t.Parallel()
		defer func() {
			p, ok := recover().(*columnPanic)
			if !ok || p.value != "column 3" || !strings.Contains(p.Error(), "playRecovering") {
				t.Errorf("recovered %v, want column 3's panic with its stack", p)
			}
		}()
		playColumns(10, 2, 0, func(ci int, _ *runCache) {
			if ci == 3 || ci == 7 {
				panic(fmt.Sprintf("column %d", ci))
			}
		})
		t.Error("playColumns returned normally")
	})
}

// TestRunSameOnAnyCoreCount changes GOMAXPROCS, which is process-wide, so
// it is the one test here that does not run in parallel with the others.
func TestRunSameOnAnyCoreCount(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	type run struct {
		name string
		opts Options
	}
	var runs []run
	for _, p := range Presets() {
		runs = append(runs,
			run{p.Name, Options{Policies: []string{"all"}, Isolation: []string{"atomic", "check-then-act"}}},
			// A run-wide budget that stops part way through the columns.
			run{p.Name + " with a budget", Options{Policies: []string{"all"}, Isolation: []string{"atomic", "check-then-act"}, MaxTotalStates: 300}})
	}
	outputs := func(procs int) map[string]string {
		runtime.GOMAXPROCS(procs)
		out := map[string]string{}
		for _, r := range runs {
			p, _ := PresetByName(strings.TrimSuffix(r.name, " with a budget"))
			res, err := Run(p.Text, r.opts)
			if err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
			out[r.name] = string(res.JSON())
		}
		return out
	}
	want := outputs(1)
	for _, procs := range []int{2, 5} {
		for name, got := range outputs(procs) {
			if got != want[name] {
				t.Errorf("%s: the output on %d cores differs from the output on one", name, procs)
			}
		}
	}
}

// TestResultJSONMatchesMarshalIndent holds Result.JSON, which writes the
// steps itself, to json.MarshalIndent over every preset's result.
func TestResultJSONMatchesMarshalIndent(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		for _, opts := range []Options{{}, {Policies: []string{"all"}}, {Policies: []string{"strict"}, Isolation: []string{"atomic", "check-then-act"}}} {
			res, err := Run(p.Text, opts)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.JSON(); !bytes.Equal(got, append(want, '\n')) {
				t.Errorf("%s %v: Result.JSON differs from json.MarshalIndent", p.Name, opts.Policies)
			}
		}
	}
}

// TestPolicyCache checks that a definition seen again is not parsed again,
// that the id is part of what is kept, that failures are not kept, and
// that the cache stays within its bounds.
func TestPolicyCache(t *testing.T) {
	t.Parallel()
	text := `{"name": "cache test", "base": "strict", "rules": {"already-present": {"status": 409}}}`
	a, perr := parsePolicyCached(text, "cache-a")
	if perr != nil {
		t.Fatal(perr)
	}
	if again, _ := parsePolicyCached(text, "cache-a"); again != a {
		t.Error("the same definition was parsed again")
	}
	if other, _ := parsePolicyCached(text, "cache-b"); other == a || other.ID != "cache-b" {
		t.Errorf("another id got the policy of cache-a (%q)", other.ID)
	}
	if _, perr := parsePolicyCached(`{"rules": 1}`, "cache-bad"); perr == nil {
		t.Error("a bad definition parsed")
	}
	for i := range 2 * maxCachedPolicies {
		if _, perr := parsePolicyCached(fmt.Sprintf(`{"name": "filler %d"}`, i), "cache-filler"); perr != nil {
			t.Fatal(perr)
		}
	}
	policyCache.Lock()
	n, order, bytes := len(policyCache.byKey), len(policyCache.order), policyCache.bytes
	_, badKept := policyCache.byKey[policyKey{`{"rules": 1}`, "cache-bad"}]
	policyCache.Unlock()
	if n > maxCachedPolicies || n != order || bytes > maxCachedTextBytes {
		t.Errorf("cache holds %d policies (%d in order, %d bytes); bounds %d, %d", n, order, bytes, maxCachedPolicies, maxCachedTextBytes)
	}
	if badKept {
		t.Error("a failed definition was kept")
	}
}
