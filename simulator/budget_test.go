package simulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/hostile"
)

// doubling captures a 16-byte value and sends it back doubled n times.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("POST /vs\n{\"id\": \"v\", \"v\": \"xxxxxxxxxxxxxxxx\"}\nlet a = body v\n\n")
	for i := range n {
		fmt.Fprintf(&b, "PUT /vs/v\n{\"v\": \"{{a}}{{a}}\", \"n\": %d}\nlet a = body v\n\n", i)
	}
	return b.String()
}

// creates is a race of n POSTs without ids.
func creates(n int) string {
	var b strings.Builder
	b.WriteString("race {\n")
	for i := range n {
		fmt.Fprintf(&b, "  POST /q\n  {\"n\": %d}\n\n", i)
	}
	return b.String() + "}\n"
}

func TestBudgetLimits(t *testing.T) {
	t.Parallel()
	policies := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(`{"id": "p%d"}`, i)
		}
		return out
	}
	tests := []struct {
		name     string
		src      string
		opts     Options
		limit    string
		max      int64
		line     int // 0: no line to blame
		contains string
	}{
		{"value doubled", doubling(12), Options{Policies: []string{"strict"}, MaxValueBytes: 4096}, LimitValueBytes, 4096, 33,
			"the body after {{name}} substitution would be 4 113 bytes, over the limit of 4 KiB for one value"},
		{"value in a race", doubling(6) + "race {\n  PUT /vs/v\n  {\"v\": \"{{a}}{{a}}\"}\n\n  GET /vs\n}\n", Options{Policies: []string{"strict"}, MaxValueBytes: 1500},
			LimitValueBytes, 1500, 29, "substitution would be"},
		{"result", doubling(6) + strings.Repeat("GET /vs/v\n\n", 50), Options{Policies: []string{"strict", "idempotent"}, MaxResultBytes: 100000},
			LimitResultBytes, 100000, 0, "the result passed the limit of 97.7 KiB (48.8 KiB for each of 2 columns) at this step"},
		{"columns", "GET /a\n", Options{PolicyJSON: policies(5), MaxColumns: 4}, LimitColumns, 4, 0,
			"the run would have 5 columns (policies × isolations), over the limit of 4"},
		{"columns with isolations", "GET /a\n", Options{Policies: []string{"strict", "idempotent", "conditional"}, Isolation: []string{"atomic", "check-then-act"}, MaxColumns: 5},
			LimitColumns, 5, 0, "6 columns"},
		{"declared policies", "@policy a\n{}\n\n@policy b\n{}\n\n@policy c\n{}\n\nGET /a\n", Options{Policies: []string{"strict"}, MaxColumns: 2},
			LimitColumns, 2, 7, "over the limit of 2"},
		{"race too large to explore", "GET /a\n\n" + creates(12), Options{Policies: []string{"strict"}, CompleteRaces: true, MaxStates: 1000},
			LimitStates, 1000, 3, "the race explores at least 4 095 states under strict, over the limit of 1 000 per race and column"},
		{"races too large together", creates(5) + "\n" + creates(5), Options{Policies: []string{"strict", "idempotent"}, CompleteRaces: true, MaxTotalStates: 100},
			LimitTotalStates, 100, 19, "at least 124 states over all columns"},
		{"literal body", "POST /u\n[" + strings.Repeat(`{"n":1},`, 600) + "{}]\n", Options{MaxValueBytes: 4096}, LimitValueBytes, 4096, 1,
			"the body is 4 804 bytes, over the limit of 4 KiB for one value"},
		{"literal header in a race", "race {\n  GET /a\n  X-Big: " + strings.Repeat("x", 5000) + "\n\n  GET /b\n}\n", Options{MaxValueBytes: 4096}, LimitValueBytes, 4096, 2,
			"the header X-Big is 5 000 bytes"},
		{"constraints", strings.Repeat("@immutable /a\n", 99) + "@required /b x y\n\nGET /a\n", Options{}, LimitConstraints, MaxConstraints, 100,
			"at most 100 constraints"},
		{"race stopped by its bound", creates(7), Options{Policies: []string{"strict"}, CompleteRaces: true, MaxStates: 200},
			LimitStates, 200, 1, "explored only in part under strict: the bound of 200 states was reached"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(tc.src, tc.opts)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LimitError", err)
			}
			if le.Limit != tc.limit || le.Max != tc.max {
				t.Errorf("limit %s %d, want %s %d", le.Limit, le.Max, tc.limit, tc.max)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", err, tc.contains)
			}
			var se *Error
			switch {
			case tc.line == 0 && tc.limit != LimitResultBytes && errors.As(err, &se):
				t.Errorf("error %v blames line %d; nothing in the text is to blame", err, se.Line)
			case tc.line > 0 && (!errors.As(err, &se) || se.Line != tc.line):
				t.Errorf("error %v, want it at line %d", err, tc.line)
			}
		})
	}
}

func TestBudgetDeadline(t *testing.T) {
	t.Parallel()
	t.Run("a race at the deadline is partial", func(t *testing.T) {
		t.Parallel()
		res, err := Run(creates(9)+"\nGET /q\n", Options{Policies: []string{"strict"}, Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		rr := res.Steps[0].Results["strict"].Race
		if rr.Complete || !strings.Contains(rr.Note, "the run's deadline of 200ms came near") {
			t.Errorf("complete %v, note %q; want a partial race stopped by the deadline", rr.Complete, rr.Note)
		}
		if res.Steps[1].Results["strict"].Status != 200 {
			t.Errorf("the step after the race was not answered: %+v", res.Steps[1].Results["strict"])
		}
	})
	t.Run("a host that needs complete races gets an error", func(t *testing.T) {
		t.Parallel()
		_, err := Run(creates(9), Options{Policies: []string{"strict"}, Timeout: 50 * time.Millisecond, CompleteRaces: true})
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != LimitDeadline || le.Max != 50 {
			t.Errorf("error %v, want the deadline of 50 ms", err)
		}
	})
	t.Run("a cancelled context stops the run", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := RunContext(ctx, "GET /a\n\nGET /b\n", Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
	t.Run("a context deadline is the run's deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		<-ctx.Done()
		_, err := RunContext(ctx, "GET /a\n", Options{})
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != LimitDeadline {
			t.Errorf("error %v, want the deadline", err)
		}
	})
}

func TestProgress(t *testing.T) {
	t.Parallel()
	var last Progress
	calls := 0
	_, err := Run(creates(8), Options{Policies: []string{"strict", "idempotent"}, Timeout: 400 * time.Millisecond,
		Progress: func(p Progress) { last, calls = p, calls+1 }})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last.Columns != 2 || last.States == 0 || last.Left > 400*time.Millisecond {
		t.Errorf("%d calls, last %+v; want progress of 2 columns with states", calls, last)
	}
}

func TestSubstitutionMatchesTemplate(t *testing.T) {
	t.Parallel()
	vars := scope{outer: map[string]string{"a": "1", "bb": "xyz"}}
	for _, s := range []string{"", "plain", "{{a}}", "x{{ a }}y{{bb}}z", "{{a}}{{missing}}{{", "}}{{a", "{{a}}}}", "{{{{a}}}}"} {
		tmpl := compileTemplate(s)
		got := tmpl.expand(vars, tmpl.size(vars))
		if len(got) != tmpl.size(vars) {
			t.Errorf("%q: size %d, expanded %d bytes", s, tmpl.size(vars), len(got))
		}
		want := s
		for k, v := range map[string]string{"{{a}}": "1", "{{ a }}": "1", "{{bb}}": "xyz", "{{missing}}": ""} {
			want = strings.ReplaceAll(want, k, v)
		}
		if s == "{{{{a}}}}" {
			want = "}}" // the name of the first reference is "{{a"
		}
		if got != want {
			t.Errorf("%q expands to %q, want %q", s, got, want)
		}
	}
}

func TestCheckVarsColumns(t *testing.T) {
	t.Parallel()
	// The column of a reference after thousands of others, and after
	// multi-byte text, is counted in runes from the start of the line.
	src := "POST /a\nlet a = status\n\nPOST /b\n{\"é\": \"" + strings.Repeat("{{a}}", 3000) + "{{b}}\"}\n"
	_, err := Run(src, Options{})
	var se *Error
	if !errors.As(err, &se) || se.Line != 5 || se.Col != 8+5*3000 {
		t.Errorf("error %v, want {{b}} at 5:%d", err, 8+5*3000)
	}
}

// FuzzRunBudget runs scenarios under a tight budget, so that the fuzzer
// looks for inputs that escape it: a result larger than its bytes allow,
// a run past its deadline, an error that names no bound and no line.
func FuzzRunBudget(f *testing.F) {
	for _, p := range Presets() {
		f.Add(p.Text)
	}
	for _, c := range hostile.Corpus() {
		if len(c.Scenario) <= 8<<10 { // the mutator is slow on large inputs
			f.Add(c.Scenario)
		}
	}
	f.Add(doubling(10))
	f.Add(creates(6))
	f.Add("GET /a\nlet x = body a\n\nPOST /b\n{\"v\": \"{{x}}{{x}}{{x}}\"}\nlet x = body v\n")
	opts := Options{Policies: []string{"all"}, Timeout: 300 * time.Millisecond, MaxValueBytes: 2 << 10,
		MaxResultBytes: 256 << 10, MaxColumns: 24, MaxStates: 200, MaxTotalStates: 1000}
	limits := map[string]int64{LimitDeadline: opts.Timeout.Milliseconds(), LimitValueBytes: int64(opts.MaxValueBytes),
		LimitResultBytes: int64(opts.MaxResultBytes), LimitColumns: int64(opts.MaxColumns)}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		start := time.Now()
		res, err := Run(src, opts)
		if elapsed := time.Since(start); elapsed > opts.Timeout+deadlineGrace(opts.Timeout)+time.Second {
			t.Fatalf("the run took %v, past its deadline of %v", elapsed, opts.Timeout)
		}
		var le *LimitError
		var perr *Error
		switch {
		case errors.As(err, &le):
			if want, ok := limits[le.Limit]; ok && le.Max != want {
				t.Fatalf("limit %s reported as %d, set to %d", le.Limit, le.Max, want)
			}
			return
		case errors.As(err, &perr):
			if perr.Line < 1 || perr.Line > lines || perr.Col < 1 {
				t.Fatalf("error position %d:%d outside the text (%d lines): %v", perr.Line, perr.Col, lines, err)
			}
			return
		case err != nil:
			return // option errors cannot come from the text alone
		}
		out := res.JSON()
		// JSON escapes a control byte as six, and the scenario's own text
		// is in the result once per step, beside what the budget counts.
		if bound := 6*(opts.MaxResultBytes+len(src)) + 64<<10; len(out) > bound {
			t.Fatalf("result of %d bytes, over %d for a budget of %d", len(out), bound, opts.MaxResultBytes)
		}
		for _, st := range res.Steps {
			for id, r := range st.Results {
				if r.Race != nil && r.Race.Explored > opts.MaxStates {
					t.Fatalf("%s: explored %d states (bound %d)", id, r.Race.Explored, opts.MaxStates)
				}
			}
		}
	})
}

func ExampleLimitError() {
	src := "POST /vs\n{\"id\": \"v\", \"v\": \"0123456789abcdef\"}\nlet a = body v\n\n" +
		"PUT /vs/v\n{\"v\": \"{{a}}{{a}}{{a}}{{a}}\"}\n"
	_, err := Run(src, Options{File: "grow.http", Policies: []string{"strict"}, MaxValueBytes: 64})
	var le *LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Limit, le.Max)
	}
	fmt.Println(err)
	// Output:
	// value-bytes 64
	// grow.http:5:1: the body after {{name}} substitution would be 73 bytes, over the limit of 64 bytes for one value
}

func ExampleRunContext() {
	// A run stops when its context is cancelled, as when an API client
	// goes away.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := RunContext(ctx, "GET /users\n", Options{})
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// true
}
