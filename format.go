package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/httpplay/httpplay/simulator"
)

// cell is the short form of one policy's answer to one step.
func cell(r simulator.Response) string { return r.Brief() }

// anyUnfilled reports whether some answer used an empty capture.
func anyUnfilled(res *simulator.Result) bool {
	for _, st := range res.Steps {
		for _, r := range st.Results {
			if len(r.Unfilled) > 0 {
				return true
			}
		}
	}
	return false
}

// propertyRows names the analysed properties in the order they are shown.
var propertyRows = []struct {
	label string
	get   func(simulator.Properties) simulator.Property
}{
	{"retry-safe", func(p simulator.Properties) simulator.Property { return p.RetrySafe }},
	{"idempotent effect", func(p simulator.Properties) simulator.Property { return p.IdempotentEffect }},
	{"leaks existence", func(p simulator.Properties) simulator.Property { return p.LeaksExistence }},
	{"loses updates", func(p simulator.Properties) simulator.Property { return p.LosesUpdates }},
	{"double booking", func(p simulator.Properties) simulator.Property { return p.DoubleBooking }},
	{"cacheable refusals", func(p simulator.Properties) simulator.Property { return p.CacheableRefusals }},
}

// propertyCell is yes, no, or a dash when the scenario cannot tell.
func propertyCell(p simulator.Property) string {
	switch {
	case p.Value == nil:
		return "–"
	case *p.Value:
		return "yes"
	}
	return "no"
}

// propertyTable is one row per property that some column can judge.
func propertyTable(res *simulator.Result) [][]string {
	var rows [][]string
	for _, pr := range propertyRows {
		row := []string{pr.label}
		judged := false
		for _, id := range res.Policies {
			p := pr.get(res.Properties[id])
			judged = judged || p.Value != nil
			row = append(row, propertyCell(p))
		}
		if judged {
			rows = append(rows, row)
		}
	}
	return rows
}

// stepLabel describes a step's request in a few words.
func stepLabel(st simulator.Step) string {
	if st.Request != nil {
		return st.Request.Method + " " + st.Request.Path
	}
	clients := map[string]bool{}
	for _, r := range st.Race {
		clients[r.Client] = true
	}
	return fmt.Sprintf("race (%d clients, %d requests)", len(clients), len(st.Race))
}

// tableMatrix renders the matrix for a terminal: one row per step, "≠"
// before rows where policies disagree, and lint findings underneath.
func tableMatrix(res *simulator.Result, colour bool) string {
	rows := [][]string{append([]string{"", "LINE", "REQUEST"}, res.Policies...)}
	var colours [][]string
	colours = append(colours, nil)
	for _, st := range res.Steps {
		mark := ""
		if st.Differs {
			mark = "≠"
		}
		row := []string{mark, fmt.Sprint(st.Line), stepLabel(st)}
		cols := make([]string, 3, 3+len(res.Policies))
		for _, p := range res.Policies {
			r := st.Results[p]
			row = append(row, cell(r))
			cols = append(cols, statusColour(r.Status))
		}
		rows = append(rows, row)
		colours = append(colours, cols)
	}
	if !colour {
		colours = nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", termSafe(res.Title))
	b.WriteString(alignRows(rows, colours))
	if props := propertyTable(res); len(props) > 0 {
		b.WriteString("\nProperties:\n")
		head := append([]string{""}, res.Policies...)
		b.WriteString(alignRows(append([][]string{head}, props...), nil))
	}
	var lint []string
	for _, st := range res.Steps {
		for _, p := range res.Policies {
			for _, f := range st.Results[p].Lint {
				if f.Level == "info" {
					continue
				}
				lint = append(lint, termSafe(fmt.Sprintf("  line %d, %s: %s: %s (%s)", st.Line, p, f.Level, f.Message, f.Cite)))
			}
		}
	}
	if len(lint) > 0 {
		b.WriteString("\nLint:\n")
		b.WriteString(strings.Join(lint, "\n"))
		b.WriteByte('\n')
	}
	if notes := raceNotes(res); len(notes) > 0 {
		b.WriteString("\nIncomplete races:\n")
		for _, n := range notes {
			b.WriteString("  " + termSafe(n) + "\n")
		}
	}
	b.WriteString("\n≠ marks requests the policies answer differently; --format json shows headers, bodies and the reasons.\n")
	if anyUnfilled(res) {
		b.WriteString("∅ marks answers to a request that used an empty capture ({{name}} found nothing); the trace says which.\n")
	}
	return b.String()
}

func statusColour(status int) string {
	switch status / 100 {
	case 2:
		return "\x1b[32m"
	case 3:
		return "\x1b[36m"
	case 4:
		return "\x1b[33m"
	case 5:
		return "\x1b[31m"
	}
	return ""
}

// termSafe escapes what a terminal would act on rather than show: C0
// and C1 control characters, DEL, invalid UTF-8 (a lone byte 0x9b is CSI
// to some terminals), line and paragraph separators, and the bidirectional
// overrides that make text read otherwise than it is. Scenario text,
// paths and titles reach the output, and a path such as
// "/\x1b]0;title\x07" must not retitle the window.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError ||
		r == '\u2028' || r == '\u2029' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// alignRows pads columns to their widest cell, counting runes so that
// "≠" takes one column. Every cell is passed through termSafe first.
func alignRows(rows [][]string, colours [][]string) string {
	safe := make([][]string, len(rows))
	for i, r := range rows {
		safe[i] = make([]string, len(r))
		for j, c := range r {
			safe[i][j] = termSafe(c)
		}
	}
	rows = safe
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	for ri, r := range rows {
		for i, c := range r {
			last := i == len(r)-1
			col := ""
			if colours != nil && ri < len(colours) && i < len(colours[ri]) {
				col = colours[ri][i]
			}
			if col != "" {
				b.WriteString(col + c + "\x1b[0m")
			} else {
				b.WriteString(c)
			}
			if !last {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// raceNotes says, for each race that was explored only in part, why.
func raceNotes(res *simulator.Result) []string {
	var notes []string
	for _, st := range res.Steps {
		for _, p := range res.Policies {
			if rr := st.Results[p].Race; rr != nil && !rr.Complete {
				notes = append(notes, fmt.Sprintf("line %d, %s: %s", st.Line, p, rr.Note))
			}
		}
	}
	return notes
}

// markdownMatrix renders the matrix as a Markdown table for documentation,
// the same table the playground copies.
func markdownMatrix(res *simulator.Result) string {
	// The table may reach a terminal: control characters in titles and
	// paths are shown as escapes, line by line.
	lines := strings.Split(res.Markdown(), "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}
