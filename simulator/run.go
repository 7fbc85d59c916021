package simulator

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// Run parses a scenario and plays it against every selected policy, each
// on a fresh world. Problems in the text are returned as *Error with a
// line and column; problems with the options are plain errors.
func Run(src string, opts Options) (*Result, error) {
	file := opts.File
	if file == "" {
		file = "scenario"
	}
	sc, err := parse(file, src)
	if err != nil {
		return nil, err
	}
	var custom []*Policy
	for _, pd := range sc.policies {
		p, err := parsePolicyJSON(pd.json, pd.id, nil)
		if err != nil {
			return nil, &Error{File: file, Line: pd.line, Col: pd.col, Msg: "policy " + pd.id + ": " + err.Error()}
		}
		custom = append(custom, p)
	}
	for i, text := range opts.PolicyJSON {
		p, err := parsePolicyJSON(text, "", nil)
		if err != nil {
			return nil, &PolicyError{Index: i, Err: err}
		}
		custom = append(custom, p)
	}
	policies, err := selectPolicies(opts.Policies, custom)
	if err != nil {
		return nil, &optionError{err.Error()}
	}
	isos := []isolation{sc.decls.isolation}
	if len(sc.decls.isolations) > 0 {
		isos = sc.decls.isolations
	}
	if len(opts.Isolation) > 0 {
		isos = nil
		for _, name := range opts.Isolation {
			iso, ok := parseIsolation(strings.TrimSpace(name))
			if !ok {
				return nil, &optionError{fmt.Sprintf("unknown isolation %q: use atomic or check-then-act", name)}
			}
			isos = append(isos, iso)
		}
	}
	max := opts.MaxStates
	if max <= 0 {
		max = DefaultMaxStates
	}
	return play(sc, columnsFor(policies, isos), max, opts.MaxTotalStates), nil
}

// PolicyError is an invalid definition in Options.PolicyJSON; Index says
// which, so that a host can name the file or field it came from.
type PolicyError struct {
	Index int
	Err   error
}

// Error names the definition by its position, counted from 1.
func (e *PolicyError) Error() string {
	return "custom policy " + strconv.Itoa(e.Index+1) + ": " + e.Err.Error()
}

// Unwrap returns the problem with the definition.
func (e *PolicyError) Unwrap() error { return e.Err }

// optionError is a problem with Options rather than with the scenario.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

// column is one column of the matrix: a policy under an isolation.
type column struct {
	id     string
	policy *Policy
	iso    isolation
}

// columnsFor pairs policies with isolations; with two isolations every
// policy gets a second column named policy@check-then-act.
func columnsFor(policies []*Policy, isos []isolation) []column {
	seen := map[isolation]bool{}
	var uniq []isolation
	for _, iso := range isos {
		if !seen[iso] {
			seen[iso] = true
			uniq = append(uniq, iso)
		}
	}
	var cols []column
	for _, p := range policies {
		for i, iso := range uniq {
			id := p.ID
			if len(uniq) > 1 && i > 0 {
				id += "@" + iso.String()
			}
			cols = append(cols, column{id: id, policy: p, iso: iso})
		}
	}
	return cols
}

// play runs a parsed scenario; it cannot fail.
func play(sc *scenario, cols []column, maxStates, maxTotal int) *Result {
	res := &Result{Title: sc.title, Policies: make([]string, len(cols))}
	if res.Title == "" {
		res.Title = "Untitled scenario"
	}
	for i, c := range cols {
		res.Policies[i] = c.id
	}
	res.Steps = make([]Step, len(sc.steps))
	for i, st := range sc.steps {
		res.Steps[i] = Step{Line: st.line, Results: make(map[string]Response, len(cols))}
		if st.req != nil {
			res.Steps[i].Request = st.req.written()
		}
		if st.race != nil {
			for _, c := range st.race.clients {
				for _, r := range c.reqs {
					res.Steps[i].Race = append(res.Steps[i].Race, RaceRequest{Client: c.name, Request: *r.written()})
				}
			}
		}
	}
	// Requests without variables are built once and then shared by every
	// column, so they are built before the columns may run in parallel.
	for _, st := range sc.steps {
		if st.req != nil && !st.req.vars {
			st.req.resolve(nil)
		}
		if st.race != nil {
			for _, c := range st.race.clients {
				for _, r := range c.reqs {
					if !r.vars {
						r.resolve(nil)
					}
				}
			}
		}
	}
	results := make([][]Response, len(cols))
	props := make([]Properties, len(cols))
	playColumn := func(ci int, cache *runCache) {
		c := cols[ci]
		srv := newServer(c.policy, &sc.decls, cache)
		an := newAnalyst(srv, sc)
		vars := map[string]string{}
		out := make([]Response, len(sc.steps))
		for i, st := range sc.steps {
			if st.req != nil {
				an.before(i)
				out[i] = srv.send(st.req, vars)
				an.after(i, out[i])
				continue
			}
			rr := srv.runRace(st.race, vars, c.iso, maxStates)
			an.race(i, &rr)
			rr.release()
			out[i] = Response{Race: &rr}
		}
		results[ci], props[ci] = out, an.properties()
	}
	workers, budget := runtime.GOMAXPROCS(0), 0
	if sc.hasRace() {
		// Each race column may hold maxKeptBytes of outcomes and
		// maxStepCacheBytes of worlds, so memory grows with the columns
		// explored at once. Only races spend the run-wide budget.
		workers, budget = min(workers, maxRaceWorkers), maxTotal
	}
	playColumns(len(cols), workers, budget, playColumn)
	res.Properties = make(map[string]Properties, len(cols))
	for ci, c := range cols {
		for i := range sc.steps {
			res.Steps[i].Results[c.id] = results[ci][i]
		}
		res.Properties[c.id] = props[ci]
	}
	res.annotate(sc, cols)
	return res
}

// maxRaceWorkers is how many race columns are explored at once at most.
const maxRaceWorkers = 2

// playColumns plays n columns on up to workers goroutines, each with a
// cache of its own. Columns share nothing else, and each writes only its
// own slot, so the result does not depend on the order they finish in. A
// positive budget of race states for the whole run is spent column by
// column, so that the same scenario stops at the same place every time;
// with one, the columns are played in turn. A panic in a column is raised
// again in the caller, where the hosts recover from it: the panic of the
// first column that panicked, with its stack, so that the report is the
// same whatever the timing.
func playColumns(n, workers, budget int, play func(ci int, cache *runCache)) {
	workers = max(1, min(workers, n))
	if workers == 1 || budget > 0 {
		cache := newRunCache()
		if budget > 0 {
			cache.budget = budget
		}
		for ci := range n {
			play(ci, cache)
		}
		return
	}
	jobs := make(chan int, n)
	for ci := range n {
		jobs <- ci
	}
	close(jobs)
	panics := make([]*columnPanic, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := newRunCache()
			for ci := range jobs {
				if !playRecovering(ci, cache, play, panics) {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
}

// playRecovering plays one column and reports false if it panicked.
func playRecovering(ci int, cache *runCache, play func(int, *runCache), panics []*columnPanic) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			panics[ci] = &columnPanic{column: ci, value: v, stack: debug.Stack()}
		}
	}()
	play(ci, cache)
	return true
}

// columnPanic carries a column's panic, with the stack of the goroutine
// that played it, to the caller of playColumns.
type columnPanic struct {
	column int
	value  any
	stack  []byte
}

func (p *columnPanic) Error() string {
	return fmt.Sprintf("column %d: %v\n\n%s", p.column+1, p.value, p.stack)
}

// send substitutes variables, handles the request and runs its captures.
func (s *server) send(spec *requestSpec, vars map[string]string) Response {
	req := spec.resolve(vars)
	s.last = req
	resp := s.handle(req)
	if spec.vars {
		resp.Sent = req.public()
	}
	for _, c := range spec.lets {
		v, entry := c.take(&resp)
		vars[c.name] = v
		resp.Trace = append(resp.Trace, entry)
	}
	return resp
}

// take reads a capture's value from a response.
func (c capture) take(resp *Response) (string, TraceEntry) {
	var v string
	var found bool
	switch c.kind {
	case "header":
		v, found = resp.Headers[c.arg]
	case "body":
		r := gjson.Get(resp.Body, c.arg)
		v, found = r.String(), r.Exists()
	case "status":
		v, found = strconv.Itoa(resp.Status), true
	}
	detail := c.name + " = " + strconv.Quote(v)
	if !found {
		detail = c.name + " = \"\" (" + c.kind + " " + c.arg + " is absent from this response)"
	}
	return v, TraceEntry{Step: "capture", Detail: detail}
}

func (r *requestSpec) written() *Request {
	out := &Request{Method: r.method, Path: r.path, Body: r.body}
	if len(r.headers) > 0 {
		out.Headers = map[string]string{}
		for _, h := range r.headers {
			if prev, ok := out.Headers[h.name]; ok {
				out.Headers[h.name] = prev + ", " + h.value
			} else {
				out.Headers[h.name] = h.value
			}
		}
	}
	return out
}

// resolve substitutes {{name}} everywhere in the request. A request
// without variables is the same for every policy, so it is built once and
// shared: handling only reads it.
func (r *requestSpec) resolve(vars map[string]string) *request {
	if !r.vars && r.resolved != nil {
		return r.resolved
	}
	sub := func(s string) string {
		if !r.vars || !strings.Contains(s, "{{") {
			return s
		}
		return substitute(s, vars)
	}
	w := r.written()
	req := &request{method: w.Method, path: sub(w.Path), body: sub(w.Body), headers: map[string]string{}}
	for k, v := range w.Headers {
		req.headers[k] = sub(v)
	}
	req.target = cleanPath(req.path)
	if !r.vars {
		r.resolved = req
	}
	return req
}

func (r *request) public() *Request {
	out := &Request{Method: r.method, Path: r.path, Body: r.body}
	if len(r.headers) > 0 {
		out.Headers = copyHeaders(r.headers)
	}
	return out
}

func substitute(s string, vars map[string]string) string {
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

// JSON encodes the result the one way every host sends it: indented with
// two spaces, keys of maps sorted, and a final newline.
func (r *Result) JSON() []byte {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		// Every field is a string, number, map or slice of those.
		panic(err)
	}
	return append(b, '\n')
}
