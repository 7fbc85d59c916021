package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/httpplay/httpplay/policyserver"
	"github.com/httpplay/httpplay/simulator"
)

const mockUsage = `usage: httpplay mock --policy ID [--declare FILE] [--addr HOST:PORT]
                    [--policy-file F] [--isolation atomic|check-then-act]

Serves one policy as a stateful HTTP server, until interrupted: every
request is answered as the policy's column of the matrix answers it, and
logged with its situation and status. GET /_httpplay/state shows the
world as JSON; POST /_httpplay/reset empties it.
`

// defaultMockAddr is where `httpplay mock` listens: beside serve's port,
// on loopback only, since a mock is for the machine it runs on.
const defaultMockAddr = "127.0.0.1:9901"

// maxMockRequests bounds the requests a mock answers at once; each holds
// up to a body of policyserver.DefaultMaxBodyBytes while it waits for the
// world's lock.
const maxMockRequests = 64

// mockControl is the prefix of the mock's own endpoints, which no policy
// answers.
const mockControl = "/_httpplay/"

// mockCommand runs `httpplay mock` until SIGINT or SIGTERM.
func mockCommand(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return mockMain(ctx, args, stdout, stderr)
}

// mockMain is mockCommand with the stop signal given as a context.
func mockMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("mock", mockUsage, stderr)
	policy := fl.String("policy", "", "the id of the policy to serve (see httpplay policies), or of the --policy-file one")
	declare := fl.String("declare", "", "a file of declarations, such as @unique /users email")
	addr := fl.String("addr", defaultMockAddr, "address to listen on")
	policyFile := fl.String("policy-file", "", "a JSON file defining a custom policy to serve")
	isolation := fl.String("isolation", "", "atomic or check-then-act (default: the declarations' @isolation, else atomic)")
	if err := fl.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "httpplay mock: unexpected argument %q\n", fl.Arg(0))
		fl.Usage()
		return 2
	}
	if *policy == "" && *policyFile == "" {
		fmt.Fprintln(stderr, "httpplay mock: give --policy ID (see httpplay policies) or --policy-file F")
		return 2
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		fmt.Fprintf(stderr, "httpplay mock: --addr %q is not HOST:PORT: %v\n", *addr, err)
		return 2
	}
	opts := []policyserver.Option{policyserver.Isolation(*isolation)}
	if *declare != "" {
		text, err := readBounded(*declare)
		if err != nil {
			fmt.Fprintln(stderr, termSafe("httpplay mock: --declare: "+err.Error()))
			return 2
		}
		opts = append(opts, policyserver.Declarations(text))
	}
	if *policyFile != "" {
		text, err := readBounded(*policyFile)
		if err != nil {
			fmt.Fprintln(stderr, termSafe("httpplay mock: --policy-file: "+err.Error()))
			return 2
		}
		opts = append(opts, policyserver.PolicyJSON(text))
	}
	h, err := newMock(*policy, stdout, opts...)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "policyserver: ")
		var serr *simulator.Error
		var perr *simulator.PolicyError
		switch {
		case errors.As(err, &serr):
			msg = *declare + strings.TrimPrefix(serr.Error(), "declarations")
		case errors.As(err, &perr):
			msg = fmt.Sprintf("%s:%d:%d: %v", *policyFile, perr.Line, perr.Col, perr.Err)
		}
		fmt.Fprintln(stderr, termSafe("httpplay mock: "+msg))
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "httpplay mock: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "httpplay mock: %s (%s) on %s\n", h.srv.Policy().ID, h.srv.Isolation(), displayURL(ln.Addr()))
	if err := serve(ctx, ln, h); err != nil {
		fmt.Fprintf(stderr, "httpplay mock: %v\n", err)
		return 1
	}
	return 0
}

// readBounded reads a declarations or policy file, which is never large.
func readBounded(name string) (string, error) {
	if st, err := os.Stat(name); err == nil && st.Size() > maxScenarioBytes {
		return "", fmt.Errorf("%s is larger than %d MiB", name, maxScenarioBytes>>20)
	}
	data, err := os.ReadFile(name)
	return string(data), err
}

// mock is the handler of `httpplay mock`: the policy server, its two
// control endpoints, a bound on requests at once, and the log.
type mock struct {
	srv   *policyserver.Server
	slots chan struct{}
	logMu sync.Mutex
	log   io.Writer
}

// newMock makes the mock of a policy, logging each answer to log.
func newMock(policy string, log io.Writer, opts ...policyserver.Option) (*mock, error) {
	m := &mock{slots: make(chan struct{}, maxMockRequests), log: log}
	opts = append(opts, policyserver.Observe(func(r *http.Request, resp simulator.Response) {
		m.logf("%s %s -> %d %s", r.Method, r.URL.RequestURI(), resp.Status, resp.Situation)
	}))
	srv, err := policyserver.New(policy, opts...)
	if err != nil {
		return nil, err
	}
	m.srv = srv
	return m, nil
}

func (m *mock) logf(format string, args ...any) {
	m.logMu.Lock()
	defer m.logMu.Unlock()
	fmt.Fprintln(m.log, termSafe(time.Now().UTC().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...)))
}

// ServeHTTP answers the control endpoints itself and the rest as the
// policy, turning away requests past maxMockRequests at once.
func (m *mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case m.slots <- struct{}{}:
		defer func() { <-m.slots }()
	default:
		w.Header().Set("Retry-After", "1")
		mockProblem(w, http.StatusServiceUnavailable, fmt.Sprintf("this mock answers at most %d requests at once", maxMockRequests))
		return
	}
	if !strings.HasPrefix(r.URL.Path, mockControl) {
		m.srv.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case mockControl + "state":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			mockProblem(w, http.StatusMethodNotAllowed, "the state is read with GET")
			return
		}
		body, err := json.MarshalIndent(struct {
			Policy    string          `json:"policy"`
			Isolation string          `json:"isolation"`
			State     simulator.State `json:"state"`
		}{m.srv.Policy().ID, m.srv.Isolation(), m.srv.State()}, "", "  ")
		if err != nil {
			mockProblem(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	case mockControl + "reset":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			mockProblem(w, http.StatusMethodNotAllowed, "the world is reset with POST")
			return
		}
		m.srv.Reset()
		m.logf("reset: the world is empty")
		w.WriteHeader(http.StatusNoContent)
	default:
		mockProblem(w, http.StatusNotFound, "the mock's own endpoints are GET "+mockControl+"state and POST "+mockControl+"reset")
	}
}

// mockProblem answers for the mock itself, not for the policy.
func mockProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
