package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/httpplay/httpplay/simulator"
)

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
func (a *api) handleRun(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return httpProblem(http.StatusUnsupportedMediaType,
				"the Content-Type "+ct+" cannot be parsed; send text/plain or application/json")
		}
		mediaType = mt
	}
	opts := simulator.Options{Policies: splitPolicies(r.URL.Query().Get("policies"))}
	var src string
	var policyAt []int // where each custom policy starts in the body
	switch {
	case mediaType == "" || mediaType == "text/plain":
		src = string(body)
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		req, err := decodeRunRequest(body)
		if err != nil {
			return err
		}
		src = *req.Scenario
		if req.Policies != nil {
			opts.Policies = cleanPolicies(req.Policies)
		}
		opts.PolicyJSON, policyAt, err = customPolicies(req.Policy, req.policyOffset)
		if err != nil {
			return err
		}
	default:
		return httpProblem(http.StatusUnsupportedMediaType,
			"POST /api/run takes the scenario as text/plain, or application/json "+
				`{"scenario": "...", "policies": [...], "policy": {...}}`+"; got "+mediaType)
	}
	if strings.TrimSpace(src) == "" {
		return typedProblem(problemInvalidRequest, "the scenario is empty; send at least one request line such as GET /users")
	}
	if err := a.slots.take(r); err != nil {
		return err
	}
	defer a.slots.give() // held while the result is sent, as large as it was in the run
	res, err := run(w, r, src, opts)
	if err != nil {
		return blamePolicy(err, body, policyAt)
	}
	sendResult(w, res)
	return nil
}

// sendResult sends a result's JSON from a buffer kept for the next
// request: the API's answers are the largest thing a run allocates after
// the run itself (64 KB for the default preset), and on the Worker, where
// the collector shares the one thread with the requests, each saved copy
// is collector work saved.
func sendResult(w http.ResponseWriter, res *simulator.Result) {
	var buf []byte
	if p, ok := resultBuffers.Get().(*[]byte); ok {
		buf = (*p)[:0]
	}
	buf = res.AppendJSON(buf)
	send(w, http.StatusOK, "application/json", buf)
	if cap(buf) <= maxPooledResult {
		resultBuffers.Put(&buf)
	}
}

// resultBuffers holds the buffers of sendResult; maxPooledResult keeps a
// rare huge one from staying.
var resultBuffers sync.Pool

const maxPooledResult = 1 << 20

// blamePolicy places an error in a custom policy at the line and column
// of the body's member to blame; other errors are returned as they are.
func blamePolicy(err error, body []byte, policyAt []int) error {
	var pe *simulator.PolicyError
	if !errors.As(err, &pe) || pe.Index >= len(policyAt) {
		return err
	}
	line, col := bodyLineCol(body, policyAt[pe.Index]+pe.Offset)
	p := typedProblem(problemInvalidRequest, fmt.Sprintf("line %d, column %d: custom policy %d: %v", line, col, pe.Index+1, pe.Err))
	p.Line, p.Column = line, col
	return p
}

// handlePreset answers the result of one built-in scenario under the
// default policies, or those of ?policies=a,b.
func (a *api) handlePreset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	preset, ok := simulator.PresetByName(name)
	if !ok || strings.HasPrefix(name, "preset:") {
		return httpProblem(http.StatusNotFound,
			fmt.Sprintf("there is no preset %q; GET /api/presets lists them", name))
	}
	if err := a.slots.take(r); err != nil {
		return err
	}
	defer a.slots.give()
	res, err := run(w, r, preset.Text, simulator.Options{
		File:     preset.Name,
		Policies: splitPolicies(r.URL.Query().Get("policies")),
	})
	if err != nil {
		return err
	}
	sendCacheable(w, r, res.JSON())
	return nil
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
// away, when it returns errClientGone.
func run(w http.ResponseWriter, r *http.Request, src string, opts simulator.Options) (*simulator.Result, error) {
	opts.MaxStates = apiMaxStates
	opts.MaxTotalStates = apiMaxTotalStates
	opts.Timeout = apiTimeout
	opts.MaxValueBytes = apiMaxValueBytes
	opts.MaxResultBytes = apiMaxResultBytes
	opts.MaxColumns = apiMaxColumns
	opts.CompleteRaces = true
	res, err := simulator.RunContext(r.Context(), src, opts)
	if r.Context().Err() != nil {
		return nil, errClientGone
	}
	// The write deadline started with the request; the result gets time
	// of its own. The Worker has no such deadline (ErrNotSupported).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(resultWriteTime))
	if err != nil {
		return nil, err
	}
	if p := incompleteRace(res); p != nil {
		return nil, p
	}
	return res, nil
}

// incompleteRace is the problem of the first race whose exploration
// reached the bound, or nil.
func incompleteRace(res *simulator.Result) *Problem {
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
			return p
		}
	}
	return nil
}

// readBody reads the request body, which limitBody bounds: past the bound
// it fails with the *http.MaxBytesError that writeError answers 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil { // a handler test's request without a body (servers give http.NoBody)
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	var maxErr *http.MaxBytesError
	if err != nil && !errors.As(err, &maxErr) {
		return nil, httpProblem(http.StatusBadRequest, "the body could not be read: "+err.Error())
	}
	return body, err
}

// decodeRunRequest parses the JSON form of POST /api/run strictly: member
// names are matched exactly (encoding/json alone would take "Scenario"),
// unknown members are refused, because a misspelt "policies" would
// otherwise be silently ignored and the defaults answered, and so is a
// member given twice, where one of the two would be silently dropped.
func decodeRunRequest(body []byte) (runRequest, error) {
	var req runRequest
	malformed := func(err error) (runRequest, error) {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return req, typedProblem(problemMalformedJSON, fmt.Sprintf("%v (at byte %d)", syntaxErr, syntaxErr.Offset))
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return req, typedProblem(problemMalformedJSON, "the body is not one JSON object: it ends early")
		}
		return req, typedProblem(problemMalformedJSON, "the body is not one JSON object: "+err.Error())
	}
	invalid := func(detail string) (runRequest, error) {
		return req, typedProblem(problemInvalidRequest, detail)
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
	return req, nil
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
func customPolicies(raw json.RawMessage, offset int) ([]string, []int, error) {
	lead := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n"))
	raw = bytes.TrimSpace(raw)
	offset += lead
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	if raw[0] == '{' {
		return []string{string(raw)}, []int{offset}, nil
	}
	if raw[0] != '[' {
		return nil, nil, typedProblem(problemInvalidRequest,
			`the field "policy" must be a custom policy object (or an array of them)`)
	}
	notPolicy := typedProblem(problemInvalidRequest, `every element of "policy" must be a policy object`)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, nil, notPolicy
	}
	var out []string
	var at []int
	for dec.More() {
		var p json.RawMessage
		if err := dec.Decode(&p); err != nil || len(p) == 0 || p[0] != '{' {
			return nil, nil, notPolicy
		}
		out = append(out, string(p))
		at = append(at, offset+int(dec.InputOffset())-len(p))
	}
	return out, at, nil
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
