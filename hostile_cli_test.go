//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/hostile"
)

// cliHostileTimeout is the --timeout the corpus runs with on the command
// line, shorter than the default to keep the test short; the bound is the
// same code whatever its value.
const cliHostileTimeout = 2 * time.Second

// cliMaxRSS is the peak resident memory no hostile input may take the
// command line past; the README states it with the figures measured. It is
// above the CLI's soft memory limit (512 MiB), which the collector holds
// the heap near, not under: resident memory passes it by a few per cent.
const cliMaxRSS = 640 << 20

var (
	cliBinaryOnce sync.Once
	cliBinary     string
	cliBinaryErr  error
)

// builtCLI builds the command once for the tests that run it as a process
// of its own, which is the only way to read its peak memory alone.
func builtCLI(t *testing.T) string {
	t.Helper()
	cliBinaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "httpplay-test-")
		if err != nil {
			cliBinaryErr = err
			return
		}
		cliBinary = filepath.Join(dir, "httpplay")
		out, err := exec.Command("go", "build", "-o", cliBinary, ".").CombinedOutput()
		if err != nil {
			cliBinaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliBinaryErr != nil {
		t.Fatal(cliBinaryErr)
	}
	return cliBinary
}

// cliLimitPhrases is how the command line's message names each limit.
var cliLimitPhrases = map[string]string{
	"value-bytes":  "for one value",
	"constraints":  "constraints",
	"result-bytes": "the result passed the limit",
	"columns":      "columns (policies × isolations)",
	"states":       "states",
	"deadline":     "deadline",
}

var positioned = regexp.MustCompile(`^[^\n]+:\d+:\d+: `)

// TestHostileCLI runs every hostile input through the command line, each
// as a process of its own, and checks that each ends within its deadline
// plus a second with the answer the corpus expects, inside the memory
// figure. It is not parallel, so that the timings are its own.
func TestHostileCLI(t *testing.T) {
	bin := builtCLI(t)
	dir := t.TempDir()
	for i, c := range hostile.Corpus() {
		t.Run(c.Name, func(t *testing.T) {
			scenario := filepath.Join(dir, fmt.Sprintf("case%d.http", i))
			mustWrite(t, scenario, c.Scenario)
			args := []string{"run", "--format", "json", "--timeout", cliHostileTimeout.String()}
			if c.Isolation != "" {
				args = append(args, "--isolation", c.Isolation)
			}
			for j, p := range c.Policies {
				f := filepath.Join(dir, fmt.Sprintf("case%d-policy%d.json", i, j))
				mustWrite(t, f, p)
				args = append(args, "--policy-file", f)
			}
			args = append(args, scenario)
			cmd := exec.Command(bin, args...)
			// The output goes to a file: the child's peak RSS includes what
			// the test process held when it started the child (Linux keeps
			// the high-water mark across exec), so the test stays small.
			out, err := os.Create(filepath.Join(dir, fmt.Sprintf("case%d.json", i)))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = out, &stderr
			start := time.Now()
			err = cmd.Run()
			elapsed := time.Since(start)
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("%s: exit %d in %v, peak RSS %d MiB", c.CLI, cmd.ProcessState.ExitCode(), elapsed.Round(time.Millisecond), rss>>20)
			if elapsed > hostile.Bound(cliHostileTimeout) {
				t.Errorf("took %v, past the bound of %v for a deadline of %v", elapsed, hostile.Bound(cliHostileTimeout), cliHostileTimeout)
			}
			if rss > cliMaxRSS {
				t.Errorf("peak RSS %d MiB, over the figure of %d MiB", rss>>20, cliMaxRSS>>20)
			}
			stdout, err := os.ReadFile(out.Name())
			if err != nil {
				t.Fatal(err)
			}
			checkCLIOutcome(t, c.CLI, cmd.ProcessState.ExitCode(), stdout, stderr.String())
		})
	}
}

func checkCLIOutcome(t *testing.T, want string, code int, stdout []byte, stderr string) {
	t.Helper()
	if want == hostile.Partial && code == 1 && strings.Contains(stderr, "passed its deadline") {
		// A race that would be cut short may not even be reached by the
		// deadline on a slow machine: that is an answer too.
		t.Logf("the deadline came before the race: %s", stderr)
		return
	}
	switch want {
	case hostile.OK, hostile.Partial:
		if code != 0 {
			t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
		}
		var res struct {
			Steps []struct {
				Results map[string]struct {
					Complete *bool `json:"complete"`
				} `json:"results"`
			} `json:"steps"`
		}
		if err := json.Unmarshal(stdout, &res); err != nil {
			t.Fatalf("stdout is not a result: %v", err)
		}
		partial := false
		for _, st := range res.Steps {
			for _, r := range st.Results {
				partial = partial || r.Complete != nil && !*r.Complete
			}
		}
		if partial != (want == hostile.Partial) {
			t.Errorf("partial %v, want %s", partial, want)
		}
	case hostile.Error:
		if code != 1 || !positioned.MatchString(stderr) {
			t.Errorf("exit %d, stderr %q; want 1 and FILE:LINE:COL: message", code, stderr)
		}
	default:
		if code != 1 || !strings.Contains(stderr, cliLimitPhrases[want]) {
			t.Errorf("exit %d, stderr %q; want 1 and the limit %s named (%q)", code, stderr, want, cliLimitPhrases[want])
		}
		if strings.Count(stderr, "\n") != 1 {
			t.Errorf("stderr %q is not one line", stderr)
		}
	}
}
