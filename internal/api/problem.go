package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/httpplay/httpplay/simulator"
)

// Problem is an RFC 9457 problem details object: the body of every error
// the API answers, and the error its endpoints and middleware return for
// writeError to send. Type is about:blank for plain HTTP errors, whose
// title is then the status phrase, and a relative URI under
// /api/problems/ for the API's own types, so that an error body is the
// same bytes whichever host answers it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Line and Column (both from 1) point at the part of the scenario, or
	// of a JSON body, to blame.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Limit is the value of the bound a request went past, and LimitName
	// names it, for limit-exceeded and race-too-large.
	Limit     int    `json:"limit,omitempty"`
	LimitName string `json:"limitName,omitempty"`
	// Header holds the header fields the answer needs besides its body,
	// such as Allow on a 405 and Retry-After on a 503.
	Header http.Header `json:"-"`
}

// Error is the problem's detail.
func (p *Problem) Error() string { return p.Detail }

// with adds a header field to the answer of p.
func (p *Problem) with(name, value string) *Problem {
	if p.Header == nil {
		p.Header = http.Header{}
	}
	p.Header.Set(name, value)
	return p
}

// handler is an endpoint that returns what went wrong instead of
// answering it, so that every error is written by writeError alone.
type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, err)
	}
}

// errClientGone is the error of a request whose client went away: there
// is nobody to answer.
var errClientGone = errors.New("the client is gone")

// writeError answers an error as a problem details object. It is the one
// place that writes errors: every other piece of the API returns them.
func writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errClientGone) {
		return
	}
	p := problemFor(err)
	for name, values := range p.Header {
		w.Header()[name] = values
	}
	send(w, p.Status, "application/problem+json", mustJSON(p))
}

// problemFor describes an error: a *Problem as it is, a read past
// limitBody's bound as a 413, and an error of the simulator's run as the
// problem type it belongs to.
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return tooLarge(maxErr.Limit)
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
	p = typedProblem(problemScenario, fmt.Sprintf("line %d, column %d: %s", se.Line, se.Col, se.Msg))
	p.Line, p.Column = se.Line, se.Col
	return p
}

// limitProblem describes a run past one of its bounds: race-too-large for
// the bounds of a race's exploration, limit-exceeded for the others.
func limitProblem(err error, le *simulator.LimitError) *Problem {
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

// httpProblem is a problem of type about:blank.
func httpProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: simulator.ReasonPhrase(status), Status: status, Detail: detail}
}

// typedProblem is a problem of one of the API's own types.
func typedProblem(name, detail string) *Problem {
	pt := problemTypes[name]
	return &Problem{Type: pt.Type, Title: pt.Title, Status: pt.Status, Detail: detail}
}

// Problem types of the API. Their URIs are relative references under
// /api/problems/, where each is documented.
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

// handleProblemType answers the documentation of one problem type, which
// its type URI names.
func handleProblemType(w http.ResponseWriter, r *http.Request) error {
	pt, ok := problemTypes[r.PathValue("name")]
	if !ok {
		return httpProblem(http.StatusNotFound, "there is no problem type "+r.PathValue("name"))
	}
	sendCacheable(w, r, mustJSON(pt))
	return nil
}
