package simulator

import (
	"fmt"
	"strings"
)

// Markdown renders the matrix as a Markdown table for issues and
// documentation: one row per step, "≠" after the requests the columns
// answer differently, then the properties some column can judge. The CLI
// and the playground both print this, so a pasted table does not depend
// on where it was copied from.
func (r *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", mdEscape(r.Title))
	mdHeader(&b, "| Line | Request |", "|---:|---|", r.Policies)
	for _, st := range r.Steps {
		label := "`" + strings.ReplaceAll(mdStepLabel(st), "`", "'") + "`"
		if st.Differs {
			label += " ≠"
		}
		fmt.Fprintf(&b, "| %d | %s |", st.Line, label)
		for _, p := range r.Policies {
			fmt.Fprintf(&b, " %s |", mdEscape(mdCell(st.Results[p])))
		}
		b.WriteByte('\n')
	}
	if props := r.mdProperties(); len(props) > 0 {
		b.WriteByte('\n')
		mdHeader(&b, "| Property |", "|---|", r.Policies)
		for _, row := range props {
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	b.WriteString("\n≠ marks requests the policies answer differently.\n")
	for _, st := range r.Steps {
		for _, c := range st.Results {
			if len(c.Unfilled) > 0 {
				b.WriteString("∅ marks answers to a request that used an empty capture ({{name}} found nothing).\n")
				return b.String()
			}
		}
	}
	return b.String()
}

// mdHeader writes a table's header row and alignment row: the leading
// columns given, then one column per policy.
func mdHeader(b *strings.Builder, lead, align string, policies []string) {
	b.WriteString(lead)
	for _, p := range policies {
		b.WriteString(" " + mdEscape(p) + " |")
	}
	b.WriteString("\n" + align + strings.Repeat("---|", len(policies)) + "\n")
}

// mdEscape keeps table syntax and markup in scenario text literal.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "\r", " ", "\n", " ").Replace(s)
}

// mdStepLabel describes a step's request in a few words.
func mdStepLabel(st Step) string {
	if st.Request != nil {
		return st.Request.Method + " " + st.Request.Path
	}
	clients := map[string]bool{}
	for _, r := range st.Race {
		clients[r.Client] = true
	}
	return fmt.Sprintf("race (%d clients, %d requests)", len(clients), len(st.Race))
}

// Brief is the short form of a column's answer to a step, as the matrix's
// cells show it: "409 Conflict", with ∅ when the request used an empty
// capture; a race shows its outcome set, as "201+409 ×1 | 409+201 ×1".
func (r Response) Brief() string { return mdCell(r) }

// mdCell is Response.Brief.
func mdCell(r Response) string {
	if r.Race == nil {
		if len(r.Unfilled) > 0 {
			return fmt.Sprintf("%d %s ∅", r.Status, r.Reason)
		}
		return fmt.Sprintf("%d %s", r.Status, r.Reason)
	}
	// Outcomes that differ only in their situations share an entry; the
	// JSON keeps them apart.
	var order []string
	orders := map[string]int{}
	for _, o := range r.Race.Outcomes {
		k := statusList(o.Statuses)
		if _, seen := orders[k]; !seen {
			order = append(order, k)
		}
		orders[k] += o.Orders
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s ×%d", k, orders[k])
	}
	out := strings.Join(parts, " | ")
	if !r.Race.Complete {
		out += " (incomplete)"
	}
	return out
}

// mdPropertyRows names the analysed properties in the order they are shown.
var mdPropertyRows = []struct {
	label string
	get   func(Properties) Property
}{
	{"retry-safe", func(p Properties) Property { return p.RetrySafe }},
	{"idempotent effect", func(p Properties) Property { return p.IdempotentEffect }},
	{"leaks existence", func(p Properties) Property { return p.LeaksExistence }},
	{"loses updates", func(p Properties) Property { return p.LosesUpdates }},
	{"double booking", func(p Properties) Property { return p.DoubleBooking }},
	{"cacheable refusals", func(p Properties) Property { return p.CacheableRefusals }},
}

// mdProperties is one row per property that some column can judge:
// yes, no, or a dash where the scenario cannot tell.
func (r *Result) mdProperties() [][]string {
	var rows [][]string
	for _, pr := range mdPropertyRows {
		row := []string{pr.label}
		judged := false
		for _, id := range r.Policies {
			p := pr.get(r.Properties[id])
			judged = judged || p.Value != nil
			switch {
			case p.Value == nil:
				row = append(row, "–")
			case *p.Value:
				row = append(row, "yes")
			default:
				row = append(row, "no")
			}
		}
		if judged {
			rows = append(rows, row)
		}
	}
	return rows
}
