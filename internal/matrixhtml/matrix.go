package matrixhtml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/httpplay/httpplay/simulator"
)

// Options says what goes with the table besides the result.
type Options struct {
	// Playground is the address of the playground page; when set, the
	// fragment ends with an "Open in playground" link to the permalink of
	// Text and Policies.
	Playground string
	// Text is the scenario, for the permalink.
	Text string
	// Policies are the policies as the author chose them (nil: the
	// playground's defaults), for the permalink.
	Policies []string
}

// Limits are the race bounds of the browser page (web/js/engine.js), which
// render uses too, so that a table rendered at build time is the one the
// widget computes in the reader's browser.
var Limits = struct{ MaxStates, MaxTotalStates int }{10000, 20000}

// Render returns the fragment for res: a div.httpplay-result holding the
// table and, with a playground address, the link to it. Newlines between
// rows keep it readable inside a Markdown file and contain no blank line,
// which would end a Markdown HTML block.
func Render(res *simulator.Result, opt Options) *Node {
	nl := "\n"
	out := el("div", attrs("class", "httpplay-result"), nl)
	table := el("table", attrs("class", "httpplay-matrix"), nl)
	title := res.Title
	if title == "" {
		title = "Untitled scenario"
	}
	table.add(el("caption", nil, title), nl)
	head := el("tr", nil,
		el("th", attrs("scope", "col", "class", "httpplay-line"), "Line"),
		el("th", attrs("scope", "col"), "Request"))
	for _, id := range res.Policies {
		head.add(el("th", attrs("scope", "col", "class", "httpplay-policy"), id))
	}
	table.add(el("thead", nil, nl, head, nl), nl)

	body := el("tbody", nil, nl)
	for _, st := range res.Steps {
		differs := disagree(st, res.Policies)
		class := "httpplay-request"
		if st.Race != nil {
			class = "httpplay-race"
		}
		if differs {
			class += " httpplay-differs"
		}
		label := el("th", attrs("scope", "row"), el("code", nil, stepLabel(st)))
		if differs {
			label.add(" ", el("span", attrs("class", "httpplay-mark", "title", "the policies answer differently"), "≠"))
		}
		tr := el("tr", attrs("class", class), el("td", attrs("class", "httpplay-line"), fmt.Sprint(st.Line)), label)
		for _, id := range res.Policies {
			tr.add(cell(st.Results[id]))
		}
		body.add(tr, nl)
	}
	table.add(body, nl)

	if rows := propertyRows(res); len(rows) > 0 {
		props := el("tbody", attrs("class", "httpplay-properties"), nl)
		for _, r := range rows {
			props.add(r, nl)
		}
		table.add(props, nl)
	}
	out.add(table, nl)
	if opt.Playground != "" {
		link := Permalink(opt.Playground, opt.Text, opt.Policies)
		out.add(el("p", attrs("class", "httpplay-links"),
			el("a", attrs("class", "httpplay-open", "href", link), "Open in playground")), nl)
	}
	return out
}

// statusClass is httpplay-2xx and so on, for the stylesheet.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "httpplay-status"
	}
	return fmt.Sprintf("httpplay-status httpplay-%dxx", status/100)
}

// cell is one policy's answer: the status line, or for a race the list of
// distinct outcomes with the number of orders behind each. Outcomes that
// differ only in their final state are one entry, as in the text table.
func cell(r simulator.Response) *Node {
	if r.Race == nil {
		return el("td", attrs("class", statusClass(r.Status), "title", r.Situation), fmt.Sprintf("%d %s", r.Status, r.Reason))
	}
	groups := outcomeGroups(r.Race)
	list := el("ul", attrs("class", "httpplay-outcomes"))
	for _, g := range groups {
		li := el("li", nil)
		for i, s := range g.statuses {
			if i > 0 {
				li.add("+")
			}
			li.add(el("span", attrs("class", statusClass(s)), fmt.Sprint(s)))
		}
		li.add(el("span", attrs("class", "httpplay-orders"), fmt.Sprintf(" ×%d", g.orders)))
		list.add(li)
	}
	td := el("td", attrs("class", "httpplay-race-cell"), list)
	if !r.Race.Complete {
		td.add(el("span", attrs("class", "httpplay-partial", "title", r.Race.Note), "partial"))
	}
	return td
}

// group is the outcomes of a race that share their statuses.
type group struct {
	statuses []int
	orders   int
}

// outcomeGroups merges outcomes that differ only in their final state,
// keeping the order of first appearance.
func outcomeGroups(r *simulator.RaceResult) []*group {
	var groups []*group
	byKey := map[string]*group{}
	for _, o := range r.Outcomes {
		k := fmt.Sprint(o.Statuses)
		g := byKey[k]
		if g == nil {
			g = &group{statuses: o.Statuses}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.orders += o.Orders
	}
	return groups
}

// stepLabel is the request line, or the race's size.
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

// disagree reports whether the policies answered a step differently, by
// the same comparison as the text table: the status line, or a race's
// outcome statuses.
func disagree(st simulator.Step, policies []string) bool {
	key := func(r simulator.Response) string {
		if r.Race == nil {
			return fmt.Sprint(r.Status)
		}
		var parts []string
		for _, g := range outcomeGroups(r.Race) {
			parts = append(parts, fmt.Sprint(g.statuses, g.orders))
		}
		return fmt.Sprint(parts, r.Race.Complete)
	}
	for i := 1; i < len(policies); i++ {
		if key(st.Results[policies[i]]) != key(st.Results[policies[0]]) {
			return true
		}
	}
	return false
}

// properties names the analysed properties in the order of the text table.
var properties = []struct {
	label string
	good  bool
	get   func(simulator.Properties) simulator.Property
}{
	{"retry-safe", true, func(p simulator.Properties) simulator.Property { return p.RetrySafe }},
	{"idempotent effect", true, func(p simulator.Properties) simulator.Property { return p.IdempotentEffect }},
	{"leaks existence", false, func(p simulator.Properties) simulator.Property { return p.LeaksExistence }},
	{"loses updates", false, func(p simulator.Properties) simulator.Property { return p.LosesUpdates }},
	{"double booking", false, func(p simulator.Properties) simulator.Property { return p.DoubleBooking }},
	{"cacheable refusals", false, func(p simulator.Properties) simulator.Property { return p.CacheableRefusals }},
}

// propertyRows is one row per property that some column can judge; a
// value is marked good or bad so the stylesheet can colour it.
func propertyRows(res *simulator.Result) []*Node {
	var rows []*Node
	for _, pr := range properties {
		tr := el("tr", nil, el("th", attrs("scope", "row", "colspan", "2"), pr.label))
		judged := false
		for _, id := range res.Policies {
			p := pr.get(res.Properties[id])
			text, tone := "–", "httpplay-unknown"
			if p.Value != nil {
				judged = true
				text = "no"
				if *p.Value {
					text = "yes"
				}
				tone = "httpplay-bad"
				if *p.Value == pr.good {
					tone = "httpplay-good"
				}
			}
			tr.add(el("td", attrs("class", tone, "title", p.Summary), text))
		}
		if judged {
			rows = append(rows, tr)
		}
	}
	return rows
}

// Permalink is the playground address that opens text under policies: the
// fragment web/js/permalink.js reads, #z= and the base64url of the raw
// deflate of {"v":1,"text":...,"policies":[...]} ("policies" left out
// when nil, so that the playground picks its defaults; "all" is spelled
// out, because the playground reads the list as ids). Any fragment of base
// is replaced.
func Permalink(base, text string, policies []string) string {
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base = base[:i]
	}
	if len(policies) == 1 && policies[0] == "all" {
		policies = nil
		for _, p := range simulator.Policies() {
			policies = append(policies, p.ID)
		}
	}
	state := struct {
		V        int      `json:"v"`
		Text     string   `json:"text"`
		Policies []string `json:"policies,omitempty"`
	}{1, text, policies}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.Encode(state) // a struct of strings always encodes
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression) // the level is valid
	w.Write(bytes.TrimSuffix(js.Bytes(), []byte("\n")))
	w.Close()
	return base + "#z=" + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

// LiveElement wraps a rendered fragment in the <httpplay-matrix> element of
// web/embed.js, which re-runs the scenario in the reader's browser. The
// scenario travels in an attribute, with its line breaks as &#10;, because
// a blank line would end the HTML block of a Markdown file. The controls
// are written disabled, so that the element keeps its height when the
// widget enables them.
func LiveElement(fragment, text string, policies, isolation []string, playground string) string {
	attr := func(name, value string) string {
		if value == "" {
			return ""
		}
		v := strings.ReplaceAll(attrEscaper.Replace(clean(value)), "\n", "&#10;")
		return " " + name + `="` + v + `"`
	}
	var b strings.Builder
	b.WriteString("<httpplay-matrix" + attr("scenario", text) + attr("policies", strings.Join(policies, ",")) +
		attr("isolation", strings.Join(isolation, ",")) + attr("playground", playground) + ">\n")
	b.WriteString(fragment + "\n")
	b.WriteString(Controls().HTML() + "\n")
	b.WriteString("</httpplay-matrix>")
	return b.String()
}

// Controls is the widget's row of buttons, disabled until the engine runs.
func Controls() *Node {
	return el("p", attrs("class", "httpplay-controls"),
		el("button", attrs("type", "button", "class", "httpplay-edit", "disabled", "disabled"), "Edit"), " ",
		el("button", attrs("type", "button", "class", "httpplay-run", "disabled", "disabled"), "Run"))
}
