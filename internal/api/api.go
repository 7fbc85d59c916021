// Package api is httpplay's JSON API: POST /api/run and the GET endpoints
// beside it, answered with the same bytes by every host that serves it (the
// native `httpplay serve` and the Cloudflare Worker).
//
// New builds the one handler the hosts serve. Its middleware is composed in
// New alone, each piece doing one job; its endpoints return an error value
// instead of answering when something is wrong, and writeError, the one
// place that writes errors, turns each into an RFC 9457 problem details
// answer (see Problem).
package api

import (
	"net/http"
	"sync"
	"time"

	"github.com/httpplay/httpplay/simulator"
)

// Options says what New serves besides the API.
type Options struct {
	// Static answers every path outside /api/, such as the playground's
	// files. Without it every path is the API's, so that a miss is its
	// problem+json 404 rather than a plain-text one: that is the Worker,
	// where Workers static assets serve the files and only paths matching
	// none of them reach Go.
	Static http.Handler
}

// New returns the handler of the API, and of opts.Static beside it.
//
// Every API answer goes through the same middleware, outermost first:
// recoverPanics turns a panic into a 500 problem, cors grants any origin
// and answers preflights, and nosniff keeps clients from guessing media
// types. Each route then dispatches by method (methods), and POST /api/run
// reads its body through limitBody.
func New(opts Options) http.Handler {
	a := &api{slots: newRunSlots(maxRuns())}
	mux := http.NewServeMux()
	mux.Handle("/api/run", methods{http.MethodPost: limitBody(maxRunBody, a.handleRun)})
	mux.Handle("/api/policies", methods{http.MethodGet: handlePolicies})
	mux.Handle("/api/presets", methods{http.MethodGet: handlePresets})
	mux.Handle("/api/presets/{name}", methods{http.MethodGet: a.handlePreset})
	mux.Handle("/api/problems/{name}", methods{http.MethodGet: handleProblemType})
	mux.Handle("/api/health", methods{http.MethodGet: handleHealth})
	mux.Handle("/", handler(notFound))
	h := recoverPanics(cors(nosniff(mux)))
	if opts.Static == nil {
		return h
	}
	outer := http.NewServeMux()
	outer.Handle("/api/", h)
	outer.Handle("/api", h)
	outer.Handle("/", opts.Static)
	return outer
}

// api holds what the run endpoints share: the slots of the runs under way.
type api struct {
	slots *runSlots
}

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

// MaxAnswerTime bounds how long the API takes to answer a request it has
// read: the wait for a run slot, the run with its grace past the deadline,
// and the sending of the result. A server's write timeout, which runs from
// the end of the request headers, must be at least its read timeout plus
// MaxAnswerTime, or it could cut off an answer the API still gives.
const MaxAnswerTime = runQueueWait + 2*apiTimeout + resultWriteTime

// presetMaxAge is how long a client may reuse a preset result without
// asking again. Results change only when a new version is deployed, and the
// ETag makes the revalidation after that a cheap 304.
const presetMaxAge = "public, max-age=300"

// notFound answers the paths under /api/ that no route takes, and every
// other path when New serves no static files.
func notFound(w http.ResponseWriter, r *http.Request) error {
	return httpProblem(http.StatusNotFound,
		"there is nothing at "+r.URL.Path+"; the API's endpoints are POST /api/run, GET /api/policies, "+
			"GET /api/presets, GET /api/presets/{name} and GET /api/health")
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

func handleHealth(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	send(w, http.StatusOK, "application/json", healthBody())
	return nil
}

// healthBody is the health body, encoded at the first health check: it
// never changes, and encoding it with reflection at every check cost the
// Worker about a tenth of a millisecond of its 1.4 (alternating blocks on
// plain workerd). send only reads it.
var healthBody = sync.OnceValue(func() []byte {
	return mustJSON(health{Status: "ok", MaxSteps: simulator.MaxSteps, MaxRaceStates: apiMaxStates, MaxTotalStates: apiMaxTotalStates,
		MaxBodyBytes: maxRunBody, MaxValueBytes: apiMaxValueBytes, MaxResultBytes: apiMaxResultBytes,
		MaxColumns: apiMaxColumns, MaxConstraints: simulator.MaxConstraints, TimeoutMillis: int(apiTimeout.Milliseconds())})
})
