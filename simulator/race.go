package simulator

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"
)

// DefaultMaxStates bounds the states one race explores per policy.
const DefaultMaxStates = 100000

// maxKeptBytes bounds the partial outcomes one exploration makes, and
// partialCost is what one costs apart from its statuses.
const (
	maxKeptBytes = 64 << 20
	partialCost  = 112
)

// stepsPerState bounds the steps of an exploration to this many per
// allowed state, which is generous for races of a few clients and keeps a
// race of very many clients from spending its bound on known states.
const stepsPerState = 8

// RaceRequest is one request of a race, with the client that sends it.
type RaceRequest struct {
	Client string `json:"client"`
	Request
}

// RaceResult is what one policy's server does with a race: every distinct
// outcome over all interleavings of the clients' steps.
type RaceResult struct {
	Isolation string    `json:"isolation"`
	Outcomes  []Outcome `json:"outcomes"`
	Explored  int       `json:"explored"`
	Complete  bool      `json:"complete"`
	// Orders is the number of orders explored, or when incomplete a lower
	// bound of all orders, as text because it can exceed any integer.
	Orders string `json:"orders"`
	Note   string `json:"note,omitempty"`

	all []*Outcome // every distinct outcome, for the analysis
	// limit names the bound that stopped an incomplete exploration, limitMax
	// its value and reason the sentence that says so.
	limit    string
	limitMax int64
	reason   string
}

// Outcome is one distinct result of a race: each request's status (in the
// order of the race's requests), how many interleavings produce it, one of
// them, and the state they leave.
type Outcome struct {
	Statuses   []int                      `json:"statuses"`
	Situations []string                   `json:"situations"`
	Orders     int                        `json:"orders"`
	Example    []string                   `json:"example"`
	Final      map[string]json.RawMessage `json:"final"`
	// Finals counts the distinct final states behind this outcome; Final
	// and Example show one of them.
	Finals     int    `json:"finals"`
	LostUpdate string `json:"lost_update,omitempty"`
	// Responses are what each raced request got in the example order, in
	// request order like Statuses, replayed in full (headers, body, trace
	// and lint) for the first outcomes shown; empty for the others.
	Responses []Response `json:"responses,omitempty"`

	finalKey string
	world    *world
	writes   []raceWrite
	order    []int // the clients of Example's steps, for replaying it
}

// raceWrite is what a successful write of a race meant to leave behind,
// to check afterwards whether the final state still shows it.
type raceWrite struct {
	req  int
	path string
	// prev is the version the write replaced (0: none), based the version
	// the writer had seen (-1: none), ver the version it made.
	prev, based, ver int
}

// phase is one atomic step of a request in a race.
type phase int

const (
	phaseFull    phase = iota // the whole request at once
	phaseKey                  // reserve the Idempotency-Key
	phaseRest                 // detect and respond at once, after the key
	phaseDetect               // check-then-act: the read
	phaseRespond              // check-then-act: the write
)

var phaseLabels = [...]string{"", " (key)", " (process)", " (check)", " (act)"}

// phases splits a request into the steps other clients can come between.
func (s *server) phases(req *request, iso isolation) []phase {
	_, keyed := req.headers["Idempotency-Key"]
	keyed = keyed && unsafe(req.method) && s.policy.idempotencyKey() != "ignore"
	write := unsafe(req.method)
	switch {
	case iso == checkThenAct && write && keyed:
		return []phase{phaseKey, phaseDetect, phaseRespond}
	case iso == checkThenAct && write:
		return []phase{phaseDetect, phaseRespond}
	case keyed:
		return []phase{phaseKey, phaseRest}
	}
	return []phase{phaseFull}
}

// clientState is where one client of a race is.
type clientState struct {
	idx   int
	phase int
	req   *request
	d     *detection
	vars  map[string]string // what this client captured in the race
	// seen holds the version of each resource this client last read or
	// wrote, to tell a write built on what it saw from a blind one.
	seen map[string]int
}

// raceState is a node of the exploration: the world and every client.
type raceState struct {
	w       *world
	clients []clientState
}

type raceClient struct {
	name  string
	reqs  []*requestSpec
	first int // index of its first request in the race's request list
}

// explorer enumerates the interleavings of one race for one server,
// merging states that are equal so that the cost follows the number of
// distinct states rather than the number of orders.
type explorer struct {
	srv       *server
	iso       isolation
	clients   []raceClient
	nreq      int
	max       int
	explored  int
	truncated bool
	reason    string // why the exploration stopped early
	limit     string // the name of the bound that stopped it
	limitMax  int64
	budget    *budget
	err       error // a bound that stops the whole run, such as a value too large
	memo      map[stateKey][]*partial
	steps     map[stateKey]*stepResult
	finals    map[string]bool   // final states whose world is counted in kept
	outer     map[string]string // the values captured before the race
	work      int               // steps taken, known or new
	kept      int               // bytes of partial outcomes and final worlds made
	cached    int               // bytes of worlds the step cache holds
	wantBody  bool
}

// partial is an outcome of the orders from some state on. It is shared by
// every state that reaches it, so the example and the writes are linked
// lists that grow at the front, and the statuses are packed in a string
// that doubles as the merge key.
type partial struct {
	slots  string // 3 bytes per request: status (2) and situation (1)
	final  string // the final state's key
	world  *world
	orders int
	label  string
	client int      // the client that took this step
	next   *partial // the rest of the example order
	write  *raceWrite
	writes *partial // the next partial down the chain that has a write
}

// runRace explores a race step from the server's current world, leaves
// the world of the first outcome in place and returns the result.
func (s *server) runRace(rs *raceSpec, vars map[string]string, iso isolation, max int, b *budget) (RaceResult, error) {
	e := &explorer{srv: s, iso: iso, max: max, budget: b, memo: map[stateKey][]*partial{}, steps: map[stateKey]*stepResult{}}
	for _, c := range rs.clients {
		e.clients = append(e.clients, raceClient{name: c.name, reqs: c.reqs, first: e.nreq})
		e.nreq += len(c.reqs)
		for _, r := range c.reqs {
			e.wantBody = e.wantBody || len(r.lets) > 0
		}
	}
	// The values captured before the race are the same in every state, so
	// they are shared and left out of the state's key; each client's
	// state holds only what it captured itself.
	e.outer = vars
	start := &raceState{w: s.w, clients: make([]clientState, len(e.clients))}
	parts := e.explore(start)
	if e.err != nil {
		return RaceResult{}, e.err
	}
	res := RaceResult{Isolation: iso.String(), Explored: e.explored, Complete: !e.truncated, limit: e.limit, limitMax: e.limitMax, reason: e.reason}
	total := 0
	var outs []*Outcome
	for _, p := range parts {
		o := e.materialize(p)
		total = addOrders(total, o.Orders)
		o.LostUpdate = lostUpdate(o, s.w)
		outs = append(outs, o)
	}
	res.all = outs
	res.Outcomes = groupOutcomes(outs)
	for i := range res.Outcomes {
		if i == maxReplayed || (e.budget != nil && e.budget.check() != nil) {
			break
		}
		res.Outcomes[i].Responses = e.replay(start, res.Outcomes[i].order)
	}
	if e.truncated {
		bound := e.lowerBound()
		res.Orders = "≥ " + bound
		res.Note = fmt.Sprintf("explored %s of ≥ %s orders: %s, so these outcomes are some, not all", ordersText(total), bound, e.reason)
	} else {
		res.Orders = strconv.Itoa(total)
		if total == math.MaxInt {
			res.Orders = "≥ " + strconv.Itoa(total)
		}
	}
	if len(outs) > 0 {
		// Later steps need one world; they continue from the first outcome
		// in exploration order, which is the one its example shows.
		s.w = outs[0].world
	}
	return res, nil
}

// stopped reports whether the exploration must not enter a new state,
// recording the first bound that stopped it.
func (e *explorer) stopped() bool {
	switch {
	case e.truncated:
		return true
	case e.explored >= e.max:
		e.stop(LimitStates, int64(e.max), fmt.Sprintf("the bound of %s states was reached", groupDigits(strconv.Itoa(e.max))))
	case e.srv.cache.budget == 0:
		e.stop(LimitTotalStates, 0, "the run's total budget of states was spent")
	case e.kept > maxKeptBytes:
		e.stop(LimitRaceMemory, maxKeptBytes, fmt.Sprintf("the outcomes found filled the %d MiB kept for them", maxKeptBytes>>20))
	case e.budget != nil && e.budget.raceStop() != "":
		e.stop(LimitDeadline, e.budget.timeout.Milliseconds(), "the run's deadline of "+e.budget.timeout.String()+" came near")
	default:
		return false
	}
	return true
}

func (e *explorer) stop(limit string, max int64, reason string) {
	if !e.truncated {
		e.truncated, e.reason, e.limit, e.limitMax = true, reason, limit, max
	}
}

// release drops the worlds and ungrouped outcomes that only the analysis
// needed: a result can hold many races under many columns.
func (rr *RaceResult) release() {
	rr.all = nil
	for i := range rr.Outcomes {
		rr.Outcomes[i].world = nil
		rr.Outcomes[i].writes = nil
	}
}

// groupOutcomes merges outcomes whose statuses and situations agree and
// that differ only in their final state (say, which client got which
// server-assigned id): people compare answers, and eight racing creates
// would otherwise list 40 320 outcomes. The one shown is the first that
// loses an update, if any does, so that its example is the order to worry
// about.
func groupOutcomes(outs []*Outcome) []Outcome {
	var keys []string
	groups := map[string][]*Outcome{}
	for _, o := range outs {
		k := outcomeKey(o)
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], o)
	}
	res := make([]Outcome, 0, len(keys))
	for _, k := range keys {
		members := groups[k]
		shown := members[0]
		orders := 0
		for _, m := range members {
			orders = addOrders(orders, m.Orders)
			if shown.LostUpdate == "" && m.LostUpdate != "" {
				shown = m
			}
		}
		o := *shown
		o.Orders = orders
		o.Finals = len(members)
		o.Final = shown.world.snapshot()
		res = append(res, o)
	}
	sort.SliceStable(res, func(i, j int) bool {
		a, b := res[i].Statuses, res[j].Statuses
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	return res
}

// outcomeKey identifies what people compare in an outcome: its statuses
// and situations. It is built without fmt, since a race cut short by the
// deadline may have tens of thousands of outcomes to group.
func outcomeKey(o *Outcome) string {
	b := make([]byte, 0, 8*len(o.Statuses))
	for i, s := range o.Statuses {
		b = strconv.AppendInt(b, int64(s), 10)
		b = append(b, ' ')
		b = append(b, o.Situations[i]...)
		b = append(b, ',')
	}
	return string(b)
}

// lowerBound is a lower bound of the number of orders: the multinomial
// coefficient of the clients' step counts.
func (e *explorer) lowerBound() string {
	lg := 0.0
	n := 0
	for _, c := range e.clients {
		// Each request takes as many steps as its phases (a check and an
		// act under check-then-act); a key decided early may take fewer,
		// so this counts the fewest steps a request can take.
		steps := 0
		for _, r := range c.reqs {
			steps += e.minSteps(r)
		}
		for k := 1; k <= steps; k++ {
			n++
			lg += math.Log(float64(n)) - math.Log(float64(k))
		}
	}
	v := math.Exp(lg)
	if v < 1e15 {
		return groupDigits(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// minSteps is the fewest steps a request of the race can take.
func (e *explorer) minSteps(r *requestSpec) int {
	if e.iso == checkThenAct && unsafe(r.method) {
		return 2
	}
	return 1
}

// addOrders adds counts of orders, which can pass any integer (two
// clients of a hundred GETs each have about 9e58 orders), stopping at the
// largest int rather than wrapping round.
func addOrders(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// ordersText writes a count of orders, saying when it reached the largest
// int that addOrders stops at.
func ordersText(n int) string {
	if n == math.MaxInt {
		return "more than " + strconv.FormatFloat(float64(n), 'g', 3, 64)
	}
	return groupDigits(strconv.Itoa(n))
}

// groupDigits writes 3628800 as "3 628 800", as the issue text does.
func groupDigits(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// key is the memo key of a state: everything that decides the future.
//
// The key is a 128-bit hash of that description rather than the
// description itself: with many clients or a large world the text runs to
// kilobytes, and the memo holds one per state.
func (e *explorer) key(st *raceState) stateKey {
	var h keyHasher
	h.write(st.w.fullKey())
	for i := range st.clients {
		h.write("|")
		h.write(st.clients[i].key())
	}
	return h.sum()
}

// keyHasher is a 128-bit hash made of two seeded maphash sums, written to
// without copying. The seeds differ from process to process, which only
// changes which (astronomically unlikely) collisions could happen.
type keyHasher struct {
	a, b maphash.Hash
	init bool
}

var keySeedA, keySeedB = maphash.MakeSeed(), maphash.MakeSeed()

func (h *keyHasher) write(s string) {
	if !h.init {
		h.a.SetSeed(keySeedA)
		h.b.SetSeed(keySeedB)
		h.init = true
	}
	h.a.WriteString(s)
	h.b.WriteString(s)
}

func (h *keyHasher) sum() stateKey {
	var k stateKey
	binary.LittleEndian.PutUint64(k[:8], h.a.Sum64())
	binary.LittleEndian.PutUint64(k[8:], h.b.Sum64())
	return k
}

// stateKey identifies a state of an exploration.
type stateKey [16]byte

// maxStepCacheBytes bounds the remembered steps; each holds a world, and a
// race of many clients would otherwise keep every world it ever made.
const maxStepCacheBytes = 64 << 20

// key identifies where a client is and what it knows.
func (c *clientState) key() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(c.idx))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(c.phase))
	if c.d != nil {
		b.WriteString(c.d.fingerprint())
	}
	for _, k := range sortedKeys(c.vars) {
		b.WriteString(";" + k + "=" + c.vars[k])
	}
	for _, k := range sortedKeys(c.seen) {
		b.WriteString(";" + k + "@" + strconv.Itoa(c.seen[k]))
	}
	return b.String()
}

// stepResult is a step remembered: the same client step on the same world
// gives the same answer whichever other clients have already finished,
// and in a race most states share a handful of worlds.
type stepResult struct {
	w     *world
	cs    clientState
	label string
	fin   *finished
}

// explore returns the outcomes of every order from st on. A request that
// finished before st has no slot filled in them.
func (e *explorer) explore(st *raceState) []*partial {
	done := true
	for i, c := range st.clients {
		if c.idx < len(e.clients[i].reqs) {
			done = false
		}
	}
	if done {
		// The final state is kept as a hash: the text of a large world runs
		// to kilobytes, and every partial outcome above carries it. Its
		// world is counted once it is kept, with the partial that holds it.
		var h keyHasher
		h.write(st.w.stateKey())
		sum := h.sum()
		final := string(sum[:])
		if !e.finals[final] {
			// Each distinct final state keeps its world for the outcome
			// that shows it: eight racing creates leave 40 320 of them.
			if e.finals == nil {
				e.finals = map[string]bool{}
			}
			e.finals[final] = true
			e.kept += st.w.size()
		}
		return []*partial{{slots: strings.Repeat("\x00", 3*e.nreq), final: final, world: st.w, orders: 1}}
	}
	k := e.key(st)
	if outs, ok := e.memo[k]; ok {
		return outs
	}
	if e.stopped() {
		return nil
	}
	e.explored++
	if e.srv.cache.budget > 0 {
		e.srv.cache.budget--
	}
	if b := e.budget; b != nil {
		b.states.Add(1)
		if e.explored%16 == 0 {
			b.tick(false)
		}
	}
	var merged []*partial
	index := map[string]*partial{}
	for c := range st.clients {
		if st.clients[c].idx >= len(e.clients[c].reqs) {
			continue
		}
		// Steps are bounded too: with many clients each state has many
		// successors, and most of them are states already known.
		if e.work >= stepsPerState*e.max {
			e.stop(LimitStates, int64(e.max), fmt.Sprintf("the bound of %s steps (%d per state) was reached", groupDigits(strconv.Itoa(stepsPerState*e.max)), stepsPerState))
			break
		}
		if e.stopped() {
			break
		}
		e.work++
		next, label, fin := e.step(st, c)
		for _, o := range e.explore(next) {
			// The outcomes kept per state are what grows fastest when many
			// clients race (each order can leave another final state), so
			// they are bounded by memory rather than by count.
			// Past the limit no new state is explored, but what was found
			// is still merged on the way back up, so the result keeps it.

			n := &partial{slots: o.slots, final: o.final, world: o.world, orders: o.orders, label: label, client: c, next: o, writes: o.writes}
			if o.write != nil {
				n.writes = o
			}
			if fin != nil {
				b := []byte(o.slots)
				sit, _ := parseSituation(fin.resp.Situation)
				b[3*fin.req] = byte(fin.resp.Status >> 8)
				b[3*fin.req+1] = byte(fin.resp.Status)
				b[3*fin.req+2] = byte(sit)
				n.slots = string(b)
				n.write = fin.write
			}
			key := n.slots + n.final
			if prev, ok := index[key]; ok {
				prev.orders = addOrders(prev.orders, n.orders)
				continue
			}
			index[key] = n
			merged = append(merged, n)
			// The merge key is as long again as the slots, and the garbage
			// it leaves weighs on the heap as much as what is kept.
			e.kept += partialCost + len(n.slots) + len(key)
		}
	}
	e.memo[k] = merged
	return merged
}

// materialize turns a root partial into an Outcome.
func (e *explorer) materialize(p *partial) *Outcome {
	o := &Outcome{Statuses: make([]int, e.nreq), Situations: make([]string, e.nreq), Orders: p.orders, finalKey: p.final, world: p.world}
	for i := 0; i < e.nreq; i++ {
		o.Statuses[i] = int(p.slots[3*i])<<8 | int(p.slots[3*i+1])
		o.Situations[i] = Situation(p.slots[3*i+2]).String()
	}
	for q := p; q != nil; q = q.next {
		o.Example = append(o.Example, q.label)
		o.order = append(o.order, q.client)
	}
	o.Example = o.Example[:len(o.Example)-1] // the terminal partial has no step
	o.order = o.order[:len(o.order)-1]
	for q := p; q != nil; q = q.writes {
		if q.write != nil {
			o.writes = append(o.writes, *q.write)
		}
	}
	return o
}

// finished is a request that completed in a step.
type finished struct {
	req   int
	resp  Response
	write *raceWrite
}

// step advances client c by one phase on a copy of the state. Worlds are
// never changed once a state holds them, so step results can be shared.
func (e *explorer) step(st *raceState, c int) (*raceState, string, *finished) {
	var h keyHasher
	h.write(st.w.fullKey())
	h.write("\x01" + strconv.Itoa(c) + "\x01")
	h.write(st.clients[c].key())
	sk := h.sum()
	if r, ok := e.steps[sk]; ok {
		next := &raceState{w: r.w, clients: append([]clientState(nil), st.clients...)}
		next.clients[c] = r.cs
		return next, r.label, r.fin
	}
	next, label, fin := e.compute(st, c)
	if size := next.w.size(); e.cached+size <= maxStepCacheBytes {
		e.cached += size
		e.steps[sk] = &stepResult{w: next.w, cs: next.clients[c], label: label, fin: fin}
	}
	return next, label, fin
}

// compute carries out one step of client c.
func (e *explorer) compute(st *raceState, c int) (*raceState, string, *finished) {
	v := viewLean
	if e.wantBody {
		v = viewLeanBody
	}
	return e.computeIn(st, c, v)
}

// maxReplayed is how many outcomes of a race get their responses in full.
const maxReplayed = 16

// replay steps the clients in the order given from the state the race
// started in, answering each request in full, and returns each request's
// response in request order.
func (e *explorer) replay(start *raceState, order []int) []Response {
	out := make([]Response, e.nreq)
	st := &raceState{w: start.w, clients: append([]clientState(nil), start.clients...)}
	for _, c := range order {
		next, _, fin := e.computeIn(st, c, viewFull)
		if fin != nil {
			out[fin.req] = fin.resp
		}
		st = next
	}
	return out
}

// computeIn is compute answering in view v.
func (e *explorer) computeIn(st *raceState, c int, v view) (*raceState, string, *finished) {
	next := &raceState{w: st.w.clone(), clients: append([]clientState(nil), st.clients...)}
	cs := &next.clients[c]
	srv := *e.srv
	srv.w = next.w
	rc := e.clients[c]
	spec := rc.reqs[cs.idx]
	if cs.phase == 0 {
		req, err := spec.resolve(scope{own: cs.vars, outer: e.outer}, e.budget)
		if err != nil {
			// The value would be as large in some order whatever the
			// others do: the run stops, and no state follows this one.
			e.err = err
			e.stop(LimitValueBytes, 0, err.Error())
			return next, "", nil
		}
		cs.req = req
		cs.d = nil
	}
	phases := srv.phases(cs.req, e.iso)
	ph := phases[cs.phase]
	label := rc.name + ": " + cs.req.method + " " + cs.req.path
	if len(phases) > 1 {
		label += phaseLabels[ph]
	}
	var resp *Response
	var applied *write
	respond := func(d *detection) {
		a := srv.respond(cs.req, d, v)
		resp, applied = &a.resp, a.applied
	}
	switch ph {
	case phaseFull:
		cs.d = srv.detect(cs.req, true)
		respond(cs.d)
	case phaseKey:
		d := &detection{lean: true}
		if srv.reserveKey(cs.req, d) {
			respond(d)
		} else {
			cs.d = d
		}
	case phaseRest:
		cs.d = cs.d.clone()
		srv.detectRest(cs.req, cs.d)
		respond(cs.d)
	case phaseDetect:
		if cs.d == nil {
			cs.d = &detection{lean: true}
		} else {
			cs.d = cs.d.clone()
		}
		srv.detectRest(cs.req, cs.d)
	case phaseRespond:
		respond(cs.d)
	}
	if resp == nil {
		cs.phase++
		return next, label, nil
	}
	fin := &finished{req: rc.first + cs.idx, resp: *resp}
	if resp.Status >= 200 && resp.Status < 300 {
		more := cs.idx+1 < len(rc.reqs) // only a client with more to send needs what it saw
		if a := applied; a != nil && !a.del {
			fin.write = &raceWrite{req: fin.req, path: a.path, prev: versionOf(st.w, a.path), based: based(cs, a.path), ver: versionOf(next.w, a.path)}
			if more {
				cs.seen = copyInts(cs.seen)
				cs.seen[a.path] = fin.write.ver
			}
		} else if r := next.w.live(cs.req.target); r != nil && more {
			cs.seen = copyInts(cs.seen)
			cs.seen[cs.req.target] = r.version
		}
	}
	vars := copyStrings(cs.vars)
	for _, cp := range spec.lets {
		v, _ := cp.take(resp)
		vars[cp.name] = v
	}
	cs.vars = vars
	cs.idx++
	cs.phase = 0
	cs.req = nil
	cs.d = nil
	if cs.idx == len(rc.reqs) {
		// A finished client's knowledge changes nothing any more, and
		// keeping it would keep apart states that are otherwise equal.
		cs.seen, cs.vars = nil, nil
	}
	return next, label, fin
}

// based is the version a write was built on: what the server checked
// (If-Match) or merged onto (PATCH) at the check, else what the client last
// saw of the resource, else -1 for a blind write.
func based(cs *clientState, path string) int {
	if cs.d != nil && (cs.req.method == "PATCH" || cs.req.headers["If-Match"] != "") {
		return cs.d.readVer
	}
	if v, ok := cs.seen[path]; ok {
		return v
	}
	return -1
}

func versionOf(w *world, path string) int {
	if r := w.res[path]; r != nil {
		return r.version
	}
	return 0
}

func copyInts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// lostUpdate reports a successful write that replaced another write of
// the same race without having seen it: the earlier write's change is
// gone though its client was told it succeeded. A write that replaced
// only what stood before the race loses nothing of the race.
func lostUpdate(o *Outcome, start *world) string {
	for _, w := range o.writes {
		if w.prev == w.based || w.prev <= versionOf(start, w.path) {
			continue
		}
		for _, other := range o.writes {
			if other.path == w.path && other.ver == w.prev && other.req != w.req {
				return fmt.Sprintf("request %d got %d, but request %d then replaced %s without having seen that change (it had seen %s)", other.req+1, o.Statuses[other.req], w.req+1, w.path, seenVersion(w.based))
			}
		}
	}
	return ""
}

func seenVersion(v int) string {
	if v < 0 {
		return "no version"
	}
	return "version " + strconv.Itoa(v)
}

// clone copies a pending detection before a phase adds to it, because
// the state it belongs to is shared by every branch explored from it.
func (d *detection) clone() *detection {
	c := *d
	c.trace = append([]TraceEntry(nil), d.trace...)
	return &c
}

// fingerprint identifies a pending detection for the memo key.
func (d *detection) fingerprint() string {
	var b strings.Builder
	b.WriteString("[" + strconv.Itoa(int(d.sit)) + " " + d.subject + " " + d.key + " " + strconv.Itoa(d.readVer))
	if d.write != nil {
		b.WriteString(" w" + strconv.FormatBool(d.write.del) + d.write.path + "=" + d.write.body)
	}
	for _, it := range d.items {
		if it.write != nil {
			b.WriteString(" i" + it.write.path + "=" + it.write.body)
		}
	}
	b.WriteByte(']')
	return b.String()
}
