package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/httpplay/httpplay/policyserver"
	"github.com/httpplay/httpplay/simulator"
)

// presetDeclarations is what a mock needs to play a preset: its
// declarations, without the custom policies and isolations the matrix
// makes columns of.
func presetDeclarations(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "@") && !strings.HasPrefix(line, "@policy") && !strings.HasPrefix(line, "@isolation") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// runCheck runs the command and returns its exit status and output.
func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := runCLI(append([]string{"check"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestCheckAgainstMock checks the mock of every built-in policy with
// every preset: expecting the policy passes, and expecting any policy
// whose matrix column answers a request of the preset with another status
// fails on that row.
func TestCheckAgainstMock(t *testing.T) {
	t.Parallel()
	for _, pol := range simulator.Policies() {
		t.Run(pol.ID, func(t *testing.T) {
			t.Parallel()
			for _, preset := range simulator.Presets() {
				m, err := newMock(pol.ID, io.Discard, policyserver.Declarations(presetDeclarations(preset.Text)))
				if err != nil {
					t.Fatal(err)
				}
				ts := httptest.NewServer(m)
				code, out, errOut := runCheck(t, "--base", ts.URL, "--reset", "/_httpplay/reset", "--expect", pol.ID, "--format", "json", "preset:"+preset.Name)
				if code != 0 {
					ts.Close()
					t.Fatalf("%s: exit %d, want 0\n%s%s", preset.Name, code, errOut, out)
				}
				var rep checkReport
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatal(err)
				}
				res, err := simulator.Run(preset.Text, simulator.Options{Policies: []string{"all"}})
				if err != nil {
					t.Fatal(err)
				}
				var first string
				for _, q := range res.Policies {
					for i, st := range res.Steps {
						if st.Request == nil || st.Results[q].Status == st.Results[pol.ID].Status {
							continue
						}
						if slices.Contains(rep.Steps[i].Same, q) {
							t.Errorf("%s, line %d: %s answers %d and %s %d, yet the check says %s answers as the mock of %s",
								preset.Name, st.Line, q, st.Results[q].Status, pol.ID, st.Results[pol.ID].Status, q, pol.ID)
						}
						if first == "" {
							first = q
						}
					}
				}
				if first != "" {
					code, out, errOut := runCheck(t, "--base", ts.URL, "--reset", "/_httpplay/reset", "--expect", first, "preset:"+preset.Name)
					if code != checkExitMismatch || !strings.Contains(out, "differences from "+first+":\n  line") || !strings.Contains(out, "FAIL: ") {
						t.Errorf("%s: --expect %s against the mock of %s: exit %d, want %d\n%s%s", preset.Name, first, pol.ID, code, checkExitMismatch, errOut, out)
					}
				}
				ts.Close()
			}
		})
	}
}

// TestCheckRepeat sends a race many times: every outcome the atomic mock
// gives is among the simulator's, and each is counted.
func TestCheckRepeat(t *testing.T) {
	t.Parallel()
	preset, _ := simulator.PresetByName("booking-race")
	m, err := newMock("zalando", io.Discard, policyserver.Declarations(presetDeclarations(preset.Text)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(m)
	defer ts.Close()
	code, out, errOut := runCheck(t, "--base", ts.URL, "--reset", "/_httpplay/reset", "--repeat", "10", "--expect", "zalando", "--policies", "zalando", "--format", "json", "preset:booking-race")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, errOut, out)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	rounds := 0
	for _, o := range rep.Steps[0].Race {
		rounds += o.Rounds
		if !slices.Equal(o.Statuses, []int{201, 409}) && !slices.Equal(o.Statuses, []int{409, 201}) {
			t.Errorf("the atomic mock gave %v", o.Statuses)
		}
	}
	if rounds != 10 || rep.Rounds != 10 {
		t.Errorf("%d rounds counted, report says %d; want 10", rounds, rep.Rounds)
	}
}

// TestCheckHandWritten checks a server written here that answers as no
// policy does: POST answers 200 without Location, GET of anything 200.
func TestCheckHandWritten(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.Method {
		case http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok": true}`)
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `[]`)
		}
	}))
	defer ts.Close()
	code, out, errOut := runCheck(t, "--base", ts.URL, "--expect", "strict", "preset:follow-twice")
	if code != checkExitMismatch {
		t.Fatalf("exit %d, want %d\n%s%s", code, checkExitMismatch, errOut, out)
	}
	for _, want := range []string{"your API", "closest: ", "differences from strict:", "strict: status 201", "FAIL: the server answers as strict on "} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCheck(t, "--base", ts.URL, "--format", "markdown", "preset:follow-twice")
	if code != 0 || !strings.Contains(out, "| line | request | your API |") {
		t.Errorf("markdown without --expect: exit %d\n%s", code, out)
	}
}

// TestCheckLint lints the live answers with the simulator's lint.
func TestCheckLint(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id": "1"}`)
	}))
	defer ts.Close()
	code, out, errOut := runCheck(t, "--base", ts.URL, "--policies", "strict", "--format", "json", "preset:follow-twice")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, errOut, out)
	}
	if !strings.Contains(out, "201 Created without Location") {
		t.Errorf("no lint of the 201 without Location:\n%s", out)
	}
}

// TestCheckNetwork: a server that cannot be reached, hangs, answers what
// is not HTTP or sends a body of 10 MB is a network error, found within
// the timeout per request and read no further than the bound.
func TestCheckNetwork(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closed.Addr().String()
	closed.Close()

	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(hang)

	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = bufio.NewReader(c).ReadString('\n')
				_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n")
			}()
		}
	}()

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 64<<10)
		for range 160 { // 10 MiB
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer huge.Close()

	tests := []struct {
		name, base, want string
	}{
		{"unreachable", unreachable, "connection refused"},
		{"hangs", hanging.URL, "Timeout"},
		{"garbage", "http://" + garbage.Addr().String(), "malformed HTTP"},
		{"10 MB body", huge.URL, "larger than 1 MiB"},
	}
	for _, tt := range tests {
		start := time.Now()
		code, out, errOut := runCheck(t, "--base", tt.base, "--timeout", "500ms", "--policies", "strict", "preset:follow-twice")
		if code != checkExitNetwork || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "preset:follow-twice:") {
			t.Errorf("%s: exit %d, stderr %q; want %d naming the line and %q\n%s", tt.name, code, errOut, checkExitNetwork, tt.want, out)
		}
		t.Logf("%s: %v", tt.name, time.Since(start))
	}
}

func TestCheckUsage(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.http")
	if err := os.WriteFile(bad, []byte("GET /x\n\n@unique users email\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := "http://127.0.0.1:1"
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"preset:follow-twice"}, 2, "--base: give the server's URL"},
		{[]string{"--base", "ftp://x", "preset:follow-twice"}, 2, "not an http or https URL"},
		{[]string{"--base", "http://x/?q=1", "preset:follow-twice"}, 2, "must not have a query"},
		{[]string{"--base", ok}, 2, "give exactly one scenario"},
		{[]string{"--base", ok, "--format", "xml", "preset:follow-twice"}, 2, `unknown format "xml"`},
		{[]string{"--base", ok, "--repeat", "3", "preset:follow-twice"}, 2, "--repeat needs --reset"},
		{[]string{"--base", ok, "--repeat", "0", "preset:follow-twice"}, 2, "--repeat must be"},
		{[]string{"--base", ok, "--expect", "nope", "preset:follow-twice"}, 2, `--expect "nope" is not among`},
		{[]string{"--base", ok, "--policies", "nope", "preset:follow-twice"}, 2, `unknown policy "nope"`},
		{[]string{"--base", ok, "preset:nope"}, 2, `unknown preset "nope"`},
		{[]string{"--base", ok, bad}, 1, bad + ":3:"},
		{[]string{"--base", ok, "--bogus", "preset:follow-twice"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, out, errOut := runCheck(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("check %v: exit %d, stderr %q; want %d and %q\n%s", tt.args, code, errOut, tt.code, tt.want, out)
		}
	}
}

// TestCheckTotalBound: answers each under the bound for one body but
// together over the bound for a check stop it, so that what the report
// keeps stays bounded.
func TestCheckTotalBound(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 900<<10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	defer ts.Close()
	scenario := filepath.Join(t.TempDir(), "many.http")
	var text strings.Builder
	for i := range 40 {
		text.WriteString("GET /things/" + string(rune('a'+i%26)) + "\n\n")
	}
	if err := os.WriteFile(scenario, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, "--base", ts.URL, "--policies", "strict", scenario)
	if code != checkExitNetwork || !strings.Contains(errOut, "add up to more than 32 MiB") {
		t.Errorf("exit %d, stderr %q\n%s", code, errOut, out)
	}
}
