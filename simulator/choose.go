package simulator

import (
	"strconv"
	atomics "sync/atomic"
)

// ruleQuery is what selects a rule: the situation, the method, and the
// qualifiers that make a more specific rule apply.
type ruleQuery struct {
	sit    Situation
	method string
	// unique: the target's collection has a @unique field.
	unique bool
	// rel: the representation only links to another member by id.
	rel bool
	// failure: an idempotent replay of a response that was a refusal.
	failure bool
}

// ruleQueryFor is the rule query of a detection.
func ruleQueryFor(d *detection, method string) ruleQuery {
	q := ruleQuery{sit: d.sit, method: method, unique: d.unique, rel: d.rel}
	q.failure = d.replay != nil && d.replay.status >= 400
	return q
}

// choose finds the policy's rule for a query, most specific key first.
func (s *server) choose(q ruleQuery) *chosen {
	if ch, ok := s.policy.rule(s.cache.ruleKeys(q)); ok {
		return ch
	}
	// Every built-in policy descends from strict, which covers every
	// situation; this guards custom policies defined without a base.
	return &chosen{Rule: Rule{Status: 501, Body: "error", Effect: "none", Why: "The policy has no rule for this situation."}, key: q.sit.String(), owner: s.policy}
}

// ruleKeys lists the rule keys for a query, most specific first.
func ruleKeys(q ruleQuery) []string {
	name := q.sit.String()
	keys := []string{name + "/" + q.method}
	if q.failure {
		keys = append(keys, name+"/failure")
	}
	if q.rel {
		keys = append(keys, name+"/relationship")
	}
	if q.unique {
		keys = append(keys, name+"/unique")
	}
	return append(keys, name)
}

// ruleKeyTable holds the rule keys of every query for the methods the
// graph tells apart, by the number runCache.ruleKeys gives it, for every
// run of the process: they depend on the query alone, and making them
// anew for each run was 4% of a run's allocations. At most
// numSituations<<6 entries, each made once (or twice, by two goroutines
// at once, alike); callers never change them.
var ruleKeyTable [numSituations << 6]atomics.Pointer[[]string]

// ruleKeys is the package function, remembered: by a number for the
// methods the graph tells apart, which is cheaper to look up than the
// query itself, in ruleKeyTable, and by the query, for the run, for any
// other method.
func (c *runCache) ruleKeys(q ruleQuery) []string {
	m := methodIndex(q.method)
	if m == len(graphMethods) {
		if v, ok := c.keys[q]; ok {
			return v
		}
		v := ruleKeys(q)
		c.keys[q] = v
		return v
	}
	n := uint32(q.sit)<<6 | uint32(m)<<3
	if q.failure {
		n |= 1
	}
	if q.rel {
		n |= 2
	}
	if q.unique {
		n |= 4
	}
	if q.sit < 0 || q.sit >= numSituations {
		return ruleKeys(q)
	}
	if p := ruleKeyTable[n].Load(); p != nil {
		return *p
	}
	v := ruleKeys(q)
	ruleKeyTable[n].Store(&v)
	return v
}

// explain is the trace of a response: the decision nodes' answers, the
// situation with the node that decided it, where the rule came from, and
// what the effect did.
func (s *server) explain(d *detection, ch *chosen, status int, effect string) []TraceEntry {
	// A detection explained is a full view's own, never a race's shared
	// one, so its trace can be extended in place.
	out := d.trace
	out = append(out, TraceEntry{Step: "situation", Detail: s.cache.situationLine(d.sit, d.node)})
	out = s.decisionEntries(out, ch, status)
	switch {
	case effect != "":
		out = append(out, TraceEntry{Step: "effect", Detail: effect})
	case d.write != nil || d.after != nil:
		out = append(out, TraceEntry{Step: "effect", Detail: "nothing is changed: the policy declines the change this situation would make"})
	}
	return out
}

// decisionEntries appends to out where the chosen rule came from, saying
// so plainly when a guideline is silent and another policy's choice stands in.
func (s *server) decisionEntries(out []TraceEntry, ch *chosen, status int) []TraceEntry {
	detail := ch.statusLine
	if status != ch.Status || detail == "" {
		detail = statusLine(status, ch.Why)
	}
	if ch.owner != s.policy && (s.policy.Guideline || s.policy.custom) {
		out = append(out, TraceEntry{Step: "fallback", Detail: s.cache.fallbackLine(s.policy, ch.owner)})
	}
	url := ch.url
	if url == "" && ch.Cite != "" {
		// A rule built in code rather than read has no link made yet.
		url = citeURL(ch.Cite)
	}
	entry := TraceEntry{Step: "status", Detail: detail, Cite: ch.Cite, URL: url}
	if ch.Why == "" {
		entry.Detail += ": chosen by policy " + ch.owner.ID + " (rule " + strconv.Quote(ch.key) + "), with no citation"
	}
	return append(out, entry)
}

// fallbackLine says, remembered per pair of policies, that a rule of the
// policy's base answers for it.
func (c *runCache) fallbackLine(p, owner *Policy) string {
	k := [2]*Policy{p, owner}
	if v, ok := c.fallbacks[k]; ok {
		return v
	}
	v := "not overridden by " + p.ID + "; as " + owner.ID
	if p.Guideline {
		v = "not specified by " + p.Source + "; chosen as " + owner.ID + " answers, which " + p.Source + " allows"
	}
	c.fallbacks[k] = v
	return v
}

// statusLine is the trace's sentence for a chosen status.
func statusLine(status int, why string) string {
	line := strconv.Itoa(status) + " " + ReasonPhrase(status)
	if why != "" {
		line += ": " + why
	}
	return line
}

type situationNode struct {
	sit  Situation
	node string
}

// situationLine is the trace's line for a situation and the node that
// decided it, remembered: the same few pairs recur in every cell.
func (c *runCache) situationLine(sit Situation, node string) string {
	k := situationNode{sit, node}
	if v, ok := c.sitLines[k]; ok {
		return v
	}
	v := sit.String()
	if node != "" {
		v += " (decided by " + node + ")"
	}
	c.sitLines[k] = v
	return v
}
