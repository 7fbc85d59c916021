package policyserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/httpplay/httpplay/policyserver"
	"github.com/httpplay/httpplay/simulator"
)

// declarationsOf keeps the declarations of a scenario a server takes: the
// @ lines but custom policies and isolation, which the test chooses.
func declarationsOf(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "@") && !strings.HasPrefix(line, "@policy") && !strings.HasPrefix(line, "@isolation") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// live is a response as it came over the wire.
type live struct {
	status  int
	headers map[string]string
	body    string
}

// send makes one real request and reads the response, its header fields
// without the framing net/http adds.
func send(t *testing.T, c *http.Client, base string, r simulator.Request) live {
	t.Helper()
	got, err := do(c, base, r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func do(c *http.Client, base string, r simulator.Request) (live, error) {
	req, err := http.NewRequest(r.Method, base+r.Path, strings.NewReader(r.Body))
	if err != nil {
		return live{}, err
	}
	for k, v := range r.Headers {
		req.Header[k] = []string{v}
	}
	resp, err := c.Do(req)
	if err != nil {
		return live{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return live{}, err
	}
	out := live{status: resp.StatusCode, headers: map[string]string{}, body: string(body)}
	for k, v := range resp.Header {
		if k != "Content-Length" && k != "Transfer-Encoding" {
			out.headers[k] = strings.Join(v, ", ")
		}
	}
	return out, nil
}

// canonical writes the simulator's header names as net/http reads them.
func canonical(h map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[http.CanonicalHeaderKey(k)] = v
	}
	return out
}

func sameAs(got live, want simulator.Response) string {
	var diffs []string
	if got.status != want.Status {
		diffs = append(diffs, fmt.Sprintf("status %d, simulator %d", got.status, want.Status))
	}
	if w := canonical(want.Headers); !reflect.DeepEqual(got.headers, w) {
		diffs = append(diffs, fmt.Sprintf("headers %v, simulator %v", got.headers, w))
	}
	if got.body != want.Body {
		diffs = append(diffs, fmt.Sprintf("body %q, simulator %q", got.body, want.Body))
	}
	return strings.Join(diffs, "; ")
}

// clientOf is the test server's own client, which its Close leaves the
// other tests' connections alone for, kept from following a 3xx, which the
// simulator answers as a response of its own.
func clientOf(ts *httptest.Server) *http.Client {
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// TestMatchesSimulator plays every preset under every built-in policy and
// both isolations against a real server and requires every response to be
// the simulator's, field for field. A race is sent one client after
// another, an order among those the simulator explores: its statuses and
// final state must be one of the outcomes, and the steps after it are
// compared when it is the outcome whose world the simulator kept.
func TestMatchesSimulator(t *testing.T) {
	t.Parallel()
	for _, preset := range simulator.Presets() {
		for _, pol := range simulator.Policies() {
			for _, iso := range []string{"atomic", "check-then-act"} {
				t.Run(preset.Name+"/"+pol.ID+"/"+iso, func(t *testing.T) {
					t.Parallel()
					res, err := simulator.Run(preset.Text, simulator.Options{File: preset.Name, Policies: []string{pol.ID}, Isolation: []string{iso}})
					if err != nil {
						t.Fatal(err)
					}
					srv, err := policyserver.New(pol.ID, policyserver.Declarations(declarationsOf(preset.Text)), policyserver.Isolation(iso))
					if err != nil {
						t.Fatal(err)
					}
					ts := httptest.NewServer(srv)
					defer ts.Close()
					noRedirects := clientOf(ts)
					for _, step := range res.Steps {
						want := step.Results[pol.ID]
						if want.Race == nil {
							sent := step.Request
							if want.Sent != nil {
								sent = want.Sent
							}
							if d := sameAs(send(t, noRedirects, ts.URL, *sent), want); d != "" {
								t.Fatalf("line %d, %s %s: %s", step.Line, sent.Method, sent.Path, d)
							}
							continue
						}
						reqs := step.Race
						if want.RaceSent != nil {
							reqs = want.RaceSent
						}
						var statuses []int
						for _, r := range reqs {
							statuses = append(statuses, send(t, noRedirects, ts.URL, r.Request).status)
						}
						final := srv.State().Resources
						// An outcome stands for every final state its statuses
						// may leave, and shows one: that one must be reached
						// only when it is the only one.
						i := slices.IndexFunc(want.Race.Outcomes, func(o simulator.Outcome) bool {
							return slices.Equal(o.Statuses, statuses) && (o.Finals > 1 || sameJSON(o.Final, final))
						})
						if i < 0 {
							t.Fatalf("line %d: the race sent in order gave %v and %s, none of the simulator's outcomes %s",
								step.Line, statuses, mustJSON(final), mustJSON(want.Race.Outcomes))
						}
						if i > 0 || !sameJSON(want.Race.Outcomes[0].Final, final) {
							t.Logf("line %d: the race sent in order left another world than the one the simulator went on from", step.Line)
							return
						}
					}
				})
			}
		}
	}
}

func sameJSON(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(compact(v), compact(w)) {
			return false
		}
	}
	return true
}

func compact(m json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, m); err != nil {
		return m
	}
	return b.Bytes()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// TestConcurrentRaces sends every race of the presets for real, all
// clients at once, many times, and requires each observed set of statuses
// to be one of the simulator's outcomes for that policy and isolation. Run
// under -race it also checks that the server shares nothing unguarded.
func TestConcurrentRaces(t *testing.T) {
	t.Parallel()
	for _, preset := range simulator.Presets() {
		if !strings.Contains(preset.Text, "race {") {
			continue
		}
		for _, pol := range []string{"strict", "zalando", "azure", "kubernetes"} {
			for _, iso := range []string{"atomic", "check-then-act"} {
				t.Run(preset.Name+"/"+pol+"/"+iso, func(t *testing.T) {
					t.Parallel()
					res, err := simulator.Run(preset.Text, simulator.Options{File: preset.Name, Policies: []string{pol}, Isolation: []string{iso}})
					if err != nil {
						t.Fatal(err)
					}
					srv, err := policyserver.New(pol, policyserver.Declarations(declarationsOf(preset.Text)), policyserver.Isolation(iso))
					if err != nil {
						t.Fatal(err)
					}
					ts := httptest.NewServer(srv)
					defer ts.Close()
					noRedirects := clientOf(ts)
					for round := range 20 {
						srv.Reset()
						for _, step := range res.Steps {
							want := step.Results[pol]
							if want.Race == nil {
								sent := step.Request
								if want.Sent != nil {
									sent = want.Sent
								}
								send(t, noRedirects, ts.URL, *sent)
								continue
							}
							reqs := step.Race
							if want.RaceSent != nil {
								reqs = want.RaceSent
							}
							statuses := sendRace(t, noRedirects, ts.URL, reqs)
							if !slices.ContainsFunc(want.Race.Outcomes, func(o simulator.Outcome) bool { return slices.Equal(o.Statuses, statuses) }) {
								t.Fatalf("round %d, line %d: statuses %v are none of the simulator's outcomes %s", round, step.Line, statuses, mustJSON(want.Race.Outcomes))
							}
							break
						}
					}
				})
			}
		}
	}
}

// sendRace sends each client's requests in turn, every client at once,
// and returns the statuses in the order of the race's requests.
func sendRace(t *testing.T, c *http.Client, base string, reqs []simulator.RaceRequest) []int {
	t.Helper()
	byClient := map[string][]int{}
	var clients []string
	for i, r := range reqs {
		if _, ok := byClient[r.Client]; !ok {
			clients = append(clients, r.Client)
		}
		byClient[r.Client] = append(byClient[r.Client], i)
	}
	sort.Strings(clients)
	statuses := make([]int, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for _, name := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range byClient[name] {
				var got live
				got, errs[i] = do(c, base, reqs[i].Request)
				statuses[i] = got.status
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return statuses
}

func TestLimits(t *testing.T) {
	t.Parallel()
	srv, err := policyserver.New("strict", policyserver.MaxBodyBytes(100), policyserver.MaxResources(3))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	noRedirects := clientOf(ts)
	json := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name   string
		req    simulator.Request
		status int
	}{
		{"body over the bound", simulator.Request{Method: "POST", Path: "/a", Headers: json, Body: `{"x":"` + strings.Repeat("x", 200) + `"}`}, 413},
		{"first", simulator.Request{Method: "PUT", Path: "/a/1", Headers: json, Body: `{}`}, 201},
		{"second", simulator.Request{Method: "PUT", Path: "/a/2", Headers: json, Body: `{}`}, 201},
		{"third", simulator.Request{Method: "PUT", Path: "/a/3", Headers: json, Body: `{}`}, 201},
		{"fourth is past the bound", simulator.Request{Method: "PUT", Path: "/a/4", Headers: json, Body: `{}`}, 507},
		{"reads still answer", simulator.Request{Method: "GET", Path: "/a/1"}, 200},
	}
	for _, tt := range tests {
		if got := send(t, noRedirects, ts.URL, tt.req); got.status != tt.status {
			t.Fatalf("%s: status %d, want %d (%s)", tt.name, got.status, tt.status, got.body)
		}
	}
	srv.Reset()
	if got := send(t, noRedirects, ts.URL, tests[4].req); got.status != 201 {
		t.Fatalf("after Reset: status %d, want 201", got.status)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		opts   []policyserver.Option
		want   string
	}{
		{"unknown policy", "nope", nil, `unknown policy "nope"`},
		{"requests in declarations", "strict", []policyserver.Option{policyserver.Declarations("@unique /users email\nGET /users\n")}, "declarations:2:1:"},
		{"bad declaration", "strict", []policyserver.Option{policyserver.Declarations("@unique /users\n")}, "declarations:1:"},
		{"bad isolation", "strict", []policyserver.Option{policyserver.Isolation("serial")}, `unknown isolation "serial"`},
		{"bad custom policy", "", []policyserver.Option{policyserver.PolicyJSON(`{"id": "x", "base": "strict",`)}, "custom policy"},
		{"custom policy with a built-in id", "", []policyserver.Option{policyserver.PolicyJSON(`{"id": "strict", "base": "strict"}`)}, "id of a built-in policy"},
		{"zero body bound", "strict", []policyserver.Option{policyserver.MaxBodyBytes(0)}, "MaxBodyBytes"},
	}
	for _, tt := range tests {
		_, err := policyserver.New(tt.policy, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCustomPolicy(t *testing.T) {
	t.Parallel()
	def := `{"id": "lenient", "base": "strict", "rules": {"already-present": {"status": 200}, "duplicate": {"status": 200}}}`
	srv, err := policyserver.New("lenient", policyserver.PolicyJSON(def), policyserver.Declarations("@unique /users email"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	noRedirects := clientOf(ts)
	post := simulator.Request{Method: "POST", Path: "/users", Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"email":"a@example.com"}`}
	send(t, noRedirects, ts.URL, post)
	if got := send(t, noRedirects, ts.URL, post); got.status != 200 {
		t.Fatalf("duplicate under the custom policy: %d, want 200 (%s)", got.status, got.body)
	}
}
