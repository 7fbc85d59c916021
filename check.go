package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/httpplay/httpplay/simulator"
)

const checkUsage = `usage: httpplay check --base URL [--policies a,b,...|all] [--expect ID]
                     [--format table|json|markdown|junit] [--timeout 10s]
                     [--repeat N --reset PATH] [--policy-file F]... SCENARIO

Plays the scenario (a file, - for standard input, or preset:NAME) against
the live server at URL, next to every selected policy (default: all), and
says which policies answer as the server does. With --expect ID it is a
check for CI. Requests go only to URL, one at a time but for races, whose
clients send at once; redirects are not followed.

Exit status: 0 done (and with --expect, the server answers as that policy
on every row), 1 the scenario has an error or goes past a limit, 2 usage
error, 3 network error (no answer, a timeout, not HTTP, a body over 1 MiB),
4 the server does not answer as the --expect policy.
`

// Exit statuses of check, as Hurl numbers them.
const (
	checkExitScenario = 1
	checkExitUsage    = 2
	checkExitNetwork  = 3
	checkExitMismatch = 4
)

// maxLiveBody bounds a live response body: far above any answer to a
// scenario's requests, far below what would strain the checker.
const maxLiveBody = 1 << 20

// maxLiveTotal bounds the bodies of one check's live answers together,
// all of which the report keeps.
const maxLiveTotal = 32 << 20

// maxRepeat bounds --repeat, so that one check sends a bounded number of
// requests: MaxSteps each round.
const maxRepeat = 100

// checkCommand runs `httpplay check`.
func checkCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := newFlags("check", checkUsage, stderr)
	base := fl.String("base", "", "the URL of the server to check, such as http://localhost:8080 (required)")
	policies := fl.String("policies", "all", "comma-separated policy ids to compare with, or all")
	expect := fl.String("expect", "", "the policy the server must answer as on every row (exit 4 otherwise)")
	format := fl.String("format", "table", "output format: table, json, markdown or junit")
	timeout := fl.Duration("timeout", 10*time.Second, "how long each request may take, connecting included")
	repeat := fl.Int("repeat", 1, "play the scenario this many times, to observe more outcomes of its races (needs --reset)")
	reset := fl.String("reset", "", "a path to POST before each round, which empties the server (httpplay mock: /_httpplay/reset)")
	var policyFiles multiFlag
	fl.Var(&policyFiles, "policy-file", "a JSON file defining a custom policy (repeatable)")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return checkExitUsage
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintln(stderr, termSafe("httpplay check: "+fmt.Sprintf(format, args...)))
		return checkExitUsage
	}
	if len(pos) != 1 {
		return usageErr("give exactly one scenario: a file, - for standard input, or preset:NAME")
	}
	baseURL, err := checkBase(*base)
	if err != nil {
		return usageErr("--base: %v", err)
	}
	switch *format {
	case "table", "json", "markdown", "junit":
	default:
		return usageErr("unknown format %q: use table, json, markdown or junit", *format)
	}
	if *timeout <= 0 {
		return usageErr("--timeout must be positive, such as 10s")
	}
	if *repeat < 1 || *repeat > maxRepeat {
		return usageErr("--repeat must be from 1 to %d", maxRepeat)
	}
	if *repeat > 1 && *reset == "" {
		return usageErr("--repeat needs --reset PATH: each round must start from an empty server")
	}
	if *reset != "" && !strings.HasPrefix(*reset, "/") {
		return usageErr("--reset %q must be a path starting with /", *reset)
	}
	name, text, err := readScenario(pos[0], stdin)
	if err != nil {
		return usageErr("%v", err)
	}
	opts := simulator.Options{File: name, Policies: strings.Split(*policies, ",")}
	for _, f := range policyFiles {
		data, err := readBounded(f)
		if err != nil {
			return usageErr("%v", err)
		}
		opts.PolicyJSON = append(opts.PolicyJSON, data)
	}
	res, err := simulator.Run(text, opts)
	if err != nil {
		var serr *simulator.Error
		var lerr *simulator.LimitError
		var perr *simulator.PolicyError
		switch {
		case errors.As(err, &serr):
			fmt.Fprintln(stderr, termSafe(serr.Error()))
			return checkExitScenario
		case errors.As(err, &perr) && perr.Index < len(policyFiles):
			return usageErr("%s:%d:%d: %v", policyFiles[perr.Index], perr.Line, perr.Col, perr.Err)
		case errors.As(err, &lerr):
			fmt.Fprintln(stderr, termSafe("httpplay check: "+lerr.Error()))
			return checkExitScenario
		}
		return usageErr("%v", err)
	}
	if *expect != "" && !slices.Contains(res.Policies, *expect) {
		return usageErr("--expect %q is not among the compared policies (%s)", *expect, strings.Join(res.Policies, ", "))
	}
	lc := newLiveClient(baseURL, *timeout)
	var rounds [][]simulator.LiveStep
	for round := range *repeat {
		if *reset != "" {
			if err := lc.reset(*reset); err != nil {
				fmt.Fprintln(stderr, termSafe(fmt.Sprintf("httpplay check: round %d: %v", round+1, err)))
				return checkExitNetwork
			}
		}
		steps, err := simulator.PlayLive(context.Background(), text, simulator.LiveOptions{File: name, Send: lc.send})
		if err != nil {
			fmt.Fprintln(stderr, termSafe("httpplay check: "+err.Error()))
			var lve *simulator.LiveError
			if errors.As(err, &lve) {
				return checkExitNetwork
			}
			return checkExitScenario
		}
		rounds = append(rounds, steps)
	}
	rep := compareLive(res, rounds, baseURL.String(), *expect)
	switch *format {
	case "json":
		err = writeJSON(stdout, rep)
	case "markdown":
		_, err = io.WriteString(stdout, rep.markdown())
	case "junit":
		err = rep.junit(stdout)
	default:
		_, err = io.WriteString(stdout, rep.table())
	}
	if err != nil {
		fmt.Fprintf(stderr, "httpplay check: %v\n", err)
		return checkExitScenario
	}
	if *expect != "" && !rep.Pass {
		if *format != "table" {
			// The table lists the differences; other formats are for
			// machines, so people reading the log get them here.
			fmt.Fprint(stderr, safeLines(rep.differences(*expect)))
		}
		return checkExitMismatch
	}
	return 0
}

// checkBase validates --base: an absolute http or https URL without query
// or fragment, to which scenario paths are appended.
func checkBase(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("give the server's URL, such as http://localhost:8080")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q names no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must not have a query, fragment or user", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// liveClient sends a scenario's requests to one server and nowhere else.
type liveClient struct {
	base    *url.URL
	client  *http.Client
	timeout time.Duration
	// kept counts the body bytes read so far, for maxLiveTotal.
	kept atomic.Int64
}

func newLiveClient(base *url.URL, timeout time.Duration) *liveClient {
	tr := &http.Transport{
		// Only the URL given: no proxy from the environment, no redirect,
		// and bodies as the server sent them.
		Proxy:                  nil,
		DialContext:            (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true,
		MaxIdleConnsPerHost:    8,
	}
	return &liveClient{base: base, timeout: timeout, client: &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// target is the URL of a scenario path on the server.
func (c *liveClient) target(path string) (string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("the path %q does not start with /", path)
	}
	return c.base.Scheme + "://" + c.base.Host + c.base.EscapedPath() + path, nil
}

// send is simulator.LiveOptions.Send over HTTP.
func (c *liveClient) send(ctx context.Context, r simulator.Request) (simulator.Response, error) {
	target, err := c.target(r.Path)
	if err != nil {
		return simulator.Response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target, strings.NewReader(r.Body))
	if err != nil {
		return simulator.Response{}, err
	}
	if req.URL.Host != c.base.Host {
		return simulator.Response{}, fmt.Errorf("the path %q would leave %s", r.Path, c.base.Host)
	}
	for k, v := range r.Headers {
		req.Header[k] = []string{v}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return simulator.Response{}, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLiveBody+1))
	if err != nil {
		return simulator.Response{}, fmt.Errorf("%s %s: reading the body: %w", r.Method, r.Path, err)
	}
	if len(body) > maxLiveBody {
		return simulator.Response{}, fmt.Errorf("%s %s: the response body is larger than %d MiB", r.Method, r.Path, maxLiveBody>>20)
	}
	if c.kept.Add(int64(len(body))) > maxLiveTotal {
		return simulator.Response{}, fmt.Errorf("%s %s: the server's answers add up to more than %d MiB", r.Method, r.Path, maxLiveTotal>>20)
	}
	out := simulator.Response{Status: resp.StatusCode, Reason: http.StatusText(resp.StatusCode), Body: string(body), Headers: map[string]string{}}
	for k, v := range resp.Header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Date", "Connection", "Keep-Alive":
			continue
		}
		out.Headers[simulator.CanonicalHeader(k)] = strings.Join(v, ", ")
	}
	return out, nil
}

// reset empties the server before a round.
func (c *liveClient) reset(path string) error {
	resp, err := c.send(context.Background(), simulator.Request{Method: "POST", Path: path})
	if err != nil {
		return fmt.Errorf("--reset: %w", err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return fmt.Errorf("--reset: POST %s answered %d, not 2xx", path, resp.Status)
	}
	return nil
}

// checkReport is what check found: the JSON of --format json.
type checkReport struct {
	Title    string      `json:"title"`
	Base     string      `json:"base"`
	Policies []string    `json:"policies"`
	Rounds   int         `json:"rounds"`
	Steps    []checkStep `json:"steps"`
	// Ranking orders the policies by the rows they answer as the server.
	Ranking []checkRank `json:"ranking"`
	Expect  string      `json:"expect,omitempty"`
	// Pass is set when Expect answers as the server on every row.
	Pass bool `json:"pass"`
}

type checkStep struct {
	Line    int                  `json:"line"`
	Label   string               `json:"label"`
	Request *simulator.Request   `json:"request,omitempty"`
	Live    *checkLive           `json:"live,omitempty"`
	Race    []checkRaceOutcome   `json:"race,omitempty"`
	Same    []string             `json:"same"`
	Differs map[string]checkDiff `json:"differs,omitempty"`
	sim     simulator.Step
}

// checkLive is a live answer, linted.
type checkLive struct {
	Sent    *simulator.Request  `json:"sent,omitempty"`
	Status  int                 `json:"status"`
	Headers map[string]string   `json:"headers"`
	Body    string              `json:"body"`
	Lint    []simulator.Finding `json:"lint"`
}

// checkRaceOutcome is one set of statuses a race gave, and in how many
// rounds.
type checkRaceOutcome struct {
	Statuses []int `json:"statuses"`
	Rounds   int   `json:"rounds"`
}

// checkDiff says how a policy's answer differs from the server's, and the
// policy's reason for its own.
type checkDiff struct {
	Status int      `json:"status,omitempty"`
	What   []string `json:"what"`
	Reason string   `json:"reason,omitempty"`
}

type checkRank struct {
	Policy string `json:"policy"`
	Same   int    `json:"same"`
	// Identical counts the request rows answered byte for byte alike,
	// which breaks ties between policies that differ only in details.
	Identical int `json:"identical"`
	Of        int `json:"of"`
}

// compareLive sets each row's live answers beside the simulated ones.
func compareLive(res *simulator.Result, rounds [][]simulator.LiveStep, base, expect string) *checkReport {
	rep := &checkReport{Title: res.Title, Base: base, Policies: res.Policies, Rounds: len(rounds), Expect: expect}
	same, identical := map[string]int{}, map[string]int{}
	for i, st := range res.Steps {
		cs := checkStep{Line: st.Line, Label: stepLabel(st), Request: st.Request, Same: []string{}, sim: st}
		first := rounds[0][i]
		if first.Response != nil {
			r := first.Response
			ref := referenceSituation(st, res.Policies, r)
			sent := st.Request
			if r.Sent != nil {
				sent = r.Sent
			}
			withSit := *r
			withSit.Situation = ref
			cs.Live = &checkLive{Sent: r.Sent, Status: r.Status, Headers: r.Headers, Body: r.Body, Lint: simulator.Lint(*sent, withSit)}
		} else {
			for _, round := range rounds {
				var statuses []int
				for _, r := range round[i].Race {
					statuses = append(statuses, r.Status)
				}
				j := slices.IndexFunc(cs.Race, func(o checkRaceOutcome) bool { return slices.Equal(o.Statuses, statuses) })
				if j < 0 {
					cs.Race = append(cs.Race, checkRaceOutcome{Statuses: statuses})
					j = len(cs.Race) - 1
				}
				cs.Race[j].Rounds++
			}
		}
		for _, p := range res.Policies {
			d := cs.compare(st.Results[p], first)
			if len(d.What) == 0 {
				cs.Same = append(cs.Same, p)
				same[p]++
				if r := first.Response; r != nil && sameResponse(st.Results[p], *r) {
					identical[p]++
				}
				continue
			}
			if cs.Differs == nil {
				cs.Differs = map[string]checkDiff{}
			}
			cs.Differs[p] = d
		}
		rep.Steps = append(rep.Steps, cs)
	}
	for _, p := range res.Policies {
		rep.Ranking = append(rep.Ranking, checkRank{Policy: p, Same: same[p], Identical: identical[p], Of: len(res.Steps)})
	}
	sort.SliceStable(rep.Ranking, func(a, b int) bool {
		ra, rb := rep.Ranking[a], rep.Ranking[b]
		return ra.Same > rb.Same || ra.Same == rb.Same && ra.Identical > rb.Identical
	})
	if expect != "" {
		rep.Pass = same[expect] == len(res.Steps)
	}
	return rep
}

// sameResponse reports whether a live answer is the simulated one byte for
// byte: status, every header field the policy sends and no other, body.
func sameResponse(sim, live simulator.Response) bool {
	if sim.Status != live.Status || sim.Body != live.Body || len(sim.Headers) != len(live.Headers) {
		return false
	}
	for k, v := range sim.Headers {
		if live.Headers[simulator.CanonicalHeader(k)] != v {
			return false
		}
	}
	return true
}

// referenceSituation is what a request was about for lint: the situation
// of the first policy that answers as the server, else of the first policy.
func referenceSituation(st simulator.Step, policies []string, live *simulator.Response) string {
	for _, p := range policies {
		if r := st.Results[p]; r.Status == live.Status {
			return r.Situation
		}
	}
	if len(policies) > 0 {
		return st.Results[policies[0]].Situation
	}
	return ""
}

// compare says how a policy's answer to a row differs from the server's:
// for a request, the status, the header fields whose presence or value a
// client acts on, the media type, and the shape of the body (its members,
// not their values, which differ between servers anyway: ids, messages);
// for a race, whether every set of statuses observed is among the
// policy's outcomes.
func (cs *checkStep) compare(sim simulator.Response, live simulator.LiveStep) checkDiff {
	d := checkDiff{Reason: policyReason(sim)}
	if live.Response == nil {
		if sim.Race == nil {
			return d
		}
		d.Reason = ""
		var sets []string
		for _, o := range sim.Race.Outcomes {
			sets = append(sets, fmt.Sprint(o.Statuses))
		}
		for _, o := range cs.Race {
			if !slices.ContainsFunc(sim.Race.Outcomes, func(so simulator.Outcome) bool { return slices.Equal(so.Statuses, o.Statuses) }) {
				d.What = append(d.What, fmt.Sprintf("its outcomes %s do not include %v", strings.Join(sets, " "), o.Statuses))
			}
		}
		return d
	}
	r := live.Response
	if r.Status != sim.Status {
		d.Status = sim.Status
		d.What = append(d.What, fmt.Sprintf("status %d", sim.Status))
		return d
	}
	for _, name := range []string{"Location", "Allow", "Accept-Patch", "ETag", "WWW-Authenticate", "Retry-After", "Content-Location"} {
		sv, sok := sim.Headers[name]
		lv, lok := r.Headers[name]
		switch {
		case sok && !lok:
			d.What = append(d.What, "sends "+name)
		case !sok && lok:
			d.What = append(d.What, "sends no "+name)
		case name == "Allow" && !sameList(sv, lv):
			d.What = append(d.What, fmt.Sprintf("Allow: %s", sv))
		}
	}
	if (sim.Body == "") != (r.Body == "") {
		if sim.Body == "" {
			d.What = append(d.What, "sends no content")
		} else {
			d.What = append(d.What, "sends content")
		}
		return d
	}
	if sim.Body != "" {
		if st, lt := mediaType(sim.Headers["Content-Type"]), mediaType(r.Headers["Content-Type"]); st != lt {
			d.What = append(d.What, "Content-Type: "+st)
		}
		if ss, ls := jsonShape(sim.Body), jsonShape(r.Body); ss != ls {
			d.What = append(d.What, "a body of "+ss+" where the server sent "+ls)
		}
	}
	return d
}

// policyReason is the trace's sentence for the status a policy chose.
func policyReason(r simulator.Response) string {
	for i := len(r.Trace) - 1; i >= 0; i-- {
		if r.Trace[i].Step == "status" {
			return r.Trace[i].Detail
		}
	}
	return ""
}

func sameList(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for _, f := range strings.Split(s, ",") {
			out = append(out, strings.ToUpper(strings.TrimSpace(f)))
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(split(a), split(b))
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// jsonShape describes a body by what a client's decoder sees: an object's
// member names, an array's length, or the kind of anything else.
func jsonShape(body string) string {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return "text"
	}
	switch x := v.(type) {
	case map[string]any:
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		return "{" + strings.Join(names, ", ") + "}"
	case []any:
		return "an array of " + strconv.Itoa(len(x))
	}
	return "a JSON " + fmt.Sprintf("%T", v)
}

// liveCell is the server's answer to a row as the matrix shows it.
func (cs *checkStep) liveCell() string {
	if cs.Live != nil {
		return strconv.Itoa(cs.Live.Status)
	}
	var parts []string
	for _, o := range cs.Race {
		s := strings.Trim(strings.ReplaceAll(fmt.Sprint(o.Statuses), " ", ","), "[]")
		if o.Rounds > 1 {
			s += " ×" + strconv.Itoa(o.Rounds)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

// simCell is a policy's answer to a row: its status, or a race's outcomes.
func (cs *checkStep) simCell(p string) string {
	r := cs.sim.Results[p]
	if r.Race == nil {
		return strconv.Itoa(r.Status)
	}
	var parts []string
	for _, o := range r.Race.Outcomes {
		parts = append(parts, strings.Trim(strings.ReplaceAll(fmt.Sprint(o.Statuses), " ", ","), "[]"))
	}
	return strings.Join(parts, " | ")
}

// rows is the matrix: the server's column, then each policy's, a cell
// marked with "≠" where the policy answers otherwise, and how many agree.
func (rep *checkReport) rows() [][]string {
	head := []string{"line", "request", "your API"}
	head = append(head, rep.Policies...)
	head = append(head, "same")
	rows := [][]string{head}
	for i := range rep.Steps {
		cs := &rep.Steps[i]
		row := []string{strconv.Itoa(cs.Line), cs.Label, cs.liveCell()}
		for _, p := range rep.Policies {
			c := cs.simCell(p)
			if _, differs := cs.Differs[p]; differs {
				c += " ≠"
			}
			row = append(row, c)
		}
		row = append(row, fmt.Sprintf("%d/%d", len(cs.Same), len(rep.Policies)))
		rows = append(rows, row)
	}
	return rows
}

// table is the report for a terminal.
func (rep *checkReport) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s against %s\n\n", rep.Title, rep.Base)
	rows := rep.rows()
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, c := range row {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	for _, row := range rows {
		for j, c := range row {
			pad := widths[j] - len([]rune(c))
			if j == 0 {
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString("  " + c + strings.Repeat(" ", pad))
			}
		}
		trimmed := strings.TrimRight(b.String(), " ")
		b.Reset()
		b.WriteString(trimmed + "\n")
	}
	b.WriteString("\n")
	b.WriteString(rep.summary())
	return safeLines(b.String())
}

// safeLines is termSafe line by line, keeping the line breaks.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

// summary ranks the policies, lists the differences from the expected
// policy (or the closest) and the lint of the live answers.
func (rep *checkReport) summary() string {
	var b strings.Builder
	if len(rep.Ranking) > 0 {
		top := rep.Ranking[0]
		fmt.Fprintf(&b, "closest: %s, %d of %d rows (%d identical)\n", top.Policy, top.Same, top.Of, top.Identical)
		for _, r := range rep.Ranking[1:] {
			fmt.Fprintf(&b, "         %s, %d of %d (%d identical)\n", r.Policy, r.Same, r.Of, r.Identical)
		}
		b.WriteString("\n")
	}
	ref := rep.Expect
	if ref == "" && len(rep.Ranking) > 0 {
		ref = rep.Ranking[0].Policy
	}
	if ref != "" {
		b.WriteString(rep.differences(ref))
	}
	var lint []string
	for _, cs := range rep.Steps {
		if cs.Live == nil {
			continue
		}
		for _, f := range cs.Live.Lint {
			lint = append(lint, fmt.Sprintf("  line %d, %s: %s: %s (%s)", cs.Line, cs.Label, f.Level, f.Message, f.Cite))
		}
	}
	if len(lint) > 0 {
		b.WriteString("\nlint of your API's answers:\n" + strings.Join(lint, "\n") + "\n")
	}
	if rep.Expect != "" {
		verdict := "PASS"
		if !rep.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "\n%s: the server answers as %s on %d of %d rows\n", verdict, rep.Expect, rep.sameCount(rep.Expect), len(rep.Steps))
	}
	return b.String()
}

func (rep *checkReport) sameCount(p string) int {
	for _, r := range rep.Ranking {
		if r.Policy == p {
			return r.Same
		}
	}
	return 0
}

// differences lists the rows where a policy answers otherwise than the
// server, each with what differs and the policy's reason.
func (rep *checkReport) differences(p string) string {
	var b strings.Builder
	n := 0
	for _, cs := range rep.Steps {
		d, ok := cs.Differs[p]
		if !ok {
			continue
		}
		if n == 0 {
			fmt.Fprintf(&b, "differences from %s:\n", p)
		}
		n++
		fmt.Fprintf(&b, "  line %d, %s: the server answered %s; %s: %s\n", cs.Line, cs.Label, cs.liveCell(), p, strings.Join(d.What, ", "))
		if d.Reason != "" {
			fmt.Fprintf(&b, "    %s: %s\n", p, d.Reason)
		}
	}
	if n == 0 {
		fmt.Fprintf(&b, "differences from %s: none\n", p)
	}
	return b.String()
}

// markdown is the report for a pull request comment or a job summary.
func (rep *checkReport) markdown() string {
	esc := func(s string) string { return strings.ReplaceAll(termSafe(s), "|", `\|`) }
	var b strings.Builder
	fmt.Fprintf(&b, "### %s against `%s`\n\n", esc(rep.Title), esc(rep.Base))
	for i, row := range rep.rows() {
		for j := range row {
			row[j] = esc(row[j])
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			b.WriteString(strings.Repeat("| --- ", len(row)) + "|\n")
		}
	}
	b.WriteString("\n```\n" + safeLines(rep.summary()) + "```\n")
	return b.String()
}

// junit writes a test suite with a case per row, failing where the
// expected policy (or, without --expect, the closest) answers otherwise,
// for CI systems that show JUnit reports.
func (rep *checkReport) junit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type testsuite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	ref := rep.Expect
	if ref == "" && len(rep.Ranking) > 0 {
		ref = rep.Ranking[0].Policy
	}
	s := testsuite{Name: "httpplay check: " + rep.Title + " against " + rep.Base + " as " + ref, Tests: len(rep.Steps)}
	for _, cs := range rep.Steps {
		tc := testcase{Name: fmt.Sprintf("line %d: %s", cs.Line, cs.Label), Classname: ref}
		if d, ok := cs.Differs[ref]; ok {
			s.Failures++
			tc.Failure = &failure{Message: strings.Join(d.What, ", "), Text: d.Reason}
		}
		s.Cases = append(s.Cases, tc)
	}
	out, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, xml.Header+string(out)+"\n")
	return err
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
