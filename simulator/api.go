package simulator

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
}

// Result is the outcome of one scenario under every selected policy: the
// JSON contract shared by the CLI, the WebAssembly module and the API.
type Result struct {
	Title      string                `json:"title"`
	Policies   []string              `json:"policies"`
	Steps      []Step                `json:"steps"`
	Properties map[string]Properties `json:"properties,omitempty"`
}

// Properties holds the per-policy analysis of a scenario.
type Properties map[string]any

// Step is one row of the matrix: a request and each policy's response.
type Step struct {
	Line    int                 `json:"line"`
	Request *Request            `json:"request,omitempty"`
	Results map[string]Response `json:"results"`
}

// Request is a request as written in the scenario.
type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Response is what one policy answered to one request, with the reasons.
type Response struct {
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
