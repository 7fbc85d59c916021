package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/hostile"
	"github.com/httpplay/httpplay/simulator"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.http")
	bad := filepath.Join(dir, "bad.http")
	policy := filepath.Join(dir, "policy.json")
	mustWrite(t, good, "# Mine\nPUT /a/1\n{}\n\nDELETE /a/1\n\nDELETE /a/1\n")
	mustWrite(t, bad, "GET /a\n\nlet x = cookie y\n")
	mustWrite(t, policy, `{"id":"gone","rules":{"previously-deleted":{"status":410}}}`)
	badMember := filepath.Join(dir, "member.json")
	mustWrite(t, badMember, "{\"id\": \"x\",\n \"rules\": {\"missing\": {\"status\": 404, \"colour\": 1}}}")
	doubled := filepath.Join(dir, "doubled.http")
	mustWrite(t, doubled, hostile.Doubling(17))
	hostile := filepath.Join(dir, "hostile.http")
	mustWrite(t, hostile, "# Title \x1b]0;owned\x07\nGET /a\x1b[2J\u202e\x9b\n")

	tests := []struct {
		name        string
		args        []string
		stdin       string
		code        int
		stdout      []string
		stderr      string
		notInStdout string
	}{
		{"no args", nil, "", 2, nil, "Usage:", ""},
		{"help", []string{"help"}, "", 0, []string{"Usage:"}, "", ""},
		{"unknown command", []string{"frobnicate"}, "", 2, nil, `unknown command "frobnicate"`, ""},
		{"run file", []string{"run", good}, "", 0, []string{"Mine", "≠", "404 Not Found", "204 No Content"}, "", "\x1b["},
		{"flags after file", []string{"run", good, "--policies", "strict", "--format", "markdown"}, "", 0, []string{"| Line | Request | strict |", "| 7 | `DELETE /a/1` | 404 Not Found |"}, "", "| idempotent |"},
		{"stdin too large", []string{"run", "-"}, strings.Repeat("\n", 4<<20+1) + "GET /x\n", 2, nil, "standard input is larger than 4 MiB", ""},
		{"stdin", []string{"run", "--format", "json", "-"}, "GET /x\n", 0, []string{`"title": "Untitled scenario"`, `"status": 404`}, "", ""},
		{"preset", []string{"run", "--policies", "all", "preset:delete-twice"}, "", 0, []string{"410 Gone", "github"}, "", ""},
		{"policy file", []string{"run", "--policy-file", policy, "--policies", "strict", good}, "", 0, []string{"gone", "410 Gone"}, "", ""},
		{"bad policy file", []string{"run", "--policy-file", bad, good}, "", 2, nil, "bad.http:3:16: not valid JSON", ""},
		{"policy file member", []string{"run", "--policy-file", badMember, good}, "", 2, nil, `member.json:2:39: rules: missing: unknown member "colour"`, ""},
		{"control characters in a table", []string{"run", "--policies", "strict", hostile}, "", 0, []string{`Title \x1b]0;owned\x07`, `GET /a\x1b[2J\u202e\x9b`}, "", "\x1b"},
		{"control characters in markdown", []string{"run", "--policies", "strict", "--format", "markdown", hostile}, "", 0, []string{`Title \x1b]0;owned\x07`, "`GET /a\\x1b[2J\\u202e\\x9b`"}, "", "\x1b"},
		{"value past its limit", []string{"run", "--policies", "strict", doubled}, "", 1, nil, "doubled.http:66:1: the body after {{name}} substitution would be 1 048 594 bytes, over the limit of 1 MiB for one value", ""},
		{"bad timeout", []string{"run", "--timeout", "0s", good}, "", 2, nil, "--timeout must be positive", ""},
		{"scenario error", []string{"run", bad}, "", 1, nil, "bad.http:3:9: unknown capture \"cookie\"", ""},
		{"missing file", []string{"run", filepath.Join(dir, "nope.http")}, "", 2, nil, "no such file", ""},
		{"unknown preset", []string{"run", "preset:nope"}, "", 2, nil, `unknown preset "nope" (known: follow-twice`, ""},
		{"unknown policy", []string{"run", "--policies", "lenient", good}, "", 2, nil, `unknown policy "lenient"`, ""},
		{"bad format", []string{"run", "--format", "yaml", good}, "", 2, nil, `unknown format "yaml"`, ""},
		{"two scenarios", []string{"run", good, good}, "", 2, nil, "exactly one scenario", ""},
		{"unknown flag", []string{"run", "--colour", good}, "", 2, nil, "flag provided but not defined", ""},
		{"isolation both", []string{"run", "--isolation", "atomic,check-then-act", "--policies", "strict", "preset:booking-race"}, "", 0, []string{"strict@check-then-act", "201+201 ×4", "double booking"}, "", ""},
		{"bad isolation", []string{"run", "--isolation", "serial", good}, "", 2, nil, `unknown isolation "serial"`, ""},
		{"bound", []string{"run", "--max-states", "1", "--policies", "strict", "preset:delete-race"}, "", 0, []string{"(incomplete)"}, "", ""},
		{"bad bound", []string{"run", "--max-states", "0", good}, "", 2, nil, "--max-states must be at least 1", ""},
		{"policies", []string{"policies"}, "", 0, []string{"strict", "core, default", "zalando", "guideline"}, "", ""},
		{"policies json", []string{"policies", "--format", "json"}, "", 0, []string{`"id": "kubernetes"`}, "", ""},
		{"presets", []string{"presets"}, "", 0, []string{"follow-twice", "Follow twice, then unfollow twice"}, "", ""},
		{"presets extra arg", []string{"presets", "x"}, "", 2, nil, "takes only --format", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := runCLI(tc.args, strings.NewReader(tc.stdin), &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if tc.notInStdout != "" && strings.Contains(out.String(), tc.notInStdout) {
				t.Errorf("stdout contains %q", tc.notInStdout)
			}
			if tc.stderr != "" && !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.stderr)
			}
		})
	}
}

// TestCLIGolden pins the table and Markdown renderings of one preset.
func TestCLIGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "markdown"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			if code := runCLI([]string{"run", "--format", format, "preset:follow-twice"}, nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			path := filepath.Join("testdata", "follow-twice."+format)
			if *update {
				mustWrite(t, path, out.String())
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test . -run TestCLIGolden -update)", err)
			}
			if out.String() != string(want) {
				t.Errorf("output differs from %s:\n%s", path, out.String())
			}
		})
	}
}

func TestTableColour(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := runCLI([]string{"run", "preset:delete-twice"}, nil, &out, &out); code != 0 {
		t.Fatal(out.String())
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("colour escapes sent to a buffer, which is not a terminal")
	}
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := progressLine{w: &b}
	p.show(simulator.Progress{Columns: 7, ColumnsDone: 2, States: 45000, Elapsed: 500 * time.Millisecond, Left: 9 * time.Second})
	if b.Len() != 0 {
		t.Errorf("a run under a second shows %q, want nothing", b.String())
	}
	p.show(simulator.Progress{Columns: 7, ColumnsDone: 2, States: 45000, Elapsed: 1500 * time.Millisecond, Left: 8500 * time.Millisecond})
	if want := "\r\x1b[K2 of 7 columns done, 45 000 states explored, 8.5 s left"; b.String() != want {
		t.Errorf("progress %q, want %q", b.String(), want)
	}
	b.Reset()
	p.clear()
	p.clear()
	if b.String() != "\r\x1b[K" {
		t.Errorf("clear wrote %q, want the line cleared once", b.String())
	}
	// Standard error that is not a terminal never gets the line.
	var out, errb bytes.Buffer
	if code := runCLI([]string{"run", "--timeout", "1500ms", "--policies", "strict", "-"}, strings.NewReader(creates(8)), &out, &errb); code != 0 || errb.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, errb.String())
	}
}

// creates is a race of n POSTs without ids, which takes seconds to explore.
func creates(n int) string {
	var b strings.Builder
	b.WriteString("race {\n")
	for i := range n {
		fmt.Fprintf(&b, "  POST /q\n  {\"n\": %d}\n\n", i)
	}
	return b.String() + "}\n"
}
