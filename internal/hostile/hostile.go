// Package hostile generates the inputs a hostile user would send to
// httpplay to exhaust a host: values that double at every step, thousands
// of columns, races with astronomically many orders, quadratic scans,
// control characters for the terminal. Each is built by a few lines of
// code rather than stored, so that the corpus costs kilobytes in the
// repository however large the inputs are. The tests of every host (the
// command line, the JSON API and the WebAssembly module) run all of it.
package hostile

import (
	"fmt"
	"strings"
	"time"
)

// Outcomes a host may give to a case.
const (
	// OK is a complete result.
	OK = "ok"
	// Partial is a result with at least one race marked incomplete.
	Partial = "partial"
	// Error is a scenario error with a line and column.
	Error = "error"
	// TooLarge is a body the host refuses before reading it as a scenario
	// (the API's 413).
	TooLarge = "too-large"
)

// Case is one hostile input and what each host must make of it: OK,
// Partial, Error, or the name of the limit it is refused by (the
// simulator's Limit constants). The hosts differ because their bounds do
// (see the README's limits table).
type Case struct {
	Name     string
	Scenario string
	// Policies are custom policy definitions (JSON) sent beside the
	// scenario: policy files on the command line, "policy" in the API,
	// policyJSON on the page.
	Policies []string
	// Isolation, when set, is the isolation option of every host.
	Isolation string
	CLI       string
	API       string
	Page      string
}

// Corpus returns every case, built afresh.
func Corpus() []Case {
	return []Case{
		{
			// 22 steps of 1.3 KB made the API answer 176 MB; the value now
			// stops at each host's bound, at the line that doubles it.
			Name: "captured value doubled at every step", Scenario: Doubling(26),
			CLI: "value-bytes", API: "value-bytes", Page: "value-bytes",
		},
		{
			// A 60 KB scenario that killed the native server.
			Name: "one capture used 6000 times", Scenario: ManyReferences(1000, 6000),
			CLI: "value-bytes", API: "value-bytes", Page: "value-bytes",
		},
		{
			Name: "2000 custom policies", Scenario: "GET /users\n", Policies: Policies(2000),
			CLI: "columns", API: "columns", Page: "columns",
		},
		{
			Name: "1500 policies declared in the scenario", Scenario: DeclaredPolicies(1500) + "GET /users\n",
			CLI: "columns", API: "columns", Page: "columns",
		},
		{
			// Past 300 s at the command line's default bound of states.
			Name: "four clients of 49 requests each", Scenario: Clients(4, 49),
			CLI: Partial, API: "states", Page: Partial,
		},
		{
			Name: "three clients under check-then-act", Scenario: Clients(3, 20), Isolation: "check-then-act",
			CLI: Partial, API: "states", Page: Partial,
		},
		{
			// 358 bytes that the API explored for 4.2 s before refusing.
			Name: "a small race with many orders", Scenario: Creates(8),
			CLI: Partial, API: "states", Page: Partial,
		},
		{
			// checkVars took 15 s for 100 000 references; the scan is
			// linear and the substituted body too large.
			Name: "100 000 references on one line", Scenario: ManyReferences(0, 100000),
			CLI: OK, API: TooLarge, Page: "value-bytes",
		},
		{
			Name: "hundreds of answers of 32 KiB", Scenario: LargeResults(11),
			CLI: OK, API: "result-bytes", Page: "result-bytes",
		},
		{
			Name: "hundreds of answers of 512 KiB", Scenario: LargeResults(15),
			CLI: "result-bytes", API: "value-bytes", Page: "value-bytes",
		},
		{
			// Each client of a race used to copy every name and value
			// captured before it: 199 copies of 50 000 took 15 s and 540 MB.
			Name: "a race after 20 000 let lines", Scenario: LetsThenRace(20000, 199),
			CLI: Partial, API: TooLarge, Page: Partial,
		},
		{
			// Every request was checked against every declaration: one step
			// of 20 000 took longer than the whole deadline.
			Name: "3 000 @unique declarations", Scenario: Declarations(3000),
			CLI: "constraints", API: "constraints", Page: "constraints",
		},
		{
			// A literal body of 200 000 members made one step outlast the
			// deadline.
			Name: "a batch create of 200 000 members", Scenario: Batch(200000),
			CLI: "value-bytes", API: TooLarge, Page: "value-bytes",
		},
		{
			Name: "control characters for the terminal", Scenario: Terminal(),
			CLI: OK, API: OK, Page: OK,
		},
		{
			Name: "a header value with CR", Scenario: "GET /users\nIf-None-Match: \"a\"\r\"b\"\n",
			CLI: Error, API: Error, Page: Error,
		},
	}
}

// Doubling captures a 16-byte value and sends it back doubled n times, so
// that the body of the last step would hold 16 × 2^n bytes.
func Doubling(n int) string {
	var b strings.Builder
	b.WriteString("# Doubling\nPOST /vs\n{\"id\": \"v\", \"v\": \"xxxxxxxxxxxxxxxx\"}\nlet a = body v\n\n")
	for i := range n {
		fmt.Fprintf(&b, "PUT /vs/v\n{\"v\": \"{{a}}{{a}}\", \"n\": %d}\nlet a = body v\n\n", i)
	}
	return b.String()
}

// ManyReferences captures a value of size bytes and uses it refs times in
// one body line.
func ManyReferences(size, refs int) string {
	return fmt.Sprintf("# References\nPOST /vs\n{\"id\": \"v\", \"v\": %q}\nlet a = body v\n\nPOST /ws\n{\"v\": \"%s\"}\n",
		strings.Repeat("x", size), strings.Repeat("{{a}}", refs))
}

// Policies is n custom policy definitions, each its own column.
func Policies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"id": "p%d", "base": "strict"}`, i)
	}
	return out
}

// DeclaredPolicies is n @policy declarations.
func DeclaredPolicies(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "@policy p%d\n{\"base\": \"strict\"}\n\n", i)
	}
	return b.String()
}

// Clients is a race of n clients that each send reqs PUTs and GETs.
func Clients(n, reqs int) string {
	var b strings.Builder
	b.WriteString("# Clients\nPUT /docs/1\n{\"v\": 0}\n\nrace {\n")
	for c := range n {
		fmt.Fprintf(&b, "  client c%d {\n", c)
		for r := range reqs {
			if r%2 == 0 {
				fmt.Fprintf(&b, "    PUT /docs/1\n    {\"v\": %d}\n\n", c*1000+r)
			} else {
				b.WriteString("    GET /docs/1\n\n")
			}
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Creates is a race of n POSTs to one collection without ids: every order
// gives the clients other ids.
func Creates(n int) string {
	var b strings.Builder
	b.WriteString("race {\n")
	for i := range n {
		fmt.Fprintf(&b, "  POST /q\n  {\"n\": %d}\n\n", i)
	}
	b.WriteString("}\n")
	return b.String()
}

// LargeResults builds a value of 16 × 2^n bytes by doubling, then reads the
// resource it sits in 180 times: each answer carries it, in every column.
func LargeResults(n int) string {
	var b strings.Builder
	b.WriteString(Doubling(n))
	for range 180 {
		b.WriteString("GET /vs/v\n\n")
	}
	return b.String()
}

// LetsThenRace captures lets values from one request, then races clients
// lone GETs.
func LetsThenRace(lets, clients int) string {
	var b strings.Builder
	b.WriteString("GET /a\n")
	for i := range lets {
		fmt.Fprintf(&b, "let v%d = status\n", i)
	}
	b.WriteString("\nrace {\n")
	for i := range clients {
		fmt.Fprintf(&b, "  GET /b%d?v={{v%d}}\n\n", i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

// Declarations is n @unique declarations, then creates that each set one
// of the fields.
func Declarations(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "@unique /u f%d\n", i)
	}
	for i := range 100 {
		fmt.Fprintf(&b, "\nPOST /u\n{\"f%d\": \"x\"}\n", i)
	}
	return b.String()
}

// Batch is one POST of an array of n members, then PUTs to some of them.
func Batch(n int) string {
	var b strings.Builder
	b.WriteString("POST /u\n[")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"n":%d}`, i)
	}
	b.WriteString("]\n")
	for i := range 100 {
		fmt.Fprintf(&b, "\nPUT /u/%d\n{\"m\": 1}\n", i)
	}
	return b.String()
}

// Terminal puts control sequences where a table prints them: the title,
// the path, a header value.
func Terminal() string {
	return "# Owned \x1b]0;owned\x07 \u202eevil\n" +
		"PUT /a\x1b[2J/\x9b31m\n" +
		"X-Note: \x1b[31mred\x1b[0m\n" +
		"{\"note\": \"\\u001b[5m\"}\n\n" +
		"GET /a\x1b[2J/\x9b31m\n"
}

// Bound is how long a host may take on a case whose deadline is given
// before a test calls it a runaway: twice the deadline and a second. The
// tests check that every run stops by itself within a bound, not how fast
// it is: on a shared machine a run that keeps its deadline can take longer
// by the wall clock, and the durations measured (go test -run Hostile -v)
// are what the README states.
func Bound(deadline time.Duration) time.Duration {
	return 2*deadline + time.Second
}
