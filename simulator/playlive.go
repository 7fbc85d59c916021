package simulator

import (
	"context"
	"errors"
	"sync"
)

// LiveOptions configures PlayLive.
type LiveOptions struct {
	// File names the scenario in error messages; "scenario" when empty.
	File string
	// Send sends one request to the live server and returns its status,
	// header fields (in the simulator's spelling: see CanonicalHeader) and
	// body; Situation, Trace and Lint are left to PlayLive. A race calls
	// it from a goroutine per client, so it must be safe for concurrent
	// use. An error stops the play and is returned, wrapped in *LiveError.
	Send func(ctx context.Context, req Request) (Response, error)
	// MaxValueBytes bounds any path, header value or body after {{name}}
	// substitution; DefaultMaxValueBytes when zero.
	MaxValueBytes int
}

// LiveStep is one row of a scenario as a live server answered it.
type LiveStep struct {
	Line int
	// Response is a request step's answer, with Sent when {{name}}
	// substitution changed the request and the captures in Trace.
	Response *Response
	// Race is a race step's answers, in the order of Step.Race, and
	// RaceSent the requests as sent.
	Race     []Response
	RaceSent []RaceRequest
}

// LiveError is a request the live server could not be asked, or did not
// answer: the line to blame and what went wrong.
type LiveError struct {
	File string
	Line int
	Err  error
}

// Error names the scenario line.
func (e *LiveError) Error() string {
	return (&Error{File: e.File, Line: e.Line, Col: 1, Msg: e.Err.Error()}).Error()
}

// Unwrap returns the sender's error.
func (e *LiveError) Unwrap() error { return e.Err }

// PlayLive plays a scenario against a live server through opts.Send, one
// request after another, capturing as the simulator does from the answers
// the server gave; the clients of a race send at once, each from its own
// goroutine. Problems in the text are *Error values, as from Run.
func PlayLive(ctx context.Context, src string, opts LiveOptions) ([]LiveStep, error) {
	file := opts.File
	if file == "" {
		file = "scenario"
	}
	sc, err := parse(file, src)
	if err != nil {
		return nil, err
	}
	if opts.Send == nil {
		return nil, errors.New("simulator: PlayLive needs a Send function")
	}
	b := newBudget(ctx, Options{MaxValueBytes: opts.MaxValueBytes})
	vars := map[string]string{}
	out := make([]LiveStep, len(sc.steps))
	for i, st := range sc.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i].Line = st.line
		if st.req != nil {
			resp, err := sendLive(ctx, st.req, vars, b, opts.Send)
			if err != nil {
				return nil, wrapLive(file, st.req.line, st.req.col, err)
			}
			out[i].Response = &resp
			continue
		}
		var reqs []*requestSpec
		for _, c := range st.race.clients {
			reqs = append(reqs, c.reqs...)
		}
		out[i].Race = make([]Response, len(reqs))
		sent := make([]RaceRequest, len(reqs))
		errs := make([]error, len(reqs))
		var wg sync.WaitGroup
		first := 0
		for _, c := range st.race.clients {
			wg.Add(1)
			go func(first int, c clientSpec) {
				defer wg.Done()
				own := copyStrings(vars)
				for j, r := range c.reqs {
					resp, err := sendLive(ctx, r, own, b, opts.Send)
					if err != nil {
						errs[first+j] = wrapLive(file, r.line, r.col, err)
						return
					}
					out[i].Race[first+j] = resp
					sent[first+j] = RaceRequest{Client: c.name, Request: *r.written()}
					if resp.Sent != nil {
						sent[first+j].Request = *resp.Sent
					}
				}
			}(first, c)
			first += len(c.reqs)
		}
		wg.Wait()
		if err := firstError(errs); err != nil {
			return nil, err
		}
		out[i].RaceSent = sent
	}
	return out, nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func wrapLive(file string, line, col int, err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return limitAt(file, line, col, le)
	}
	var lve *LiveError
	if errors.As(err, &lve) {
		if lve.File == "" {
			lve.File = file
		}
		return err
	}
	return &LiveError{File: file, Line: line, Err: err}
}

// sendLive substitutes variables, sends the request and takes its
// captures from the answer.
func sendLive(ctx context.Context, spec *requestSpec, vars map[string]string, b *budget, send func(context.Context, Request) (Response, error)) (Response, error) {
	req, err := spec.resolve(scope{own: vars}, b)
	if err != nil {
		return Response{}, err
	}
	resp, err := send(ctx, *req.public())
	if err != nil {
		return Response{}, &LiveError{Line: spec.line, Err: err}
	}
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	if spec.vars {
		resp.Sent = req.public()
	}
	resp.Trace = nil
	for _, c := range spec.lets {
		v, entry := c.take(&resp)
		vars[c.name] = v
		resp.Trace = append(resp.Trace, entry)
	}
	return resp, nil
}

// CanonicalHeader writes a header field name as the simulator does: title
// case, with the registered spelling of ETag and WWW-Authenticate.
func CanonicalHeader(name string) string { return canonicalHeader(name) }

// Lint checks a response from any server against the MUSTs and SHOULDs of
// the HTTP RFCs, as every cell of the matrix is checked; resp.Situation is
// what the request was about, as the simulator detected it, or "" when
// unknown. Of a policy it reads nothing: a live server follows none.
func Lint(req Request, resp Response) []Finding {
	r := &request{method: req.Method, path: req.Path, body: req.Body, headers: map[string]string{}}
	for k, v := range req.Headers {
		r.headers[canonicalHeader(k)] = v
	}
	r.target = cleanPath(r.path)
	out := lint(r, &resp, nil)
	if out == nil {
		out = []Finding{}
	}
	return out
}
