package simulator

import (
	"fmt"
	"strconv"
	"strings"
)

// respond is the write phase: it chooses the policy's rule for the
// detected situation, carries out the planned change if the rule says so,
// and renders the response with its trace and lint.
func (s *server) respond(req *request, d *detection) Response {
	keys := s.cache.ruleKeys(d.sit, req.method, d.unique, d.rel)
	ch, ok := s.policy.rule(keys)
	if !ok {
		// Every policy descends from strict, which covers every situation;
		// this guards custom policies defined without a base.
		ch = chosen{Rule: Rule{Status: 501, Body: "error", Effect: "none", Why: "The policy has no rule for this situation."}, key: d.sit.String(), owner: s.policy}
	}
	resp := Response{Situation: d.sit.String(), Headers: make(map[string]string, 4)}
	if !s.lean {
		resp.Trace = make([]TraceEntry, len(d.trace), len(d.trace)+5)
		copy(resp.Trace, d.trace)
		resp.Trace = append(resp.Trace, TraceEntry{Step: "situation", Detail: d.sit.String()})
	}

	status := ch.Status
	var itemStatuses []int
	if d.items != nil {
		itemStatuses = s.itemStatuses(d.items)
	}
	if status == 0 {
		switch {
		case d.replay != nil:
			status = d.replay.status
		case d.items != nil:
			status = firstFailure(d.items, itemStatuses)
		}
		if status == 0 {
			status = 500
		}
	}
	resp.Status = status
	resp.Reason = ReasonPhrase(status)
	changed := s.apply(ch, d)
	if !s.lean {
		resp.Trace = append(resp.Trace, s.decisionEntries(ch, status)...)
		switch {
		case changed != "":
			resp.Trace = append(resp.Trace, TraceEntry{Step: "effect", Detail: changed})
		case d.write != nil || d.after != nil:
			resp.Trace = append(resp.Trace, TraceEntry{Step: "effect", Detail: "nothing is changed: the policy declines the change this situation would make"})
		}
	}

	subject := s.w.live(d.subject)
	for name, tmpl := range ch.Headers {
		if v, ok := s.expand(tmpl, d, subject); ok {
			resp.Headers[name] = v
		}
	}
	var body, ctype string
	if !s.lean || s.wantBody || d.key != "" || ch.Body != "error" {
		body, ctype = s.body(req, ch, d, subject, status, itemStatuses)
	}
	if d.replay != nil && ch.Body == "replay" {
		for k, v := range d.replay.headers {
			if _, set := resp.Headers[k]; !set {
				resp.Headers[k] = v
			}
		}
	}
	if req.method == "HEAD" {
		body = ""
	}
	if body != "" && ctype != "" {
		resp.Headers["Content-Type"] = ctype
	}
	if s.policy.errorFormat() == "azure" && ch.Body == "error" {
		// Azure repeats the error code in a header so that clients can
		// branch without parsing the body.
		resp.Headers["X-Ms-Error-Code"] = errorCode(ch, d)
	}
	resp.Body = body
	if e := s.w.keys[d.key]; d.key != "" && e != nil {
		s.w.touch()
		e.done = true
		e.resp = stored{status: resp.Status, headers: copyHeaders(resp.Headers), body: resp.Body}
	}
	if !s.lean {
		resp.Lint = lint(req, &resp)
	}
	if resp.Lint == nil {
		resp.Lint = []Finding{}
	}
	return resp
}

// ruleKeys lists the rule keys for a situation, most specific first.
func ruleKeys(sit Situation, method string, unique, rel bool) []string {
	name := sit.String()
	keys := []string{name + "/" + method}
	if rel {
		keys = append(keys, name+"/relationship")
	}
	if unique && method == "POST" {
		keys = append(keys, name+"/unique")
	}
	return append(keys, name)
}

// decisionEntries explains where the chosen rule came from, saying so
// plainly when a guideline is silent and strict's choice stands in.
func (s *server) decisionEntries(ch chosen, status int) []TraceEntry {
	detail := ch.statusLine
	if status != ch.Status || detail == "" {
		detail = statusLine(status, ch.Why)
	}
	var out []TraceEntry
	if ch.owner != s.policy {
		switch {
		case s.policy.Guideline:
			out = append(out, TraceEntry{Step: "fallback", Detail: "not specified by " + s.policy.Source + "; " + ch.owner.ID + " fallback"})
		case s.policy.custom:
			out = append(out, TraceEntry{Step: "fallback", Detail: "not overridden by " + s.policy.ID + "; as " + ch.owner.ID})
		}
	}
	entry := TraceEntry{Step: "status", Detail: detail, Cite: ch.Cite, URL: citeURL(ch.Cite)}
	if ch.Why == "" {
		entry.Detail += fmt.Sprintf(": chosen by policy %s (rule %q), with no citation", ch.owner.ID, ch.key)
	}
	return append(out, entry)
}

// statusLine is the trace's sentence for a chosen status.
func statusLine(status int, why string) string {
	line := strconv.Itoa(status) + " " + ReasonPhrase(status)
	if why != "" {
		line += ": " + why
	}
	return line
}

// apply carries out the planned change when the rule's effect allows it
// and returns a sentence for the trace, or "" when nothing changed.
func (s *server) apply(ch chosen, d *detection) string {
	switch ch.Effect {
	case "none":
		return ""
	case "replace":
		if d.replace != nil {
			r := s.w.put(d.replace.path, d.replace.body)
			s.applied = d.replace
			if s.lean {
				return "replaced"
			}
			return fmt.Sprintf("replaced %s (upsert), now ETag %s", d.replace.path, etag(r))
		}
	}
	if d.after != nil {
		if d.sit == BatchPartial && s.policy.batchAtomic() {
			return ""
		}
		// The items are written onto the world as it is now, not the copy
		// detection worked on, so that a write interleaved in between
		// (check-then-act) is overwritten only where the batch writes.
		n := 0
		for _, it := range d.items {
			if it.write != nil {
				s.w.put(it.write.path, it.write.body)
				n++
			}
		}
		for coll, seq := range d.after.seq {
			if seq > s.w.seq[coll] {
				s.w.seq[coll] = seq
				s.w.touch()
			}
		}
		if n == 0 {
			return ""
		}
		return fmt.Sprintf("created %d of %d items", n, len(d.items))
	}
	if d.write == nil {
		return ""
	}
	if d.write.del {
		s.w.remove(d.write.path)
		return "deleted " + d.write.path + " (a tombstone remains)"
	}
	existed := s.w.live(d.write.path) != nil
	r := s.w.put(d.write.path, d.write.body)
	s.applied = d.write
	if s.lean {
		return "written"
	}
	if existed {
		return fmt.Sprintf("stored the new representation of %s, now ETag %s", d.write.path, etag(r))
	}
	return fmt.Sprintf("created %s with ETag %s", d.write.path, etag(r))
}

// expand fills a header template; ok is false when a placeholder has no
// value, so the header is left out rather than sent empty.
func (s *server) expand(tmpl string, d *detection, subject *resource) (string, bool) {
	out := tmpl
	if strings.Contains(out, "{location}") {
		if subject == nil {
			return "", false
		}
		out = strings.ReplaceAll(out, "{location}", d.subject)
	}
	if strings.Contains(out, "{etag}") {
		if subject == nil {
			return "", false
		}
		out = strings.ReplaceAll(out, "{etag}", etag(subject))
	}
	if strings.Contains(out, "{allow}") {
		if d.allow == "" {
			return "", false
		}
		out = strings.ReplaceAll(out, "{allow}", d.allow)
	}
	return out, true
}

// itemStatuses chooses each batch item's status with the item's own rule.
func (s *server) itemStatuses(items []itemResult) []int {
	out := make([]int, len(items))
	for i, it := range items {
		ch, ok := s.policy.rule(s.cache.ruleKeys(it.sit, "POST", it.unique, it.rel))
		if ok {
			out[i] = ch.Status
		}
		if out[i] == 0 {
			out[i] = 500
		}
	}
	return out
}

func firstFailure(items []itemResult, statuses []int) int {
	for i, it := range items {
		if it.write == nil {
			return statuses[i]
		}
	}
	return 0
}

// body renders the response content and its media type.
func (s *server) body(req *request, ch chosen, d *detection, subject *resource, status int, itemStatuses []int) (string, string) {
	switch ch.Body {
	case "none":
		return "", ""
	case "resource":
		if subject != nil {
			return subject.body, "application/json"
		}
		if d.sit == Listed {
			return s.w.listBody(d.subject), "application/json"
		}
		return "", ""
	case "ack":
		msg := ch.Message
		if msg == "" {
			msg = "The request was received."
		}
		return mustJSON(map[string]string{"message": msg}), "application/json"
	case "batch":
		return s.batchBody(ch, d, itemStatuses), "application/json"
	case "replay":
		if d.replay != nil {
			return d.replay.body, d.replay.headers["Content-Type"]
		}
		return "", ""
	case "error":
		if d.items != nil {
			// An atomic batch reports the item that failed it.
			for _, it := range d.items {
				if it.write == nil {
					return errorBody(s.policy, ch, &detection{sit: it.sit, subject: it.subject, detail: fmt.Sprintf("item %d: %s", it.index, it.detail), field: it.field}, status, req)
				}
			}
		}
		return errorBody(s.policy, ch, d, status, req)
	}
	// A literal body from a custom rule is served as written.
	ctype := ch.Headers["Content-Type"]
	if ctype == "" {
		ctype = "application/json"
	}
	return ch.Body, ctype
}

// batchBody lists each item with its own status; in an atomic batch that
// failed, the items that would have succeeded report 424 Failed Dependency.
func (s *server) batchBody(ch chosen, d *detection, statuses []int) string {
	atomicFail := d.sit == BatchPartial && (s.policy.batchAtomic() || ch.Effect == "none")
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i, it := range d.items {
		if i > 0 {
			b.WriteByte(',')
		}
		st := statuses[i]
		item := map[string]any{"index": it.index}
		if it.write != nil && atomicFail {
			st = 424
			item["detail"] = "not created because another item of the batch failed"
		} else if it.write != nil {
			item["location"] = it.subject
		} else {
			item["detail"] = it.detail
			if it.field != "" {
				item["field"] = it.field
			}
		}
		item["status"] = st
		b.WriteString(mustJSON(item))
	}
	b.WriteString("]}")
	return b.String()
}
