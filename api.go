package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/httpplay/httpplay/simulator"
)

// maxRunBody bounds the body of POST /api/run. A scenario of MaxSteps
// requests with modest bodies fits with room to spare; anything larger is
// refused before the simulator sees it.
const maxRunBody = 64 << 10

// apiMaxStates bounds the states the API explores for each race and column,
// far below simulator.DefaultMaxStates: a race of eight POSTs explores
// 69 281 states per column, which under the default columns took a minute
// and answered 466 MB of JSON. Races that need more than this bound are
// refused with 422 rather than answered in part.
const apiMaxStates = 1000

// apiMaxTotalStates bounds the race states of one request over all its
// races and columns, so that a body full of races cannot keep a core (or a
// Worker's CPU allowance) busy: past it, races are incomplete and refused.
const apiMaxTotalStates = 20000

// The API's run budget, tighter than the command line's: one call must
// not keep a core (or a Worker's CPU allowance) busy for long, nor hold
// much memory, whatever its body (see the README's limits table).
const (
	apiTimeout        = 3 * time.Second
	apiMaxValueBytes  = 64 << 10
	apiMaxResultBytes = 8 << 20
	apiMaxColumns     = 32
)

// resultWriteTime is how long sending a finished result may take: the
// handler sets the write deadline to this from the end of the run, so a
// result is never thrown away by a write timeout that started with the
// request.
const resultWriteTime = 10 * time.Second

// runQueueWait is how long a run waits for a free slot before it is
// answered 503: long enough to absorb a burst, short enough that a client
// hears quickly that the server is busy.
const runQueueWait = 100 * time.Millisecond

// maxRuns is how many runs the API works on at once. Each run is CPU
// bound, so more than a couple per core only adds memory and latency.
func maxRuns() int { return max(2, 2*runtime.GOMAXPROCS(0)) }

// presetMaxAge is how long a client may reuse a preset result without
// asking again. Results change only when a new version is deployed, and the
// ETag makes the revalidation after that a cheap 304.
const presetMaxAge = "public, max-age=300"

// Problem types of the API. Their URIs are relative references under
// /api/problems/, where each is documented, so that an error body is the
// same bytes whichever host answers it.
const (
	problemMalformedJSON  = "malformed-json"
	problemInvalidRequest = "invalid-request"
	problemScenario       = "scenario-error"
	problemTooManySteps   = "too-many-steps"
	problemRaceTooLarge   = "race-too-large"
	problemLimitExceeded  = "limit-exceeded"
	problemBusy           = "busy"
)

// problemType documents one problem type of the API.
type problemType struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Description string `json:"description"`
}

var problemTypes = map[string]problemType{
	problemMalformedJSON: {
		Title:       "Malformed JSON",
		Status:      http.StatusBadRequest,
		Description: "The body of POST /api/run was sent as application/json but is not one JSON object.",
	},
	problemInvalidRequest: {
		Title:  "Invalid request",
		Status: http.StatusUnprocessableEntity,
		Description: "The request is well-formed but asks for something the simulator cannot do: " +
			"a missing or empty scenario, an unknown field, an unknown policy id or an invalid custom policy.",
	},
	problemScenario: {
		Title:  "Scenario error",
		Status: http.StatusUnprocessableEntity,
		Description: "The scenario text does not follow the scenario language. " +
			"The members line and column (both from 1) point at the problem.",
	},
	problemTooManySteps: {
		Title:  "Too many steps",
		Status: http.StatusUnprocessableEntity,
		Description: fmt.Sprintf("A scenario may have at most %d requests, so that one call cannot keep a host busy; "+
			"the member limit holds the bound.", simulator.MaxSteps),
	},
	problemRaceTooLarge: {
		Title:  "Race too large",
		Status: http.StatusUnprocessableEntity,
		Description: fmt.Sprintf("The API explores at most %d states of each race for each policy column and "+
			"answers only complete explorations; the member line names the race and limit holds the bound. "+
			"Race fewer requests at once, or run the scenario with the command line, which reports the outcomes "+
			"it found within a larger bound.", apiMaxStates),
	},
	problemLimitExceeded: {
		Title:  "Limit exceeded",
		Status: http.StatusUnprocessableEntity,
		Description: "The run went past one of the API's bounds: its deadline, the size of a value (as written or after {{name}} " +
			"substitution), the size of the result, the number of columns (policies × isolations), or the number of " +
			"declared constraints. " +
			"The member limitName names the bound and limit holds its value (bytes, columns, or milliseconds " +
			"for the deadline); line and column point at the step to blame when there is one. " +
			"GET /api/health lists every bound.",
	},
	problemBusy: {
		Title:  "Busy",
		Status: http.StatusServiceUnavailable,
		Description: "The server is already working on as many runs as it takes at once. " +
			"Try again after the seconds the Retry-After header gives.",
	},
}

func init() {
	for name, pt := range problemTypes {
		pt.Type = problemURI(name)
		problemTypes[name] = pt
	}
}

func problemURI(name string) string { return "/api/problems/" + name }

// problem is an RFC 9457 problem details object. Type is about:blank for
// plain HTTP errors (whose title is then the status phrase) and one of
// problemTypes otherwise.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	// LimitName names the bound that limit holds, for limit-exceeded and
	// race-too-large.
	LimitName string `json:"limitName,omitempty"`
}

// httpProblem is a problem of type about:blank.
func httpProblem(status int, detail string) problem {
	return problem{Type: "about:blank", Title: simulator.ReasonPhrase(status), Status: status, Detail: detail}
}

// typedProblem is a problem of one of the API's own types.
func typedProblem(name, detail string) problem {
	pt := problemTypes[name]
	return problem{Type: pt.Type, Title: pt.Title, Status: pt.Status, Detail: detail}
}

// apiHandler answers every path under /api/. Methods are dispatched here
// rather than by method patterns of http.ServeMux so that a wrong method
// gets a problem+json 405 with Allow, like every other error.
func apiHandler() http.Handler {
	a := &api{slots: make(chan struct{}, maxRuns())}
	mux := http.NewServeMux()
	mux.Handle("/api/run", methods{http.MethodPost: a.handleRun})
	mux.Handle("/api/policies", methods{http.MethodGet: handlePolicies})
	mux.Handle("/api/presets", methods{http.MethodGet: handlePresets})
	mux.Handle("/api/presets/{name}", methods{http.MethodGet: a.handlePreset})
	mux.Handle("/api/problems/{name}", methods{http.MethodGet: handleProblemType})
	mux.Handle("/api/health", methods{http.MethodGet: handleHealth})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, httpProblem(http.StatusNotFound,
			"there is nothing at "+r.URL.Path+"; the API's endpoints are POST /api/run, GET /api/policies, "+
				"GET /api/presets, GET /api/presets/{name} and GET /api/health"))
	})
	return apiHeaders(mux)
}

// api holds what the run endpoints share: the slots of the runs under way.
type api struct {
	slots chan struct{}

	mu   sync.Mutex
	idle *time.Timer // returns memory to the system once no run is under way
}

// idleRelease is how long the API waits, once no run is under way, before
// it returns the memory of past runs to the system.
const idleRelease = time.Second

// releaseWhenIdle returns memory to the system once no run has been under
// way for idleRelease: after a burst of runs an idle server would keep its
// heap until the next forced collection, minutes later. WebAssembly memory
// cannot shrink, so the Worker skips it.
func (a *api) releaseWhenIdle() {
	if runtime.GOOS == "js" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.idle != nil {
		a.idle.Reset(idleRelease)
		return
	}
	a.idle = time.AfterFunc(idleRelease, func() {
		if len(a.slots) == 0 {
			debug.FreeOSMemory()
		}
	})
}

// apiHeaders adds what every API answer carries: CORS for any origin, since
// documentation sites call the API from their own pages (nothing is tied to
// cookies or credentials), and nosniff. It also turns a panic into a 500
// problem instead of a dropped connection or, on the Worker, a dead instance.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag")
		h.Set("X-Content-Type-Options", "nosniff")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeProblem(w, httpProblem(http.StatusInternalServerError,
					"the simulator failed on this input; please report it with the request body"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// methods routes one path by request method. HEAD runs the GET handler
// (the server drops the body), and OPTIONS answers CORS preflights and
// plain OPTIONS.
type methods map[string]http.HandlerFunc

func (m methods) allow() string {
	list := make([]string, 0, len(m)+2)
	for method := range m {
		list = append(list, method)
	}
	if _, ok := m[http.MethodGet]; ok {
		list = append(list, http.MethodHead)
	}
	sort.Strings(list)
	return strings.Join(append(list, http.MethodOptions), ", ")
}

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if f, ok := m[method]; ok {
		f(w, r)
		return
	}
	h := w.Header()
	h.Set("Allow", m.allow())
	if r.Method == http.MethodOptions {
		if r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", m.allow())
			h.Set("Access-Control-Allow-Headers", "Content-Type, If-None-Match")
			h.Set("Access-Control-Max-Age", "86400")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeProblem(w, httpProblem(http.StatusMethodNotAllowed,
		fmt.Sprintf("%s does not answer %s; use %s", r.URL.Path, r.Method, m.allow())))
}

// runRequest is the JSON form of a POST /api/run body.
type runRequest struct {
	Scenario *string
	Policies []string
	Policy   json.RawMessage
	// policyOffset is where Policy starts in the body, so that errors in a
	// custom policy can point at its line and column.
	policyOffset int
}

// runFields are the members of a POST /api/run body, with what each holds.
var runFields = map[string]string{"scenario": "a string", "policies": "an array of policy id strings", "policy": "a custom policy object (or an array of them)"}

// handleRun answers POST /api/run with the result JSON of the scenario, the
// exact bytes of (*simulator.Result).JSON, so every host answers the same.
func (a *api) handleRun(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			writeProblem(w, httpProblem(http.StatusUnsupportedMediaType,
				"the Content-Type "+ct+" cannot be parsed; send text/plain or application/json"))
			return
		}
		mediaType = mt
	}
	opts := simulator.Options{Policies: splitPolicies(r.URL.Query().Get("policies"))}
	var src string
	var policyAt []int // where each custom policy starts in the body
	var policyBody []byte
	switch {
	case mediaType == "" || mediaType == "text/plain":
		src = string(body)
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		req, p, ok := decodeRunRequest(body)
		if !ok {
			writeProblem(w, p)
			return
		}
		src = *req.Scenario
		if req.Policies != nil {
			opts.Policies = cleanPolicies(req.Policies)
		}
		opts.PolicyJSON, policyAt, p, ok = customPolicies(req.Policy, req.policyOffset)
		if !ok {
			writeProblem(w, p)
			return
		}
		policyBody = body
	default:
		writeProblem(w, httpProblem(http.StatusUnsupportedMediaType,
			"POST /api/run takes the scenario as text/plain, or application/json "+
				`{"scenario": "...", "policies": [...], "policy": {...}}`+"; got "+mediaType))
		return
	}
	if strings.TrimSpace(src) == "" {
		writeProblem(w, typedProblem(problemInvalidRequest, "the scenario is empty; send at least one request line such as GET /users"))
		return
	}
	if !a.slot(w, r) {
		return
	}
	defer a.done()
	res, err := a.run(w, r, src, opts)
	if err != nil {
		var pe *simulator.PolicyError
		if errors.As(err, &pe) && pe.Index < len(policyAt) {
			// The member to blame, as a line and column of the body sent.
			line, col := bodyLineCol(policyBody, policyAt[pe.Index]+pe.Offset)
			p := typedProblem(problemInvalidRequest, fmt.Sprintf("line %d, column %d: custom policy %d: %v", line, col, pe.Index+1, pe.Err))
			p.Line, p.Column = line, col
			writeProblem(w, p)
			return
		}
		writeProblem(w, runProblem(err))
		return
	}
	if res != nil {
		send(w, http.StatusOK, "application/json", res.JSON())
	}
}

// bodyLineCol is the line and column (in runes, from 1) of a byte offset.
func bodyLineCol(body []byte, off int) (line, col int) {
	off = min(max(0, off), len(body))
	before := body[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	if nl := bytes.LastIndexByte(before, '\n'); nl >= 0 {
		before = before[nl+1:]
	}
	return line, utf8.RuneCount(before) + 1
}

// run runs a scenario within the API's budget until the client goes
// away. It returns the error of the run for the caller to describe; when
// the client is gone both results are nil and nobody is answered.
func (a *api) run(w http.ResponseWriter, r *http.Request, src string, opts simulator.Options) (*simulator.Result, error) {
	opts.MaxStates = apiMaxStates
	opts.MaxTotalStates = apiMaxTotalStates
	opts.Timeout = apiTimeout
	opts.MaxValueBytes = apiMaxValueBytes
	opts.MaxResultBytes = apiMaxResultBytes
	opts.MaxColumns = apiMaxColumns
	opts.CompleteRaces = true
	res, err := simulator.RunContext(r.Context(), src, opts)
	if r.Context().Err() != nil {
		return nil, nil // the client is gone; there is nobody to answer
	}
	// The write deadline started with the request; the result gets time
	// of its own. The Worker has no such deadline (ErrNotSupported).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(resultWriteTime))
	if err != nil {
		return nil, err
	}
	if p, ok := incompleteRace(res); ok {
		return nil, &problemError{p}
	}
	return res, nil
}

// slot takes a run slot for a request, for the run and the sending of
// its answer: a result is as large in the buffers that send it as in the
// run. When no slot frees up soon it answers 503 and returns false;
// otherwise the caller gives the slot back with done.
func (a *api) slot(w http.ResponseWriter, r *http.Request) bool {
	if a.acquire(r) {
		return true
	}
	if r.Context().Err() == nil {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, typedProblem(problemBusy, fmt.Sprintf("the server is already running %d scenarios, as many as it takes at once; try again in a second", cap(a.slots))))
	}
	return false
}

// done gives a run slot back.
func (a *api) done() {
	<-a.slots
	a.releaseWhenIdle()
}

// acquire takes a run slot, waiting at most runQueueWait for one.
func (a *api) acquire(r *http.Request) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(runQueueWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

// problemError carries a finished problem through an error return.
type problemError struct{ p problem }

func (e *problemError) Error() string { return e.p.Detail }

// incompleteRace finds the first race whose exploration reached the bound.
func incompleteRace(res *simulator.Result) (problem, bool) {
	for _, step := range res.Steps {
		for _, col := range res.Policies {
			rr := step.Results[col].Race
			if rr == nil || rr.Complete {
				continue
			}
			p := typedProblem(problemRaceTooLarge, fmt.Sprintf(
				"line %d: the race has %s orders, and exploring them for %s needs more than the API allows (%d states per race and column, %d for the whole request); race fewer requests at once",
				step.Line, rr.Orders, col, apiMaxStates, apiMaxTotalStates))
			p.Line, p.Limit, p.LimitName = step.Line, apiMaxStates, simulator.LimitStates
			return p, true
		}
	}
	return problem{}, false
}

// readBody reads the request body up to maxRunBody; on failure it has
// already answered.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	tooLarge := httpProblem(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the body may have at most %d bytes (64 KiB)", maxRunBody))
	tooLarge.Limit = maxRunBody
	if r.ContentLength > maxRunBody {
		writeProblem(w, tooLarge)
		return nil, false
	}
	if r.Body == nil { // the Worker's requests without a body
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRunBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		drain(r.Body)
		writeProblem(w, tooLarge)
		return nil, false
	case err != nil:
		writeProblem(w, httpProblem(http.StatusBadRequest, "the body could not be read: "+err.Error()))
		return nil, false
	}
	return body, true
}

// maxDrain bounds how much of an oversized body of unknown length is read
// and discarded before the 413 is sent. The Worker needs the drain (see
// drain); the native server, which could just close the connection, uses
// the same bound so that a client gets the same answer from both: a 413
// for an upload up to 16 MiB, rather than a reset connection.
const maxDrain = 16 << 20

// discarder is a request body that can skip what is left of it more cheaply
// than by reading it into Go: the Worker's (see body_worker.go).
type discarder interface {
	Discard(limit int64)
}

// drain discards what is left of a refused body, up to maxDrain, and closes
// it, which on the Worker cancels the request stream. Answering while the
// client is still sending fails the request in workerd ("Can't read from
// request stream after response has been sent"), and under wrangler dev a
// request that follows such an answer could wait until its client gave up;
// with the upload consumed first it never did (68 KiB to 5 MiB, 8 tries
// each). Uploads over the bound are cut off, with that risk.
func drain(body io.ReadCloser) {
	if d, ok := body.(discarder); ok {
		d.Discard(maxDrain)
	} else {
		io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	}
	body.Close()
}

// decodeRunRequest parses the JSON form of POST /api/run strictly: member
// names are matched exactly (encoding/json alone would take "Scenario"),
// unknown members are refused, because a misspelt "policies" would
// otherwise be silently ignored and the defaults answered, and so is a
// member given twice, where one of the two would be silently dropped.
func decodeRunRequest(body []byte) (runRequest, problem, bool) {
	var req runRequest
	malformed := func(err error) (runRequest, problem, bool) {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return req, typedProblem(problemMalformedJSON, fmt.Sprintf("%v (at byte %d)", syntaxErr, syntaxErr.Offset)), false
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return req, typedProblem(problemMalformedJSON, "the body is not one JSON object: it ends early"), false
		}
		return req, typedProblem(problemMalformedJSON, "the body is not one JSON object: "+err.Error()), false
	}
	invalid := func(detail string) (runRequest, problem, bool) {
		return req, typedProblem(problemInvalidRequest, detail), false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if tok != json.Delim('{') {
		return invalid("the body must be a JSON object, not " + jsonKind(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		name, _ := tok.(string)
		want, known := runFields[name]
		switch {
		case !known:
			hint := ""
			for f := range runFields {
				if strings.EqualFold(f, name) {
					hint = fmt.Sprintf(" (names are case-sensitive: write %q)", f)
				}
			}
			return invalid(fmt.Sprintf(`unknown field %q%s; the fields are "scenario", "policies" and "policy"`, name, hint))
		case seen[name]:
			return invalid(fmt.Sprintf("the field %q is given twice; give it once", name))
		}
		seen[name] = true
		switch name {
		case "scenario":
			err = dec.Decode(&req.Scenario)
		case "policies":
			err = dec.Decode(&req.Policies)
		case "policy":
			err = dec.Decode(&req.Policy)
			req.policyOffset = int(dec.InputOffset()) - len(req.Policy)
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return invalid(fmt.Sprintf("the field %q must be %s, not %s", name, want, typeErr.Value))
		}
		if err != nil {
			return malformed(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed(errors.New("there is more after the JSON object"))
	}
	if req.Scenario == nil {
		return invalid(`the field "scenario" (the scenario text) is missing`)
	}
	return req, problem{}, true
}

// jsonKind names the kind of a JSON token for an error message.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// customPolicies turns the "policy" member, one custom policy object or an
// array of them, into the definitions simulator.Options takes as text, with
// where each starts in the body (the member starts at offset).
func customPolicies(raw json.RawMessage, offset int) ([]string, []int, problem, bool) {
	lead := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n"))
	raw = bytes.TrimSpace(raw)
	offset += lead
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, problem{}, true
	}
	if raw[0] == '{' {
		return []string{string(raw)}, []int{offset}, problem{}, true
	}
	notPolicy := typedProblem(problemInvalidRequest, `every element of "policy" must be a policy object`)
	if raw[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return nil, nil, notPolicy, false
		}
		var out []string
		var at []int
		for dec.More() {
			var p json.RawMessage
			if err := dec.Decode(&p); err != nil || len(p) == 0 || p[0] != '{' {
				return nil, nil, notPolicy, false
			}
			out = append(out, string(p))
			at = append(at, offset+int(dec.InputOffset())-len(p))
		}
		return out, at, problem{}, true
	}
	return nil, nil, typedProblem(problemInvalidRequest,
		`the field "policy" must be a custom policy object (or an array of them)`), false
}

// runProblem describes an error of simulator.Run.
func runProblem(err error) problem {
	var pe *problemError
	if errors.As(err, &pe) {
		return pe.p
	}
	var le *simulator.LimitError
	if errors.As(err, &le) {
		return limitProblem(err, le)
	}
	var se *simulator.Error
	if !errors.As(err, &se) {
		// Only the options can be wrong here: an unknown policy id or an
		// invalid custom policy, both described by the message.
		return typedProblem(problemInvalidRequest, err.Error())
	}
	if errors.Is(se, simulator.ErrTooManySteps) {
		p := typedProblem(problemTooManySteps, fmt.Sprintf("line %d: %s", se.Line, se.Msg))
		p.Line, p.Column, p.Limit = se.Line, se.Col, simulator.MaxSteps
		return p
	}
	p := typedProblem(problemScenario, fmt.Sprintf("line %d, column %d: %s", se.Line, se.Col, se.Msg))
	p.Line, p.Column = se.Line, se.Col
	return p
}

// limitProblem describes a run past one of its bounds: race-too-large for
// the bounds of a race's exploration, limit-exceeded for the others.
func limitProblem(err error, le *simulator.LimitError) problem {
	name := problemLimitExceeded
	switch le.Limit {
	case simulator.LimitStates, simulator.LimitTotalStates, simulator.LimitRaceMemory:
		name = problemRaceTooLarge
	}
	p := typedProblem(name, fmt.Sprintf("%s (limit %s: %d)", le.Msg, le.Limit, le.Max))
	var se *simulator.Error
	if errors.As(err, &se) {
		p.Detail = fmt.Sprintf("line %d: %s", se.Line, p.Detail)
		p.Line, p.Column = se.Line, se.Col
	}
	p.LimitName, p.Limit = le.Limit, int(le.Max)
	return p
}

// splitPolicies reads the policies query parameter: ids separated by
// commas.
func splitPolicies(s string) []string {
	return cleanPolicies(strings.Split(s, ","))
}

// cleanPolicies drops blank ids, so that "?policies=" or ["", " "] select
// the default columns rather than none at all.
func cleanPolicies(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func handlePolicies(w http.ResponseWriter, r *http.Request) {
	sendCacheable(w, r, mustJSON(simulator.Policies()))
}

func handlePresets(w http.ResponseWriter, r *http.Request) {
	sendCacheable(w, r, mustJSON(simulator.Presets()))
}

// handlePreset answers the result of one built-in scenario under the
// default policies, or those of ?policies=a,b.
func (a *api) handlePreset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	preset, ok := simulator.PresetByName(name)
	if !ok || strings.HasPrefix(name, "preset:") {
		writeProblem(w, httpProblem(http.StatusNotFound,
			fmt.Sprintf("there is no preset %q; GET /api/presets lists them", name)))
		return
	}
	if !a.slot(w, r) {
		return
	}
	defer a.done()
	res, err := a.run(w, r, preset.Text, simulator.Options{
		File:     preset.Name,
		Policies: splitPolicies(r.URL.Query().Get("policies")),
	})
	switch {
	case err != nil:
		writeProblem(w, runProblem(err))
	case res != nil:
		sendCacheable(w, r, res.JSON())
	}
}

func handleProblemType(w http.ResponseWriter, r *http.Request) {
	pt, ok := problemTypes[r.PathValue("name")]
	if !ok {
		writeProblem(w, httpProblem(http.StatusNotFound, "there is no problem type "+r.PathValue("name")))
		return
	}
	sendCacheable(w, r, mustJSON(pt))
}

// health is the body of GET /api/health: a constant, so that monitors can
// compare it, with the limits a client may want to know.
type health struct {
	Status         string `json:"status"`
	MaxSteps       int    `json:"maxSteps"`
	MaxRaceStates  int    `json:"maxRaceStates"`
	MaxTotalStates int    `json:"maxTotalStates"`
	MaxBodyBytes   int    `json:"maxBodyBytes"`
	MaxValueBytes  int    `json:"maxValueBytes"`
	MaxResultBytes int    `json:"maxResultBytes"`
	MaxColumns     int    `json:"maxColumns"`
	MaxConstraints int    `json:"maxConstraints"`
	TimeoutMillis  int    `json:"timeoutMillis"`
}

func handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	send(w, http.StatusOK, "application/json",
		mustJSON(health{Status: "ok", MaxSteps: simulator.MaxSteps, MaxRaceStates: apiMaxStates, MaxTotalStates: apiMaxTotalStates,
			MaxBodyBytes: maxRunBody, MaxValueBytes: apiMaxValueBytes, MaxResultBytes: apiMaxResultBytes,
			MaxColumns: apiMaxColumns, MaxConstraints: simulator.MaxConstraints, TimeoutMillis: int(apiTimeout.Milliseconds())}))
}

// sendCacheable answers a GET whose body depends only on the deployed
// version, with a strong ETag from the content and a 304 when the client
// already has it.
func sendCacheable(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", presetMaxAge)
	if noneMatch(r.Header.Values("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	send(w, http.StatusOK, "application/json", body)
}

// noneMatch reports whether If-None-Match fields name etag, by the weak
// comparison RFC 9110 section 13.1.2 prescribes for this header.
func noneMatch(fields []string, etag string) bool {
	for _, field := range fields {
		for _, tag := range strings.Split(field, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// writeProblem answers with a problem details object.
func writeProblem(w http.ResponseWriter, p problem) {
	send(w, p.Status, "application/problem+json", mustJSON(p))
}

// send writes a complete answer. Content-Length is always set: the Worker
// runtime then streams a fixed-length body, and nothing is sniffed. The
// body is written for HEAD too: net/http and workerd both drop it there,
// and the Worker runtime fails a response whose fixed-length stream gets
// fewer bytes than announced.
func send(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// mustJSON encodes API values the way the simulator encodes results:
// indented, with a final newline.
func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only fixed struct types of this file and the simulator's
	}
	return append(b, '\n')
}
