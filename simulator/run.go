package simulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// Run parses a scenario and plays it against every selected policy, each
// on a fresh world. Problems in the text are returned as *Error with a
// line and column; problems with the options are plain errors; a run past
// one of its bounds (see Options) returns a *LimitError, inside an *Error
// when a line is to blame. Run is RunContext without a context.
func Run(src string, opts Options) (*Result, error) {
	return RunContext(context.Background(), src, opts)
}

// RunContext is Run, stopped early when ctx is cancelled (the error is
// then ctx's) or past its deadline (a *LimitError for the deadline).
func RunContext(ctx context.Context, src string, opts Options) (*Result, error) {
	file := opts.File
	if file == "" {
		file = "scenario"
	}
	b := newBudget(ctx, opts)
	sc, err := parseWithin(file, src, b)
	if err != nil {
		return nil, err
	}
	maxCols := opts.MaxColumns
	if maxCols <= 0 {
		maxCols = DefaultMaxColumns
	}
	if len(sc.policies) > maxCols {
		pd := sc.policies[maxCols]
		return nil, limitAt(file, pd.line, pd.col, columnsError(len(sc.policies), maxCols))
	}
	var custom []*Policy
	for _, pd := range sc.policies {
		p := pd.policy
		if p != nil {
			custom = append(custom, p)
			continue
		}
		p, perr := parsePolicyCached(pd.json, pd.id)
		if perr != nil {
			return nil, &Error{File: file, Line: pd.line, Col: pd.col, Msg: "policy " + pd.id + ": " + perr.Error()}
		}
		custom = append(custom, p)
	}
	if len(opts.PolicyJSON) > maxCols {
		// Each definition is a column at least; refusing before parsing
		// them keeps a body of thousands of policies cheap to turn away.
		return nil, columnsError(len(opts.PolicyJSON), maxCols)
	}
	for i, text := range opts.PolicyJSON {
		p, perr := parsePolicyCached(text, "")
		if perr != nil {
			return nil, &PolicyError{Index: i, Line: perr.line, Col: perr.col, Offset: perr.off, Err: perr.err}
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
	cols := columnsFor(policies, isos)
	if len(cols) > maxCols {
		return nil, columnsError(len(cols), maxCols)
	}
	if opts.MaxStates <= 0 {
		opts.MaxStates = DefaultMaxStates
	}
	b.setColumns(len(cols))
	if err := literalSizes(file, sc, b); err != nil {
		return nil, err
	}
	if err := estimateRaces(file, sc, cols, opts, b); err != nil {
		return nil, err
	}
	return play(file, sc, cols, opts.MaxStates, opts.MaxTotalStates, b)
}

func columnsError(n, max int) *LimitError {
	return &LimitError{Limit: LimitColumns, Max: int64(max),
		Msg: fmt.Sprintf("the run would have %d columns (policies × isolations), over the limit of %d", n, max)}
}

// estimateRaces refuses, before any work, the races that a host answering
// only complete explorations could not answer: every combination of how
// far each client has got is a state of its own, so a race explores at
// least the product of (steps + 1) over its clients, less the final state.
func estimateRaces(file string, sc *scenario, cols []column, opts Options, b *budget) error {
	if !b.complete {
		return nil
	}
	total := 0.0
	for _, st := range sc.steps {
		if st.race == nil {
			continue
		}
		for _, c := range cols {
			e := &explorer{iso: c.iso}
			states := 1.0
			for _, cl := range st.race.clients {
				steps := 0
				for _, r := range cl.reqs {
					steps += e.minSteps(r)
				}
				states *= float64(steps + 1)
			}
			states--
			total += states
			switch {
			case states > float64(opts.MaxStates):
				return limitAt(file, st.line, st.race.col, &LimitError{Limit: LimitStates, Max: int64(opts.MaxStates),
					Msg: fmt.Sprintf("the race explores at least %s states under %s, over the limit of %s per race and column; race fewer requests at once",
						countText(states), c.id, groupDigits(strconv.Itoa(opts.MaxStates)))})
			case opts.MaxTotalStates > 0 && total > float64(opts.MaxTotalStates):
				return limitAt(file, st.line, st.race.col, &LimitError{Limit: LimitTotalStates, Max: int64(opts.MaxTotalStates),
					Msg: fmt.Sprintf("the races up to this one explore at least %s states over all columns, over the limit of %s for the run",
						countText(total), groupDigits(strconv.Itoa(opts.MaxTotalStates)))})
			}
		}
	}
	return nil
}

// literalSizes refuses, before any work, a path, header value or body
// written larger than one value may be.
func literalSizes(file string, sc *scenario, b *budget) error {
	check := func(r *requestSpec) error {
		err := b.literal("path", len(r.path))
		if err == nil {
			err = b.literal("body", len(r.body))
		}
		for _, h := range r.headers {
			if err == nil {
				err = b.literal("header "+h.name, len(h.value))
			}
		}
		if le, ok := err.(*LimitError); ok {
			return limitAt(file, r.line, r.col, le)
		}
		return nil
	}
	for _, st := range sc.steps {
		if st.req != nil {
			if err := check(st.req); err != nil {
				return err
			}
			continue
		}
		for _, c := range st.race.clients {
			for _, r := range c.reqs {
				if err := check(r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// limitAt blames a line for a limit.
func limitAt(file string, line, col int, le *LimitError) *Error {
	return &Error{File: file, Line: line, Col: col, Msg: le.Msg, Err: le}
}

// countText writes a count that may be astronomically large.
func countText(f float64) string {
	if f < 1e15 {
		return groupDigits(strconv.FormatFloat(math.Round(f), 'f', 0, 64))
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}

// PolicyError is an invalid definition in Options.PolicyJSON; Index says
// which, so that a host can name the file or field it came from.
type PolicyError struct {
	Index int
	// Line and Col (from 1) point into the definition's text at the member
	// to blame, or at its start; Offset is the same place in bytes.
	Line, Col, Offset int
	Err               error
}

// Error names the definition by its position, counted from 1, and the
// line and column in it.
func (e *PolicyError) Error() string {
	return fmt.Sprintf("custom policy %d, line %d, column %d: %v", e.Index+1, e.Line, e.Col, e.Err)
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

// play runs a parsed scenario within its budget.
func play(file string, sc *scenario, cols []column, maxStates, maxTotal int, b *budget) (*Result, error) {
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
	// column, so they are built before the columns may run in parallel;
	// so is their content's parse, which every column's cache would
	// otherwise make again (each goroutine has a cache of its own).
	parsed := map[string]canonical{}
	parse := func(r *requestSpec) {
		req, _ := r.resolve(scope{}, nil)
		for _, body := range [...]string{req.body, "{}", "[]"} {
			if _, ok := parsed[body]; !ok {
				text, v, ok := canonicalJSON(body)
				parsed[body] = canonical{text, v, ok}
			}
		}
	}
	for _, st := range sc.steps {
		if st.req != nil && !st.req.vars {
			parse(st.req)
		}
		if st.race != nil {
			for _, c := range st.race.clients {
				for _, r := range c.reqs {
					if !r.vars {
						parse(r)
					}
				}
			}
		}
	}
	results := make([][]Response, len(cols))
	props := make([]Properties, len(cols))
	errs := make([]error, len(cols))
	playColumn := func(ci int, cache *runCache) {
		defer func() {
			b.columnsDone.Add(1)
			b.tick(true)
		}()
		c := cols[ci]
		srv := newServer(c.policy, &sc.decls, cache)
		an := newAnalyst(srv, sc)
		an.budget = b
		vars := map[string]string{}
		out := make([]Response, len(sc.steps))
		spent, checks := 0, 0
		fail := func(line, col int, err error) {
			var le *LimitError
			if errors.As(err, &le) {
				err = limitAt(file, line, col, le)
			}
			errs[ci] = err
			for {
				old := b.firstFail.Load()
				if int64(ci) >= old || b.firstFail.CompareAndSwap(old, int64(ci)) {
					return
				}
			}
		}
		for i, st := range sc.steps {
			if int64(ci) > b.firstFail.Load() {
				return // a column before this one failed, and only the first failure is reported
			}
			if st.req != nil {
				// Races watch the deadline themselves and stop with what
				// they found; other steps fail once past it.
				if err := b.stepCheck(&checks); err != nil {
					fail(st.line, 1, err)
					return
				}
				an.before(i)
				resp, req, err := srv.send(st.req, vars, b)
				if err != nil {
					fail(st.req.line, st.req.col, err)
					return
				}
				out[i] = resp
				if err := an.after(i, req, out[i]); err != nil {
					fail(st.req.line, st.req.col, err)
					return
				}
				if err := b.spend(&spent, responseBytes(&out[i])); err != nil {
					fail(st.req.line, st.req.col, err)
					return
				}
				continue
			}
			rr, err := srv.runRace(st.race, vars, c.iso, maxStates, b)
			if err == nil && !rr.Complete && b.complete {
				err = &LimitError{Limit: rr.limit, Max: rr.limitMax,
					Msg: fmt.Sprintf("the race was explored only in part under %s: %s; this host answers only complete explorations, so race fewer requests at once", c.id, rr.reason)}
			}
			if err != nil {
				fail(st.race.line, st.race.col, err)
				return
			}
			an.race(i, &rr)
			rr.release()
			out[i] = Response{Race: &rr}
			if err := b.spend(&spent, raceBytes(&rr)); err != nil {
				fail(st.race.line, st.race.col, err)
				return
			}
		}
		results[ci], props[ci] = out, an.properties()
		if err := b.spend(&spent, propertiesBytes(&props[ci])); err != nil {
			last := sc.steps[len(sc.steps)-1]
			fail(last.line, 1, err)
		}
	}
	workers, budget := runtime.GOMAXPROCS(0), 0
	if sc.hasRace() {
		// Each race column may hold maxKeptBytes of outcomes and
		// maxStepCacheBytes of worlds, so memory grows with the columns
		// explored at once. Only races spend the run-wide budget.
		workers, budget = min(workers, maxRaceWorkers), maxTotal
	}
	playColumns(len(cols), workers, budget, func(ci int, cache *runCache) {
		cache.shared = parsed
		playColumn(ci, cache)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res.Properties = make(map[string]Properties, len(cols))
	for ci, c := range cols {
		for i := range sc.steps {
			res.Steps[i].Results[c.id] = results[ci][i]
		}
		res.Properties[c.id] = props[ci]
	}
	res.annotate(sc, cols)
	return res, nil
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
	work := func() {
		cache := newRunCache()
		for ci := range jobs {
			if !playRecovering(ci, cache, play, panics) {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
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

// send substitutes variables, handles the request and runs its captures;
// it returns the request as sent too, which the analysis replays.
func (s *server) send(spec *requestSpec, vars map[string]string, b *budget) (Response, *request, error) {
	req, err := spec.resolve(scope{own: vars}, b)
	if err != nil {
		return Response{}, nil, err
	}
	resp := s.handle(req, viewFull).resp
	if spec.vars {
		resp.Sent = req.public()
	}
	for i, c := range spec.lets {
		if i%checkEvery == checkEvery-1 {
			if err := b.check(); err != nil {
				return Response{}, nil, err
			}
		}
		v, entry := c.take(&resp)
		vars[c.name] = v
		resp.Trace = append(resp.Trace, entry)
	}
	return resp, req, nil
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

// resolve substitutes {{name}} everywhere in the request, refusing any
// value that would pass the budget's size before building it. A request
// without variables is the same for every policy, so it is built once and
// shared: handling only reads it.
func (r *requestSpec) resolve(vars scope, b *budget) (*request, error) {
	if !r.vars && r.resolved != nil {
		return r.resolved, nil
	}
	if !r.vars {
		w := r.written()
		req := &request{method: w.Method, path: w.Path, body: w.Body, headers: map[string]string{}}
		maps.Copy(req.headers, w.Headers)
		req.target = cleanPath(req.path)
		req.badField = firstCtlField(req)
		req.index()
		r.resolved = req
		return req, nil
	}
	var err error
	sub := func(what string, t template) string {
		n := t.size(vars)
		if err == nil && b != nil {
			err = b.value(what, n)
		}
		if err != nil {
			return ""
		}
		return t.expand(vars, n)
	}
	req := &request{method: r.method, path: sub("path", r.tpath), body: sub("body", r.tbody), headers: map[string]string{}}
	// Repeated header lines are joined as written() joins them.
	for i, h := range r.headers {
		v := sub("header "+h.name, r.theaders[i])
		if prev, ok := req.headers[h.name]; ok {
			v = prev + ", " + v
			if err == nil && b != nil {
				err = b.value("header "+h.name, len(v))
			}
		}
		req.headers[h.name] = v
	}
	if err != nil {
		return nil, err
	}
	req.target = cleanPath(req.path)
	req.badField = firstCtlField(req)
	req.index()
	return req, nil
}

func (r *request) public() *Request {
	out := &Request{Method: r.method, Path: r.path, Body: r.body}
	if len(r.headers) > 0 {
		out.Headers = copyHeaders(r.headers)
	}
	return out
}
