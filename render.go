package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/httpplay/httpplay/internal/matrixhtml"
	"github.com/httpplay/httpplay/simulator"
)

// The markers around what render writes after a block. Everything between
// them belongs to render; everything else in the file is left byte for byte.
const (
	beginMarker = "<!-- httpplay:begin -->"
	endMarker   = "<!-- httpplay:end -->"
)

const renderUsage = `usage: httpplay render [--check | -w] [--format table|html|json]
                       [--policies a,b,...] [--playground URL] [FILE...]
       httpplay render --mdbook [supports RENDERER]

render fills in the output of every fenced block whose info string is
httpplay, between <!-- httpplay:begin --> and <!-- httpplay:end --> right
after the block. Without --check or -w it prints the rendered files (or
standard input) to standard output. Exit status: 0 done (or up to date),
1 a block has an error (FILE:LINE:COL) or, with --check, is stale, 2 usage.
`

// renderConfig holds the defaults a block's own options override.
type renderConfig struct {
	format     string   // table, html or json
	policies   []string // nil: the simulator's default columns
	playground string   // playground address for "Open in playground"; "" for none
	// exec runs the commands of cli and api blocks; nil refuses them.
	exec *commandRunner
}

// renderCommand runs `httpplay render`.
func renderCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("render", renderUsage, stderr)
	check := fs.Bool("check", false, "report blocks whose output is stale and exit 1; write nothing")
	write := fs.Bool("w", false, "write the rendered files in place")
	format := fs.String("format", "table", "default output of a block: table (Markdown), html or json")
	policies := fs.String("policies", "", "default policies of a block (comma-separated, or all)")
	playground := fs.String("playground", "", "playground address: adds an \"Open in playground\" link with the permalink")
	mdbook := fs.Bool("mdbook", false, "act as an mdBook preprocessor: [context, book] JSON on stdin, the book on stdout")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageStatus(err)
	}
	cfg := renderConfig{format: *format, playground: *playground}
	if *policies != "" {
		cfg.policies = splitList(*policies)
	}
	if !validFormat(cfg.format) {
		fmt.Fprintf(stderr, "httpplay render: unknown format %q: use table, html or json\n", cfg.format)
		return 2
	}
	if *mdbook {
		if *check || *write {
			fmt.Fprintln(stderr, "httpplay render: --mdbook takes neither --check nor -w")
			return 2
		}
		return mdbookCommand(pos, cfg, stdin, stdout, stderr)
	}
	if *check && *write {
		fmt.Fprintln(stderr, "httpplay render: give --check or -w, not both")
		return 2
	}
	if (*check || *write) && (len(pos) == 0 || (len(pos) == 1 && pos[0] == "-")) {
		fmt.Fprintln(stderr, "httpplay render: --check and -w need files")
		return 2
	}
	runner := newCommandRunner()
	defer runner.close()
	cfg.exec = runner
	if len(pos) == 0 {
		pos = []string{"-"}
	}
	status := 0
	for _, name := range pos {
		var src []byte
		if name == "-" {
			src, err = io.ReadAll(io.LimitReader(stdin, maxMarkdownBytes+1))
			name = "stdin"
		} else {
			src, err = readMarkdown(name)
		}
		if err == nil && len(src) > maxMarkdownBytes {
			err = fmt.Errorf("%s is larger than %d MiB", name, maxMarkdownBytes>>20)
		}
		if err != nil {
			fmt.Fprintf(stderr, "httpplay render: %v\n", err)
			return 2
		}
		doc, errs := renderMarkdown(name, src, cfg)
		if len(errs) > 0 {
			for _, e := range errs {
				fmt.Fprintln(stderr, e)
			}
			status = 1
			continue
		}
		switch {
		case *check:
			for _, b := range doc.blocks {
				if b.stale {
					fmt.Fprintf(stderr, "%s:%d:%d: the output of this httpplay block is stale; run httpplay render -w %s\n", name, b.line, b.col, name)
					status = 1
				}
			}
		case *write:
			if !bytes.Equal(doc.out, src) {
				if err := writeFileKeepMode(name, doc.out); err != nil {
					fmt.Fprintf(stderr, "httpplay render: %v\n", err)
					return 2
				}
			}
		default:
			if _, err := stdout.Write(doc.out); err != nil {
				fmt.Fprintf(stderr, "httpplay render: %v\n", err)
				return 2
			}
		}
	}
	return status
}

// maxMarkdownBytes bounds a file render reads: a documentation page is far
// smaller, and a wrong argument is refused rather than read whole.
const maxMarkdownBytes = 16 << 20

func readMarkdown(name string) ([]byte, error) {
	if st, err := os.Stat(name); err == nil && st.Size() > maxMarkdownBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxMarkdownBytes>>20)
	}
	return os.ReadFile(name)
}

// writeFileKeepMode replaces name's content, keeping its permissions.
func writeFileKeepMode(name string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	return os.WriteFile(name, data, mode)
}

func validFormat(f string) bool { return f == "table" || f == "html" || f == "json" }

// rendered is a Markdown file after render: its new bytes and, per block,
// where it starts and whether the file held its current output.
type rendered struct {
	out    []byte
	blocks []blockState
}

type blockState struct {
	line, col int
	stale     bool
}

// renderError is a mistake in a block, at a position in the Markdown file.
type renderError struct {
	file      string
	line, col int
	msg       string
}

func (e *renderError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
}

// mdLine is one line of the source with its terminator ("\n", "\r\n" or ""
// for a last line without one).
type mdLine struct {
	text, eol string
	start     int // byte offset of the line in the file
}

func splitLines(src []byte) []mdLine {
	var lines []mdLine
	for at := 0; at < len(src); {
		end := bytes.IndexByte(src[at:], '\n')
		l := mdLine{start: at}
		if end < 0 {
			l.text = string(src[at:])
			at = len(src)
		} else {
			l.text = string(src[at : at+end])
			l.eol = "\n"
			at += end + 1
		}
		if strings.HasSuffix(l.text, "\r") && l.eol == "\n" {
			l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
		}
		lines = append(lines, l)
	}
	return lines
}

// fence is an opening code fence (CommonMark §4.5).
type fence struct {
	char   byte
	n      int // length of the run of fence characters
	indent int // spaces before it, at most 3
	info   string
	infoAt int // byte offset of info in the line
}

// openingFence reports whether line opens a fenced code block.
func openingFence(line string) (fence, bool) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	if indent > 3 || indent >= len(line) || (line[indent] != '`' && line[indent] != '~') {
		return fence{}, false
	}
	f := fence{char: line[indent], indent: indent}
	for indent+f.n < len(line) && line[indent+f.n] == f.char {
		f.n++
	}
	if f.n < 3 {
		return fence{}, false
	}
	rest := line[indent+f.n:]
	if f.char == '`' && strings.ContainsRune(rest, '`') {
		return fence{}, false
	}
	trimmed := strings.TrimLeft(rest, " \t")
	f.infoAt = len(line) - len(trimmed)
	f.info = strings.TrimRight(trimmed, " \t")
	return f, true
}

// closes reports whether line closes the block f opened.
func (f fence) closes(line string) bool {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	if indent > 3 {
		return false
	}
	n := 0
	for indent+n < len(line) && line[indent+n] == f.char {
		n++
	}
	return n >= f.n && strings.Trim(line[indent+n:], " \t") == ""
}

// isBlank reports a line of only spaces and tabs.
func isBlank(s string) bool { return strings.Trim(s, " \t") == "" }

// renderMarkdown renders every httpplay block of src. It returns every
// error of every block, and then no output.
func renderMarkdown(name string, src []byte, cfg renderConfig) (rendered, []error) {
	lines := splitLines(src)
	var out bytes.Buffer
	var doc rendered
	var errs []error
	copied := 0 // bytes of src already in out
	defaultEOL := "\n"
	for _, l := range lines {
		if l.eol != "" {
			defaultEOL = l.eol
			break
		}
	}
	for i := 0; i < len(lines); i++ {
		f, ok := openingFence(lines[i].text)
		if !ok {
			continue
		}
		open := i
		closing := -1
		for j := i + 1; j < len(lines); j++ {
			if f.closes(lines[j].text) {
				closing = j
				break
			}
		}
		word, _, _ := strings.Cut(f.info, " ")
		if word != "httpplay" {
			if closing < 0 {
				break // the block runs to the end of the file
			}
			i = closing
			continue
		}
		if closing < 0 {
			errs = append(errs, &renderError{name, open + 1, f.indent + 1, "this httpplay block is never closed"})
			break
		}
		i = closing
		blk := block{file: name, line: open + 1, fence: f, infoLine: lines[open].text}
		for _, l := range lines[open+1 : closing] {
			text := l.text
			strip := 0
			for strip < f.indent && strip < len(text) && text[strip] == ' ' {
				strip++
			}
			blk.content = append(blk.content, text[strip:])
			blk.strip = append(blk.strip, strip)
		}
		// Find what an earlier run wrote: the markers after blank lines.
		regionStart, regionEnd := -1, -1
		next := closing + 1
		for next < len(lines) && isBlank(lines[next].text) {
			next++
		}
		if next < len(lines) && strings.TrimRight(lines[next].text, " \t") == beginMarker {
			for k := next + 1; k < len(lines); k++ {
				if strings.TrimRight(lines[k].text, " \t") == endMarker {
					regionStart, regionEnd = next, k
					break
				}
			}
			if regionStart < 0 {
				errs = append(errs, &renderError{name, next + 1, 1, beginMarker + " has no " + endMarker + " after it"})
				continue
			}
		}
		text, err := blk.render(cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		eol := lines[closing].eol
		if eol == "" {
			eol = defaultEOL
		}
		region := beginMarker + eol + eol + strings.ReplaceAll(text, "\n", eol) + eol + endMarker
		state := blockState{line: open + 1, col: f.indent + 1}
		if regionStart >= 0 {
			from := lines[regionStart].start
			to := lines[regionEnd].start + len(lines[regionEnd].text)
			state.stale = string(src[from:to]) != region
			out.Write(src[copied:from])
			out.WriteString(region)
			copied = to
			i = regionEnd
		} else {
			state.stale = true
			end := lines[closing].start + len(lines[closing].text) + len(lines[closing].eol)
			out.Write(src[copied:end])
			if lines[closing].eol == "" {
				out.WriteString(eol)
			}
			out.WriteString(eol + region + eol)
			if closing+1 < len(lines) && !isBlank(lines[closing+1].text) {
				out.WriteString(eol)
			}
			copied = end
		}
		doc.blocks = append(doc.blocks, state)
	}
	if len(errs) > 0 {
		return rendered{}, errs
	}
	out.Write(src[copied:])
	doc.out = out.Bytes()
	return doc, nil
}

// block is one httpplay block of a Markdown file.
type block struct {
	file     string
	line     int // of the opening fence, 1-based
	fence    fence
	infoLine string
	content  []string // lines without the fence's indentation
	strip    []int    // spaces removed from each line
}

// errAt is an error at column col (1-based) of the block's line-th line
// (0 is the opening fence).
func (b *block) errAt(line, col int, format string, args ...any) error {
	if line > 0 && line <= len(b.strip) {
		col += b.strip[line-1]
	}
	return &renderError{b.file, b.line + line, col, fmt.Sprintf(format, args...)}
}

// blockOptions are the words of the info string after "httpplay".
type blockOptions struct {
	kind      string // "" (a scenario), "cli" or "api"
	format    string
	policies  []string
	isolation []string
	live      bool
	// columns of the policies= and isolation= options, for the errors
	// the simulator reports about them without a position.
	policiesCol, isolationCol int
}

// options reads the info string: `httpplay [cli|api] [live] [key=value]...`.
func (b *block) options(cfg renderConfig) (blockOptions, error) {
	o := blockOptions{format: cfg.format, policies: cfg.policies}
	info := b.fence.info
	at := b.fence.infoAt
	words := strings.Fields(info)
	offset := 0
	explicit := false
	for wi, w := range words {
		idx := strings.Index(info[offset:], w) + offset
		offset = idx + len(w)
		col := at + idx + 1
		if wi == 0 {
			continue // "httpplay"
		}
		key, value, hasValue := strings.Cut(w, "=")
		explicit = explicit || wi > 1 || w == "live" || hasValue
		switch {
		case !hasValue && (w == "cli" || w == "api") && wi == 1:
			o.kind = w
		case !hasValue && w == "live":
			o.live = true
		case key == "format":
			if !validFormat(value) {
				return o, b.errAt(0, col, "unknown format %q: use table, html or json", value)
			}
			o.format = value
		case key == "policies":
			o.policies, o.policiesCol = splitList(value), col
			if len(o.policies) == 0 {
				return o, b.errAt(0, col, "policies= names no policy")
			}
		case key == "isolation":
			o.isolation, o.isolationCol = splitList(value), col
		case hasValue:
			return o, b.errAt(0, col, "unknown option %q (known: format, policies, isolation, live, and cli or api first)", key)
		default:
			return o, b.errAt(0, col, "unknown option %q (known: format=, policies=, isolation=, live, and cli or api first)", w)
		}
	}
	if o.kind != "" && explicit {
		return o, b.errAt(0, at+1, "a %s block runs its commands as written and takes no options", o.kind)
	}
	if o.live {
		o.format = "html"
	}
	return o, nil
}

// splitList splits "a, b,,c" into [a b c].
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// render returns what goes between the markers, with "\n" line ends.
func (b *block) render(cfg renderConfig) (string, error) {
	o, err := b.options(cfg)
	if err != nil {
		return "", err
	}
	text := strings.Join(b.content, "\n")
	if len(b.content) > 0 {
		text += "\n"
	}
	switch o.kind {
	case "cli", "api":
		if cfg.exec == nil {
			return "", b.errAt(0, b.fence.infoAt+1, "%s blocks cannot run here", o.kind)
		}
		return cfg.exec.run(b, o.kind)
	}
	res, err := simulator.Run(text, simulator.Options{
		File:           b.file,
		Policies:       o.policies,
		Isolation:      o.isolation,
		MaxStates:      matrixhtml.Limits.MaxStates,
		MaxTotalStates: matrixhtml.Limits.MaxTotalStates,
	})
	if err != nil {
		var serr *simulator.Error
		if errors.As(err, &serr) {
			line, col := serr.Line, serr.Col
			if line < 1 {
				line, col = 1, 1
			}
			return "", b.errAt(line, col, "%s", serr.Msg)
		}
		col := b.fence.infoAt + 1
		switch msg := err.Error(); {
		case o.policiesCol > 0 && strings.Contains(msg, "polic"):
			col = o.policiesCol
		case o.isolationCol > 0 && strings.Contains(msg, "isolation"):
			col = o.isolationCol
		}
		return "", b.errAt(0, col, "%v", err)
	}
	link := ""
	if cfg.playground != "" {
		link = matrixhtml.Permalink(cfg.playground, text, o.policies)
	}
	switch o.format {
	case "html":
		frag := matrixhtml.Render(res, matrixhtml.Options{Playground: cfg.playground, Text: text, Policies: o.policies}).HTML()
		if o.live {
			return matrixhtml.LiveElement(frag, text, o.policies, o.isolation, cfg.playground) + "\n", nil
		}
		return frag + "\n", nil
	case "json":
		out := "```json\n" + string(res.JSON()) + "```\n"
		if link != "" {
			out += "\n" + markdownLink(link) + "\n"
		}
		return out, nil
	}
	out := markdownMatrix(res)
	if link != "" {
		out += "\n" + markdownLink(link) + "\n"
	}
	return out, nil
}

// markdownLink is the "Open in playground" link; an address with spaces or
// parentheses goes in angle brackets, as CommonMark allows.
func markdownLink(url string) string {
	if strings.ContainsAny(url, " ()<>") {
		url = "<" + strings.NewReplacer("<", "%3C", ">", "%3E").Replace(url) + ">"
	}
	return "[Open in playground ↗](" + url + ")"
}
