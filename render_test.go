package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderGoldenConfig is the configuration each golden input is rendered
// with; files not listed use the defaults.
var renderGoldenConfig = map[string]renderConfig{
	"several.md": {format: "table", playground: "https://httpplay.example/play/"},
}

// TestRenderGolden renders each testdata/render/*.md, compares the result
// with its .golden file, and renders the result again: the second run must
// change nothing and find no stale block.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	inputs, _ := filepath.Glob(filepath.Join("testdata", "render", "*.md"))
	if len(inputs) < 6 {
		t.Fatalf("found %d inputs under testdata/render", len(inputs))
	}
	for _, in := range inputs {
		base := filepath.Base(in)
		if base == "errors.md" {
			continue
		}
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, ok := renderGoldenConfig[base]
			if !ok {
				cfg = renderConfig{format: "table"}
			}
			runner := newCommandRunner()
			defer runner.close()
			cfg.exec = runner
			doc, errs := renderMarkdown(in, src, cfg)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			golden(t, strings.TrimSuffix(in, ".md")+".golden", doc.out)
			again, errs := renderMarkdown(in, doc.out, cfg)
			if len(errs) > 0 {
				t.Fatalf("second run: %v", errs)
			}
			if !bytes.Equal(again.out, doc.out) {
				t.Errorf("rendering twice changed the file:\n%s", lineDiff(string(doc.out), string(again.out)))
			}
			for _, b := range again.blocks {
				if b.stale {
					t.Errorf("block at line %d is stale right after rendering", b.line)
				}
			}
		})
	}
}

// TestRenderErrors checks that every mistake is reported, each at its
// FILE:LINE:COL in the Markdown file, and that nothing is written then.
func TestRenderErrors(t *testing.T) {
	t.Parallel()
	in := filepath.Join("testdata", "render", "errors.md")
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	runner := newCommandRunner()
	defer runner.close()
	doc, errs := renderMarkdown("errors.md", src, renderConfig{format: "table", exec: runner})
	if doc.out != nil {
		t.Errorf("output despite errors: %q", doc.out)
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	golden(t, filepath.Join("testdata", "render", "errors.golden"), []byte(b.String()))
}

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ, with their numbers: enough to see
// what changed without a diff library.
func lineDiff(want, got string) string {
	w, g := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// TestRenderCommand drives `httpplay render` as a user would: the filter,
// --check on a stale and on a fresh file, -w, and usage mistakes.
func TestRenderCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.md")
	src, err := os.ReadFile(filepath.Join("testdata", "render", "rendered.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "render", "rendered.golden"))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, stale, string(src))
	bad := filepath.Join(dir, "bad.md")
	mustWrite(t, bad, "```httpplay\nGET users\n```\n")

	run := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runCLI(append([]string{"render"}, args...), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := run(string(src)); code != 0 || out != string(want) {
		t.Errorf("filter: exit %d, stderr %q, output:\n%s", code, errs, lineDiff(string(want), out))
	}
	code, out, errs := run("", "--check", stale)
	if code != 1 || out != "" {
		t.Errorf("--check on a stale file: exit %d, stdout %q", code, out)
	}
	for _, at := range []string{stale + ":3:1: ", stale + ":15:1: "} {
		if !strings.Contains(errs, at+"the output of this httpplay block is stale") {
			t.Errorf("--check does not list %s in:\n%s", at, errs)
		}
	}
	if got, _ := os.ReadFile(stale); !bytes.Equal(got, src) {
		t.Error("--check changed the file")
	}
	if code, out, errs := run("", "-w", stale); code != 0 || out != "" {
		t.Errorf("-w: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got, _ := os.ReadFile(stale); !bytes.Equal(got, want) {
		t.Errorf("-w wrote:\n%s", lineDiff(string(want), string(got)))
	}
	if code, _, errs := run("", stale, "--check"); code != 0 || errs != "" {
		t.Errorf("--check after -w: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("", "--check", bad); code != 1 || !strings.Contains(errs, bad+":2:5: the path must start with") {
		t.Errorf("--check on a broken block: exit %d, stderr %q", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--check", "-w", stale}, "not both"},
		{[]string{"-w"}, "need files"},
		{[]string{"--format", "yaml", stale}, `unknown format "yaml"`},
		{[]string{filepath.Join(dir, "missing.md")}, "no such file"},
		{[]string{"--mdbook", "-w"}, "neither --check nor -w"},
		{[]string{"--mdbook", "frobnicate"}, "unexpected arguments"},
	} {
		if code, _, errs := run("", tc.args...); code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("render %q: exit %d, stderr %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestMdbook feeds recorded preprocessor input in the format mdBook
// documents ([context, book], chapters nested under sub_items, a separator,
// a part title and a draft chapter) and compares the book it writes.
func TestMdbook(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "render", "mdbook")
	run := func(stdin []byte, args ...string) (int, []byte, string) {
		var out, errb bytes.Buffer
		code := runCLI(append([]string{"render", "--mdbook"}, args...), bytes.NewReader(stdin), &out, &errb)
		return code, out.Bytes(), errb.String()
	}
	for _, renderer := range []string{"html", "markdown"} {
		if code, out, _ := run(nil, "supports", renderer); code != 0 || len(out) != 0 {
			t.Errorf("supports %s: exit %d, output %q", renderer, code, out)
		}
	}
	input, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(input)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, filepath.Join(dir, "output.json"), out)
	// The book's shape is kept: only chapter contents change, and running
	// the preprocessor on its own output changes nothing more.
	var in []any
	json.Unmarshal(input, &in)
	var book map[string]any
	if err := json.Unmarshal(out, &book); err != nil {
		t.Fatalf("the output is not JSON: %v", err)
	}
	if _, ok := book["__non_exhaustive"]; !ok {
		t.Error("the book lost its __non_exhaustive field")
	}
	sections := book["sections"].([]any)
	if len(sections) != 4 || sections[1] != "Separator" {
		t.Errorf("sections changed shape: %v", sections)
	}
	content := sections[0].(map[string]any)["Chapter"].(map[string]any)["content"].(string)
	for _, want := range []string{"<!-- httpplay:begin -->", `<table class="httpplay-matrix">`, `class="httpplay-policy">zalando</th>`, "https://httpplay.example/#z=", "End of chapter.\n"} {
		if !strings.Contains(content, want) {
			t.Errorf("chapter 1 lacks %q:\n%s", want, content)
		}
	}
	again, _ := json.Marshal([]any{in[0], book})
	if code, out2, errs := run(again); code != 0 || !bytes.Equal(out2, out) {
		t.Errorf("second run: exit %d, %s, output changed: %v", code, errs, !bytes.Equal(out2, out))
	}

	bad, err := os.ReadFile(filepath.Join(dir, "error.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(bad); code != 1 || len(out) != 0 || !strings.Contains(errs, "deleting/nested.md:4:5: the path must start with") {
		t.Errorf("a broken chapter: exit %d, output %d bytes, stderr %q", code, len(out), errs)
	}
	for _, junk := range []string{"", "{}", "[1, 2]", `[{}, {"sections": []}, 3]`} {
		if code, _, errs := run([]byte(junk)); code != 1 || !strings.Contains(errs, "not mdBook's [context, book] JSON") {
			t.Errorf("input %q: exit %d, stderr %q", junk, code, errs)
		}
	}
}

func TestSplitCommands(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		lines []string
		want  string // words joined by "|", commands by " / "
		err   string
	}{
		"plain":          {[]string{"curl -s http://h/a"}, "curl|-s|http://h/a", ""},
		"quotes":         {[]string{`curl -d 'a b' "c \"d\" \$e" f\ g`}, `curl|-d|a b|c "d" $e|f g`, ""},
		"multi-line":     {[]string{"curl -d 'one", "", "two' x"}, "curl|-d|one\n\ntwo|x", ""},
		"continuation":   {[]string{`curl \`, `  -s x`}, "curl|-s|x", ""},
		"two commands":   {[]string{"a 1", "", "b 2"}, "a|1 / b|2", ""},
		"comment":        {[]string{"# note", "a # rest"}, "a", ""},
		"pipe":           {[]string{"a | head -n 2"}, "a|<|>|head|-n|2", ""},
		"open quote":     {[]string{"a 'b"}, "", "1:3: this quote is never closed"},
		"dollar refused": {[]string{"a $HOME"}, "", `1:3: "$" is not supported here; quote it`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmds, err := splitCommands(tc.lines)
			if tc.err != "" || err != nil {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			var parts []string
			for _, c := range cmds {
				var ws []string
				for _, w := range c.words {
					if w.op {
						ws = append(ws, "<", ">")
						continue
					}
					ws = append(ws, w.text)
				}
				parts = append(parts, strings.Join(ws, "|"))
			}
			if got := strings.Join(parts, " / "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzRender renders arbitrary Markdown: no panic, errors only with a
// position, and a successful render is idempotent and keeps every byte
// outside the markers it wrote.
func FuzzRender(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "render", "*.md"))
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("```httpplay\nDELETE /a\n```\n<!-- httpplay:begin -->\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 8<<10 {
			return
		}
		cfg := renderConfig{format: "table"} // no command runner: cli and api blocks are errors
		doc, errs := renderMarkdown("f.md", src, cfg)
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "f.md:") {
				t.Fatalf("error without a position: %v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		again, errs := renderMarkdown("f.md", doc.out, cfg)
		if len(errs) > 0 || !bytes.Equal(again.out, doc.out) {
			t.Fatalf("not idempotent: %v\n%q\n%q", errs, doc.out, again.out)
		}
		if len(doc.blocks) == 0 && !bytes.Equal(doc.out, src) {
			t.Fatalf("a file without blocks changed: %q", src)
		}
	})
}
