package simulator

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestPresetGolden pins the JSON matrix of every preset under every
// built-in policy. Run with -update after a deliberate change and review
// the diff line by line.
func TestPresetGolden(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(p.Text, Options{File: p.Name, Policies: []string{"all"}})
			if err != nil {
				t.Fatal(err)
			}
			got := res.JSON()
			path := filepath.Join("testdata", "golden", p.Name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./simulator -run TestPresetGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; run with -update and review the diff:\n%s", p.Name, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestDeterministic runs the same scenario twice: same input, same bytes.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		a, err := Run(p.Text, Options{Policies: []string{"all"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Run(p.Text, Options{Policies: []string{"all"}})
		if !bytes.Equal(a.JSON(), b.JSON()) {
			t.Errorf("%s: two runs differ", p.Name)
		}
	}
}

// lineDiff shows where two texts part: the first differing lines with a
// little context, marked - for the golden file and + for the result. It is
// not a minimal diff, only enough to see what changed without a tool.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out strings.Builder
	shown := 0
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x == y {
			continue
		}
		fmt.Fprintf(&out, "line %d:\n- %s\n+ %s\n", i+1, x, y)
		if shown++; shown == 12 {
			out.WriteString("... (more differences; the lines after the first shift may all differ)\n")
			break
		}
	}
	return out.String()
}
