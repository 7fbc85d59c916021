package simulator

import (
	"encoding/json"
	"time"
)

// Options selects what Run simulates.
type Options struct {
	// File names the scenario in error messages; "scenario" when empty.
	File string
	// Policies lists the policy ids to run, in column order. Empty means
	// DefaultPolicyIDs; the single id "all" means every built-in policy.
	// Custom policies declared in the scenario are always appended.
	Policies []string
	// PolicyJSON holds extra custom policy definitions (the JSON of
	// SYNTAX.md), each added as a column after the selected policies.
	PolicyJSON []string
	// Isolation overrides the scenario's @isolation: "atomic",
	// "check-then-act", or both, which gives every policy two columns.
	Isolation []string
	// MaxStates bounds the states a race explores per column;
	// DefaultMaxStates when zero.
	MaxStates int
	// MaxTotalStates bounds the race states of the whole run, over every
	// race and column, so that a host can cap the work one request causes;
	// zero means no bound beyond MaxStates. Races past it are incomplete.
	MaxTotalStates int

	// Timeout bounds the time of the run, DefaultTimeout when zero; a
	// deadline of the context given to RunContext counts too, whichever
	// comes first. A race under way when it passes stops and reports what
	// it found, marked incomplete; the rest of the run then has a short
	// grace to finish, after which Run returns a *LimitError.
	Timeout time.Duration
	// MaxValueBytes bounds any path, header value or body after {{name}}
	// substitution; DefaultMaxValueBytes when zero.
	MaxValueBytes int
	// MaxResultBytes bounds the whole result (bodies, headers, traces and
	// race outcomes, counted before JSON encoding), shared evenly by the
	// columns; DefaultMaxResultBytes when zero.
	MaxResultBytes int
	// MaxColumns bounds the columns, policies × isolations;
	// DefaultMaxColumns when zero.
	MaxColumns int
	// CompleteRaces makes a race that cannot be explored completely within
	// the bounds an error rather than a partial result, for hosts that only
	// answer complete explorations. Races whose size alone rules them out
	// are refused before any work.
	CompleteRaces bool
	// Progress, when not nil, is called about every 100 ms while races are
	// explored and as columns finish, from the goroutines of the run but
	// never twice at once.
	Progress func(Progress)
}

// Result is the outcome of one scenario under every selected policy: the
// JSON contract shared by the CLI, the WebAssembly module and the API.
type Result struct {
	Title    string   `json:"title"`
	Policies []string `json:"policies"`
	// Columns describes each entry of Policies, in the same order.
	Columns    []Column              `json:"columns"`
	Steps      []Step                `json:"steps"`
	Properties map[string]Properties `json:"properties,omitempty"`
}

// Properties holds the analysis of a scenario under one column: answers
// to the questions the status-code arguments are really about.
type Properties struct {
	RetrySafe         Property `json:"retry_safe"`
	IdempotentEffect  Property `json:"idempotent_effect"`
	LeaksExistence    Property `json:"leaks_existence"`
	LosesUpdates      Property `json:"loses_updates"`
	DoubleBooking     Property `json:"double_booking"`
	CacheableRefusals Property `json:"cacheable_refusals"`
}

// Property is one analysed property. Value is null when the scenario has
// nothing to judge it by; Lines names the steps that decide it.
type Property struct {
	Value   *bool    `json:"value"`
	Summary string   `json:"summary"`
	Lines   []int    `json:"lines,omitempty"`
	Details []string `json:"details,omitempty"`
	Cite    string   `json:"cite"`
	URL     string   `json:"url,omitempty"`
}

// Step is one row of the matrix: a request or a race, and each column's
// answer to it.
type Step struct {
	Line    int                 `json:"line"`
	Request *Request            `json:"request,omitempty"`
	Race    []RaceRequest       `json:"race,omitempty"`
	Results map[string]Response `json:"results"`
	// Differs is set when the columns answer the step differently.
	Differs bool `json:"differs,omitempty"`
}

// Request is a request as written in the scenario.
type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Response is what one policy answered to one request, with the reasons.
// For a race step only Race is set, and the JSON is the race's result.
type Response struct {
	Race *RaceResult `json:"-"`

	// Sent is the request after {{name}} substitution, present only when
	// substitution changed it, because captured values differ per policy.
	Sent      *Request          `json:"sent,omitempty"`
	Status    int               `json:"status"`
	Reason    string            `json:"reason"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	Situation string            `json:"situation"`
	Trace     []TraceEntry      `json:"trace"`
	Lint      []Finding         `json:"lint"`
	// Unfilled names the {{name}} values the request used that were
	// empty, because the capture found nothing or nothing was captured.
	Unfilled []string `json:"unfilled,omitempty"`
	// RaceSent is, for a race step whose requests use {{name}}, each
	// request after substitution, in the order of Step.Race.
	RaceSent []RaceRequest `json:"-"`
}

// MarshalJSON writes a race step's result in place of a response.
func (r Response) MarshalJSON() ([]byte, error) {
	if r.Race != nil {
		if r.RaceSent == nil && r.Unfilled == nil {
			return json.Marshal(r.Race)
		}
		return json.Marshal(struct {
			*RaceResult
			Sent     []RaceRequest `json:"sent,omitempty"`
			Unfilled []string      `json:"unfilled,omitempty"`
		}{r.Race, r.RaceSent, r.Unfilled})
	}
	type plain Response
	return json.Marshal(plain(r))
}

// TraceEntry is one decision taken while answering a request.
type TraceEntry struct {
	Step   string `json:"step"`
	Detail string `json:"detail"`
	Cite   string `json:"cite,omitempty"`
	URL    string `json:"url,omitempty"`
}

// Finding is one lint result about a response.
type Finding struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Cite    string `json:"cite"`
	URL     string `json:"url,omitempty"`
}
