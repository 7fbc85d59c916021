package simulator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// analyst watches one column's run and answers the properties: it replays
// requests on copies of the world, so the run itself is never disturbed.
type analyst struct {
	srv  *server
	sc   *scenario
	snap *world

	unsafeSteps  int
	succeeded    int // unsafe requests whose first answer was a success
	retryBad     []finding
	effectBad    []finding
	leakProbed   bool
	leaks        []finding
	races        int
	incomplete   int // races whose exploration stopped at a bound
	lost         []finding
	uniqueRaces  int
	doubleBooked []finding
	sent         []sentStep
	budget       *budget // nil in tests of the analysis alone
	checks       int     // the budget's checks so far (see stepCheck)
}

type finding struct {
	line   int
	detail string
}

// sentStep is what a single-request step sent and got, for comparing
// earlier refusals with later answers.
type sentStep struct {
	line   int
	method string
	target string
	status int
	reason string
}

func newAnalyst(srv *server, sc *scenario) *analyst {
	return &analyst{srv: srv, sc: sc, sent: make([]sentStep, 0, len(sc.steps))}
}

// before remembers the world a step starts from, which only the
// existence probe of a create needs.
func (a *analyst) before(i int) {
	a.snap = nil
	if req := a.sc.steps[i].req; req != nil && len(a.sc.decls.unique) > 0 {
		switch req.method {
		case "POST", "PUT", "PATCH":
			a.snap = a.srv.w.clone()
		}
	}
}

// after examines a single-request step once it has been answered. Its
// probes replay the request, so each first checks the run's deadline.
func (a *analyst) after(i int, req *request, resp Response) error {
	line := a.sc.steps[i].line
	a.sent = append(a.sent, sentStep{line: line, method: req.method, target: req.target, status: resp.Status, reason: resp.Reason})
	a.probeHidden(i, req, resp, line)
	if !unsafe(req.method) {
		return nil
	}
	if err := a.check(); err != nil {
		return err
	}
	a.unsafeSteps++
	// Retrying matters after a success whose answer was lost; a refusal
	// repeated is consistent, so only successes are judged for retries.
	succeeded := resp.Status >= 200 && resp.Status < 400
	if succeeded {
		a.succeeded++
	}
	// A lost response: the client sends the identical request again, on
	// the world as the first left it, which is then taken back.
	w := a.srv.w
	m := w.mark()
	again := a.srv.handle(req, viewLean).resp // only the status and Location are read
	sameEffect := w.changes == m.changes
	if sameEffect {
		w.rollback(m)
	} else {
		retried := w.stateKey()
		w.rollback(m)
		sameEffect = retried == w.stateKey()
	}
	okAnswer := again.Status >= 200 && again.Status < 300 || again.Status == 303 && again.Headers["Location"] != ""
	if !sameEffect {
		a.effectBad = append(a.effectBad, finding{line, "line " + strconv.Itoa(line) + " " + req.method + " " + req.path + ": a second identical request changes the state again (" + again.Situation + ")"})
	}
	if succeeded && (!sameEffect || !okAnswer) {
		why := "the retry gets " + strconv.Itoa(again.Status) + " " + again.Reason
		if !sameEffect {
			why += " and changes the state a second time"
		} else {
			why += ", which does not tell the client its first attempt succeeded"
		}
		a.retryBad = append(a.retryBad, finding{line, "line " + strconv.Itoa(line) + " " + req.method + " " + req.path + " (first " + strconv.Itoa(resp.Status) + "): " + why})
	}
	if a.snap != nil {
		if err := a.check(); err != nil {
			return err
		}
		if req.method == "POST" {
			a.probeExistence(i, req, line)
		} else {
			a.probeUpdate(i, req, line)
		}
	}
	return nil
}

// probeUpdate asks, on the world the step started from, the same update
// of a member of a collection with a @unique field once with a free value
// and once with a value another member holds, and compares what an
// outsider can see: an enumeration-safe update must not tell them apart.
func (a *analyst) probeUpdate(i int, req *request, line int) {
	coll := parentOf(req.target)
	fields := a.srv.uniqueFields(coll)
	if len(fields) == 0 || a.snap.live(req.target) == nil {
		return
	}
	f := fields[0]
	var held string
	for _, m := range a.snap.members(coll) {
		if m == req.target {
			continue
		}
		if v := gjson.Get(a.snap.res[m].body, gjsonEscape(f)); v.Exists() {
			held = v.Raw
			break
		}
	}
	if held == "" {
		return // no other member holds a value to collide with
	}
	free := strconv.Quote("unused-" + strconv.Itoa(i))
	if strings.Contains(held, "@") {
		free = strconv.Quote("unused-" + strconv.Itoa(i) + "@example.org")
	}
	s := *a.srv
	s.w = a.snap
	probe := func(value string) Response {
		m := s.w.mark()
		defer s.w.rollback(m)
		r := *req
		body := `{` + strconv.Quote(f) + `:` + value + `}`
		if req.method == "PUT" {
			_, v, _ := a.srv.cache.canonicalJSON(a.snap.res[req.target].body)
			obj, _ := v.(map[string]any)
			m := make(map[string]any, len(obj)+1)
			for k, x := range obj {
				m[k] = x
			}
			_, val, _ := canonicalJSON(value)
			m[f] = val
			body = mustJSON(m)
		}
		r.body = body
		r.headers = copyHeaders(req.headers)
		delete(r.headers, "Idempotency-Key")
		delete(r.headers, "Content-Type") // a merge patch or a representation, both JSON
		delete(r.headers, "If-Match")
		r.index()
		return s.handle(&r, viewLeanBody).resp
	}
	rf, rt := probe(free), probe(held)
	a.leakProbed = true
	if diff := visibleDifference(rf, rt); diff != "" {
		a.leaks = append(a.leaks, finding{line, "line " + strconv.Itoa(line) + " " + req.method + " " + req.path + ": setting a free " + f + " gets " + strconv.Itoa(rf.Status) + " " + rf.Reason + ", a taken one " + strconv.Itoa(rt.Status) + " " + rt.Reason + "; " + diff})
	}
}

// check is the run's deadline check, when the analyst has a budget.
func (a *analyst) check() error {
	if a.budget == nil {
		return nil
	}
	return a.budget.stepCheck(&a.checks)
}

// probeExistence asks the same create with a free and with a taken
// @unique value and compares what an outsider can see of the answers.
func (a *analyst) probeExistence(i int, req *request, line int) {
	coll := req.target
	fields := a.srv.uniqueFields(coll)
	if len(fields) == 0 {
		return
	}
	_, v, ok := a.srv.cache.canonicalJSON(req.body)
	obj, isObj := v.(map[string]any)
	if !ok || !isObj {
		return
	}
	if _, other := a.srv.uniqueClash(a.srv.w, coll, mustJSON(obj), ""); other == "" {
		return // the value did not end up taken, so there is nothing to compare
	}
	free := make(map[string]any, len(obj))
	taken := make(map[string]any, len(obj)+1)
	for k, val := range obj {
		if k == "id" {
			continue
		}
		free[k], taken[k] = val, val
	}
	for n, f := range fields {
		if orig, ok := obj[f].(string); ok && strings.Contains(orig, "@") {
			free[f] = "unused-" + strconv.Itoa(i) + "-" + strconv.Itoa(n) + "@example.org"
		} else {
			free[f] = "unused-" + strconv.Itoa(i) + "-" + strconv.Itoa(n)
		}
	}
	taken["probe"] = "a different applicant"
	probe := func(w *world, body map[string]any) Response {
		s := *a.srv
		s.w = w
		m := w.mark()
		defer w.rollback(m)
		r := *req
		r.body = mustJSON(body)
		r.headers = copyHeaders(req.headers)
		delete(r.headers, "Idempotency-Key")
		r.index()
		return s.handle(&r, viewLeanBody).resp // compared by status, header names and body shape
	}
	rf := probe(a.snap, free)
	rt := probe(a.srv.w, taken)
	a.leakProbed = true
	if diff := visibleDifference(rf, rt); diff != "" {
		a.leaks = append(a.leaks, finding{line, "line " + strconv.Itoa(line) + " POST " + req.path + ": a free " + fields[0] + " gets " + strconv.Itoa(rf.Status) + " " + rf.Reason + ", a taken one " + strconv.Itoa(rt.Status) + " " + rt.Reason + "; " + diff})
	}
}

// visibleDifference compares two responses as a prober sees them: status,
// header names and the shape of the body (not its values).
func visibleDifference(a, b Response) string {
	var diffs []string
	if a.Status != b.Status {
		diffs = append(diffs, "the status differs")
	}
	if !sameNames(a.Headers, b.Headers) {
		if ha, hb := headerNames(a.Headers), headerNames(b.Headers); ha != hb {
			diffs = append(diffs, "the headers differ ("+ha+" vs "+hb+")")
		}
	}
	if !sameShape(a.Body, b.Body) {
		diffs = append(diffs, "the body has a different shape")
	}
	return strings.Join(diffs, ", ")
}

// sameNames reports whether two header maps have the same names, which
// makes their headerNames equal without building them.
func sameNames(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func headerNames(h map[string]string) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// sameShape reports whether two bodies have the same jsonShape. It
// compares the parsed bodies rather than building their descriptions:
// members equal as a multiset of name and shape, arrays by their first
// item, other values by type, which is what equal descriptions mean. Only
// a member name holding a character the description punctuates with can
// make different bodies read alike, and then the descriptions decide.
func sameShape(a, b string) bool {
	if a == b {
		return true
	}
	ea, eb := strings.TrimSpace(a) == "", strings.TrimSpace(b) == ""
	if ea || eb {
		return ea == eb
	}
	va, vb := gjson.Valid(a), gjson.Valid(b)
	if !va || !vb {
		return va == vb
	}
	ra, rb := gjson.Parse(a), gjson.Parse(b)
	if shapeEqual(ra, rb) {
		return true
	}
	if plainNames(ra) && plainNames(rb) {
		return false
	}
	return jsonShape(a) == jsonShape(b)
}

// member is an object member, for shapeEqual.
type member struct {
	name  string
	value gjson.Result
}

// shapeEqual compares the shapes of two parsed values (see sameShape).
func shapeEqual(x, y gjson.Result) bool {
	switch {
	case x.IsObject():
		if !y.IsObject() {
			return false
		}
		var bx, by [16]member
		xs, ys := members(x, bx[:0]), members(y, by[:0])
		if len(xs) != len(ys) {
			return false
		}
		var bu [16]bool
		used := bu[:0]
		for range ys {
			used = append(used, false)
		}
		for _, m := range xs {
			found := false
			for j, n := range ys {
				if !used[j] && m.name == n.name && shapeEqual(m.value, n.value) {
					used[j], found = true, true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case x.IsArray():
		if !y.IsArray() {
			return false
		}
		fx, okx := firstItem(x)
		fy, oky := firstItem(y)
		return okx == oky && (!okx || shapeEqual(fx, fy))
	}
	return !y.IsObject() && !y.IsArray() && x.Type == y.Type
}

// members appends an object's members to out.
func members(r gjson.Result, out []member) []member {
	r.ForEach(func(k, v gjson.Result) bool {
		out = append(out, member{k.String(), v})
		return true
	})
	return out
}

// firstItem is an array's first item, if it has one.
func firstItem(r gjson.Result) (gjson.Result, bool) {
	var first gjson.Result
	found := false
	r.ForEach(func(_, v gjson.Result) bool {
		first, found = v, true
		return false
	})
	return first, found
}

// plainNames reports whether no member name in a value holds a character
// jsonShape punctuates its description with.
func plainNames(r gjson.Result) bool {
	plain := true
	if r.IsObject() || r.IsArray() {
		r.ForEach(func(k, v gjson.Result) bool {
			plain = !strings.ContainsAny(k.String(), ":,{}[]") && plainNames(v)
			return plain
		})
	}
	return plain
}

// jsonShape describes a body by its member names and value types.
func jsonShape(body string) string {
	if strings.TrimSpace(body) == "" {
		return "empty"
	}
	if !gjson.Valid(body) {
		return "text"
	}
	var shape func(r gjson.Result) string
	shape = func(r gjson.Result) string {
		switch {
		case r.IsObject():
			var parts []string
			r.ForEach(func(k, v gjson.Result) bool {
				parts = append(parts, k.String()+":"+shape(v))
				return true
			})
			sort.Strings(parts)
			return "{" + strings.Join(parts, ",") + "}"
		case r.IsArray():
			first := ""
			r.ForEach(func(_, v gjson.Result) bool {
				first = shape(v)
				return false
			})
			return "[" + first + "]"
		}
		return r.Type.String()
	}
	return shape(gjson.Parse(body))
}

// race examines the outcomes of a race step.
func (a *analyst) race(i int, rr *RaceResult) {
	line := a.sc.steps[i].line
	a.races++
	if !rr.Complete {
		a.incomplete++
	}
	for _, o := range rr.all {
		if o.LostUpdate != "" {
			a.lost = append(a.lost, finding{line, fmt.Sprintf("line %d, outcome %s: %s (order: %s)", line, statusList(o.Statuses), o.LostUpdate, strings.Join(o.Example, ", "))})
			break
		}
	}
	if len(a.sc.decls.unique) == 0 {
		return
	}
	a.uniqueRaces++
	for _, o := range rr.all {
		if clash := a.uniqueBroken(o.world); clash != "" {
			a.doubleBooked = append(a.doubleBooked, finding{line, fmt.Sprintf("line %d, outcome %s: %s (order: %s)", line, statusList(o.Statuses), clash, strings.Join(o.Example, ", "))})
			break
		}
	}
}

// uniqueBroken finds two live members that share a @unique value.
func (a *analyst) uniqueBroken(w *world) string {
	colls := map[string]bool{}
	for p, r := range w.res {
		if !r.deleted {
			colls[parentOf(p)] = true
		}
	}
	names := make([]string, 0, len(colls))
	for c := range colls {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, coll := range names {
		for _, f := range a.srv.uniqueFields(coll) {
			seen := map[string]string{}
			for _, m := range w.members(coll) {
				v := gjson.Get(w.res[m].body, gjsonEscape(f))
				if !v.Exists() {
					continue
				}
				if first, dup := seen[v.Raw]; dup {
					return fmt.Sprintf("%s and %s both hold %s %s", first, m, f, v.Raw)
				}
				seen[v.Raw] = m
			}
		}
	}
	return ""
}

func statusList(statuses []int) string {
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, "+")
}

// judge builds a property from its findings. goodWhenClean says whether
// a clean result (no findings) makes the property true (retry-safe) or
// false (leaks existence); judged is false when the scenario gives
// nothing to go by, which leaves the value null.
func judge(cite string, judged, goodWhenClean bool, found []finding, unjudged, clean, dirty string) Property {
	p := Property{Cite: cite, URL: citeURL(cite)}
	switch {
	case !judged:
		p.Summary = unjudged
		return p
	case len(found) == 0:
		v := goodWhenClean
		p.Value, p.Summary = &v, clean
	default:
		v := !goodWhenClean
		p.Value, p.Summary = &v, dirty
		p.Lines, p.Details = make([]int, 0, len(found)), make([]string, 0, len(found))
		for _, f := range found {
			p.Lines = append(p.Lines, f.line)
			p.Details = append(p.Details, f.detail)
		}
	}
	return p
}

// properties sums up the column once the run is over.
func (a *analyst) properties() Properties {
	return Properties{
		RetrySafe: judge("RFC 9110 §9.2.2", a.succeeded > 0, true, a.retryBad,
			"no unsafe request succeeded, so there is no lost success to retry",
			"every one of the "+strconv.Itoa(a.succeeded)+" successful unsafe requests can be retried after a lost response: the retry succeeds and changes nothing more",
			strconv.Itoa(len(a.retryBad))+" of "+strconv.Itoa(a.succeeded)+" successful unsafe requests are not safe to retry after a lost response"),
		IdempotentEffect: judge("RFC 9110 §9.2.2", a.unsafeSteps > 0, true, a.effectBad,
			"no unsafe request to repeat",
			"repeating any request leaves the state as one request did (responses may differ, which RFC 9110 allows)",
			strconv.Itoa(len(a.effectBad))+" request(s) change the state again when repeated"),
		LeaksExistence: a.leaksExistence(),
		LosesUpdates: judge("RFC 9110 §13.1.1", a.races > 0 && (len(a.lost) > 0 || a.incomplete == 0), false, a.lost,
			a.raceUnjudged("no race in the scenario"),
			"in every explored order, every successful write is still visible in the final state",
			"in some order two writes both succeed but the final state keeps only one: an update is lost; If-Match with an atomic version check prevents it"),
		DoubleBooking: judge("RFC 9110 §15.5.10", a.uniqueRaces > 0 && (len(a.doubleBooked) > 0 || a.incomplete == 0), false, a.doubleBooked,
			a.raceUnjudged("no race on a scenario with @unique fields"),
			"no explored order leaves two members with the same @unique value",
			"some order leaves two members with the same @unique value: the check and the write are not atomic"),
		CacheableRefusals: judge("RFC 9110 §15.1", true, false, a.cacheableRefusals(),
			"",
			"no refusal with a heuristically cacheable status turned out to be temporary",
			"a refusal with a heuristically cacheable status (404, 405, 410, ...) was later contradicted by the same request succeeding"),
	}
}

// raceUnjudged explains a race property left open: either there is no
// race to judge, or an exploration stopped before it could rule it out.
func (a *analyst) raceUnjudged(none string) string {
	if a.incomplete > 0 {
		return "not seen in the orders explored, but a race was explored only in part, so it cannot be ruled out"
	}
	return none
}

// cacheableRefusals finds refusals with a heuristically cacheable status
// that a later identical request contradicted.
func (a *analyst) cacheableRefusals() []finding {
	var cached []finding
	for i, s := range a.sent {
		if !heuristicallyCacheable[s.status] || s.status < 400 {
			continue
		}
		for _, later := range a.sent[i+1:] {
			if later.method == s.method && later.target == s.target && later.status >= 200 && later.status < 300 {
				note := ""
				if s.method != "GET" && s.method != "HEAD" {
					note = "; caches do not store answers to " + s.method + " (RFC 9111 §3), but the status still tells clients the condition lasts"
				}
				cached = append(cached, finding{s.line, "line " + strconv.Itoa(s.line) + " " + s.method + " " + s.target + " got " + strconv.Itoa(s.status) + " " + s.reason + ", which caches may store without being told to, yet line " + strconv.Itoa(later.line) + " got " + strconv.Itoa(later.status) + " for the same request" + note})
				break
			}
		}
	}
	return cached
}
