package simulator

// A request flows one way through five stages, each in its own file and
// each calling only the stages after it:
//
//	detect (decide.go, nodes.go)  what is the situation?
//	choose (choose.go)            which rule of the policy answers it?
//	apply  (effect.go)            does the world change, and how?
//	render (render.go, errors.go) status line, header fields and content
//	lint   (lint.go)              what does the response get wrong?
//
// Each stage hands its result to the next as a value; nothing is left in
// the server for a later request or a caller to pick up.

// answer is what handling a request produced: the response, and the write
// the effect carried out, which races need to judge lost updates.
type answer struct {
	resp    Response
	applied *write
}

// handle answers one request atomically. Nothing keeps the detection
// or its query once the request is answered (the response copies what it
// needs, and a trace is a slice of its own), so the server's scratch
// holds them: a run handles each step several times over for the
// analysis, and an allocation for each was one in fourteen of a run's.
func (s *server) handle(req *request, v view) answer {
	if s.scratch == nil {
		s.scratch = new(handleScratch)
	}
	w := s.scratch
	if w.inUse {
		// A handle within a handle, or one after a panic left the
		// scratch marked: it gets one of its own.
		w = new(handleScratch)
	}
	*w = handleScratch{d: detection{lean: v != viewFull}, inUse: true}
	w.q = query{req: req, d: &w.d}
	s.detectWith(&w.q)
	a := s.respond(req, &w.d, v)
	w.inUse = false
	return a
}

// handleScratch is the detection and query of the request a server is
// handling. Between two requests it still holds the last one's, which
// live no longer than the server: a run's, or one request's in live.go.
type handleScratch struct {
	d     detection
	q     query
	inUse bool
}

// respond runs the stages after detection on a detected situation.
func (s *server) respond(req *request, d *detection, v view) answer {
	ch := s.choose(ruleQueryFor(d, req.method))
	itemStatuses := s.itemStatuses(d.items)
	status := derivedStatus(ch, d, itemStatuses)
	applied, effect := s.apply(ch, d, v != viewFull)
	resp := s.render(req, d, ch, status, itemStatuses, v)
	if v == viewFull {
		resp.Trace = s.explain(d, ch, status, effect)
		resp.Lint = lint(req, &resp, s.policy)
	}
	if resp.Lint == nil {
		resp.Lint = []Finding{}
	}
	s.completeKey(d, &resp)
	return answer{resp: resp, applied: applied}
}

// derivedStatus is the rule's status, or for a rule whose status is
// derived, the original status of a replay or the failing batch item's.
func derivedStatus(ch *chosen, d *detection, itemStatuses []int) int {
	if ch.Status != 0 {
		return ch.Status
	}
	status := 0
	switch {
	case d.replay != nil:
		status = d.replay.status
	case d.items != nil:
		status = firstFailure(d.items, itemStatuses)
	}
	if status == 0 {
		status = 500
	}
	return status
}

// completeKey remembers the response under the Idempotency-Key the
// request reserved, so that a retry with the key replays it.
func (s *server) completeKey(d *detection, resp *Response) {
	if d.key != "" {
		s.w.completeKey(d.key, stored{status: resp.Status, headers: copyHeaders(resp.Headers), body: resp.Body})
	}
}
