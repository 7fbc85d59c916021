package simulator

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
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
				t.Errorf("%s differs from the golden file; run with -update and review the diff", p.Name)
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
