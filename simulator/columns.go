package simulator

import (
	"sort"
	"strconv"
	"strings"
)

// Column describes one column of a result: which policy answers, under
// which isolation, and what the policy is called. Hosts draw the matrix
// from these rather than splitting column ids, and a custom policy's name
// and summary reach the page only this way.
type Column struct {
	ID        string `json:"id"`
	Policy    string `json:"policy"`
	Isolation string `json:"isolation"`
	Name      string `json:"name"`
	Summary   string `json:"summary"`
	URL       string `json:"url,omitempty"`
	Guideline bool   `json:"guideline"`
	Custom    bool   `json:"custom"`
}

// annotate adds what a reader of the matrix needs beyond the answers: the
// columns, the steps where the columns disagree, the {{name}} values that
// were empty when a request used them, and the race requests as each
// column sent them. It only reads the results the columns produced.
func (r *Result) annotate(sc *scenario, cols []column) {
	r.Columns = make([]Column, len(cols))
	for i, c := range cols {
		r.Columns[i] = Column{
			ID: c.id, Policy: c.policy.ID, Isolation: c.iso.String(), Name: c.policy.Name,
			Summary: c.policy.Summary, URL: c.policy.URL, Guideline: c.policy.Guideline, Custom: c.policy.custom,
		}
	}
	for i := range r.Steps {
		r.Steps[i].Differs = r.differs(&r.Steps[i])
	}
	if !sc.hasVars() {
		return
	}
	for _, c := range cols {
		vars := map[string]string{}
		setAt := map[string]int{}
		for i, st := range sc.steps {
			resp := r.Steps[i].Results[c.id]
			if st.req != nil {
				resp.Unfilled = emptyNames(vars, nil, st.req)
				if len(resp.Unfilled) > 0 {
					// The trace starts with why the request is not the one
					// written; the rest of it is about the request as sent.
					notes := make([]TraceEntry, 0, len(resp.Unfilled)+len(resp.Trace))
					for _, name := range resp.Unfilled {
						notes = append(notes, TraceEntry{Step: "substitute", Detail: unfilledDetail(name, setAt[name])})
					}
					resp.Trace = append(notes, resp.Trace...)
				}
				for _, l := range st.req.lets {
					vars[l.name], _ = l.take(&resp)
					setAt[l.name] = l.line
				}
				r.Steps[i].Results[c.id] = resp
				continue
			}
			// A name a client of the race captures itself depends on the
			// order the race ran in, so it stays a placeholder here.
			inner := map[string]bool{}
			var reqs []*requestSpec
			for _, cl := range st.race.clients {
				for _, rq := range cl.reqs {
					reqs = append(reqs, rq)
					for _, l := range rq.lets {
						inner[l.name] = true
					}
				}
			}
			resp.Unfilled = emptyNames(vars, inner, reqs...)
			subst := map[string]string{}
			for k, v := range vars {
				subst[k] = v
			}
			for k := range inner {
				if _, outer := vars[k]; !outer {
					subst[k] = "{{" + k + "}}"
				}
			}
			sent := make([]RaceRequest, len(r.Steps[i].Race))
			changed := false
			for j, rr := range r.Steps[i].Race {
				sent[j] = RaceRequest{Client: rr.Client, Request: substituteRequest(rr.Request, subst)}
				changed = changed || reqs[j].vars
			}
			if changed {
				resp.RaceSent = sent
			}
			r.Steps[i].Results[c.id] = resp
		}
	}
}

// unfilledDetail says why {{name}} was empty.
func unfilledDetail(name string, line int) string {
	if line == 0 {
		return "{{" + name + "}} is empty: no earlier request outside a race captured it, so it was sent without it"
	}
	return "{{" + name + "}} is empty: the capture at line " + strconv.Itoa(line) + " found nothing, so the request was sent without it"
}

// differs tells whether the columns answer a step differently: another
// status to a request, or another set of status lists for a race.
func (r *Result) differs(st *Step) bool {
	first := ""
	for i, id := range r.Policies {
		resp := st.Results[id]
		key := strconv.Itoa(resp.Status)
		if resp.Race != nil {
			lists := make([]string, len(resp.Race.Outcomes))
			for j, o := range resp.Race.Outcomes {
				lists[j] = statusList(o.Statuses)
			}
			sort.Strings(lists)
			key = strings.Join(lists, "|")
		}
		if i == 0 {
			first = key
		} else if key != first {
			return true
		}
	}
	return false
}

// hasVars tells whether any request of the scenario uses {{name}}.
func (sc *scenario) hasVars() bool {
	for _, st := range sc.steps {
		if st.req != nil && st.req.vars {
			return true
		}
		if st.race != nil {
			for _, c := range st.race.clients {
				for _, rq := range c.reqs {
					if rq.vars {
						return true
					}
				}
			}
		}
	}
	return false
}

// emptyNames lists, sorted and once each, the names the requests use
// whose value is empty, leaving out those in skip.
func emptyNames(vars map[string]string, skip map[string]bool, reqs ...*requestSpec) []string {
	seen := map[string]bool{}
	var out []string
	for _, rq := range reqs {
		if !rq.vars {
			continue
		}
		parts := []string{rq.path, rq.body}
		for _, h := range rq.headers {
			parts = append(parts, h.value)
		}
		for _, p := range parts {
			for _, name := range templateNames(p) {
				if !seen[name] && !skip[name] && vars[name] == "" {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// templateNames lists the names of the {{name}} placeholders in s, read
// the way substitute reads them.
func templateNames(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return out
		}
		out = append(out, strings.TrimSpace(s[i+2:i+j]))
		s = s[i+j+2:]
	}
}

// substituteRequest is req with {{name}} replaced everywhere.
func substituteRequest(req Request, vars map[string]string) Request {
	out := Request{Method: req.Method, Path: substitute(req.Path, vars), Body: substitute(req.Body, vars)}
	if len(req.Headers) > 0 {
		out.Headers = make(map[string]string, len(req.Headers))
		for k, v := range req.Headers {
			out.Headers[k] = substitute(v, vars)
		}
	}
	return out
}

// substitute replaces each {{name}} in s with its value; an unclosed {{
// is left as written, as the parser has already refused it.
func substitute(s string, vars map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(vars[strings.TrimSpace(s[i+2:i+j])])
		s = s[i+j+2:]
	}
}
