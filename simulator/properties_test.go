package simulator

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestAnswersKeepTheRules checks, over every preset under every built-in
// policy, what must hold of every answer whatever the policy: the fields a
// status requires, Location only on 201 and 3xx unless the rule says why, problem details that agree
// with the status, no status the policy's guideline forbids, and no lint
// finding above info for a built-in policy.
// forEveryAnswer calls fn with every single-request answer of every
// preset under every policy, built-in and the presets' own.
func forEveryAnswer(t *testing.T, fn func(preset string, line int, id string, r Response)) {
	t.Helper()
	for _, pr := range Presets() {
		res, err := Run(pr.Text, Options{Policies: []string{"all"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Steps {
			for id, r := range st.Results {
				if r.Race == nil {
					fn(pr.Name, st.Line, id, r)
				}
			}
		}
	}
}

func TestAnswersKeepTheRules(t *testing.T) {
	t.Parallel()
	_, byID := builtins()
	forEveryAnswer(t, func(preset string, line int, id string, r Response) {
		if byID[id] == nil {
			// Custom teaching policies (asker-401) are meant to show
			// findings; only the built-in ones are held to this.
			return
		}
		where := preset + " line " + itoa(line) + " " + id
		if r.Status == 405 && r.Headers["Allow"] == "" {
			t.Errorf("%s: 405 without Allow", where)
		}
		if r.Status == 401 && r.Headers["WWW-Authenticate"] == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", where)
		}
		if _, ok := r.Headers["Location"]; ok && r.Status != 201 && (r.Status < 300 || r.Status >= 400) && !saysWhy(r, "Location") {
			t.Errorf("%s: Location on %d, and the rule does not say why", where, r.Status)
		}
		if strings.HasPrefix(r.Headers["Content-Type"], "application/problem+json") && gjson.Get(r.Body, "status").Int() != int64(r.Status) {
			t.Errorf("%s: problem status %s on a %d", where, gjson.Get(r.Body, "status").Raw, r.Status)
		}
		if msg := guidelineStatus(byID[id], r.Status); msg != "" {
			t.Errorf("%s: %s", where, msg)
		}
		for _, f := range r.Lint {
			if f.Level != "info" {
				t.Errorf("%s: lint %s: %s", where, f.Level, f.Message)
			}
		}
	})
}

// TestGoogleStatusPairs checks that every Google error pairs its HTTP
// status with the google.rpc.Code that maps to it (code.proto).
func TestGoogleStatusPairs(t *testing.T) {
	t.Parallel()
	pairs := map[string]int{
		"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "UNAUTHENTICATED": 401,
		"PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "ABORTED": 409,
		"RESOURCE_EXHAUSTED": 429, "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503,
	}
	for _, pr := range Presets() {
		res, err := Run(pr.Text, Options{Policies: []string{"google-aip"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Steps {
			r := st.Results["google-aip"]
			if r.Race != nil || r.Status < 400 {
				continue
			}
			code := gjson.Get(r.Body, "error.status").String()
			if pairs[code] != r.Status {
				t.Errorf("%s line %d: %d with status %q", pr.Name, st.Line, r.Status, code)
			}
			if gjson.Get(r.Body, `error.details.0.@type`).String() != "type.googleapis.com/google.rpc.ErrorInfo" {
				t.Errorf("%s line %d: no ErrorInfo in details: %s", pr.Name, st.Line, r.Body)
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLeakProbeCoversUpdates checks that "leaks existence" judges updates
// too: a PATCH to a taken unique value answers differently from one to a
// free value under strict, and the same under enumeration-safe.
func TestLeakProbeCoversUpdates(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"PATCH", "PUT"} {
		src := "@unique /users email\n\nPOST /users\n{\"id\":\"a\",\"email\":\"a@x.org\"}\n\nPOST /users\n{\"id\":\"b\",\"email\":\"b@x.org\"}\n\n" +
			method + " /users/b\n{\"id\":\"b\",\"email\":\"a@x.org\"}"
		res, err := Run(src, Options{Policies: []string{"strict", "enumeration-safe"}})
		if err != nil {
			t.Fatal(err)
		}
		leak := res.Properties["strict"].LeaksExistence
		if !slices.Contains(leak.Lines, 9) {
			t.Errorf("%s: strict answers 409 only for a taken address, so line 9 leaks; got lines %v", method, leak.Lines)
		}
		if v := res.Properties["enumeration-safe"].LeaksExistence.Value; v == nil || *v {
			t.Errorf("%s: enumeration-safe answers every update 202, so it does not leak; got %v", method, v)
		}
	}
}

// saysWhy reports whether the rule behind a response names a header in
// its rationale, as a guideline that asks for the header there does.
func saysWhy(r Response, header string) bool {
	for _, e := range r.Trace {
		if e.Step == "status" && strings.Contains(e.Detail, header) {
			return true
		}
	}
	return false
}
