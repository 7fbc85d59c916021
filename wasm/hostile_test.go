//go:build js && wasm

package main

import (
	"encoding/json"
	"runtime"
	"syscall/js"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/hostile"
)

// pageHostileTimeout is the timeout the corpus runs with on the page,
// shorter than the page's default to keep the test short.
const pageHostileTimeout = 2 * time.Second

// pageMaxMemory is the WebAssembly memory no hostile input may grow the
// module past. Linear memory never shrinks, so what the Go runtime has
// obtained after a run (MemStats.Sys) is the peak of every run so far; the
// README states the figure measured.
const pageMaxMemory = 256 << 20

// TestHostilePage runs every hostile input through the module's run, as
// the page calls it, and checks that each returns within its deadline plus
// a second with the answer the corpus expects. It is not parallel, so that
// the timings and the memory are its own.
func TestHostilePage(t *testing.T) {
	api := install(t, nil)
	for _, c := range hostile.Corpus() {
		t.Run(c.Name, func(t *testing.T) {
			opts := map[string]any{"timeout": pageHostileTimeout.Milliseconds()}
			if c.Isolation != "" {
				opts["isolation"] = c.Isolation
			}
			if len(c.Policies) > 0 {
				var defs []json.RawMessage
				for _, p := range c.Policies {
					defs = append(defs, json.RawMessage(p))
				}
				opts["policyJSON"] = defs
			}
			o, _ := json.Marshal(opts)
			start := time.Now()
			got := api.Call("run", c.Scenario, string(o))
			elapsed := time.Since(start)
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.Logf("%s in %v, memory %d MiB", c.Page, elapsed.Round(time.Millisecond), ms.Sys>>20)
			if elapsed > hostile.Bound(pageHostileTimeout) {
				t.Errorf("took %v, past the bound of %v for a deadline of %v", elapsed, hostile.Bound(pageHostileTimeout), pageHostileTimeout)
			}
			if ms.Sys > pageMaxMemory {
				t.Errorf("memory %d MiB, over the figure of %d MiB", ms.Sys>>20, pageMaxMemory>>20)
			}
			isErr := got.InstanceOf(js.Global().Get("Error"))
			if c.Page == hostile.Partial && isErr && got.Get("limit").String() == "deadline" {
				// A race that would be cut short may not even be reached
				// by the deadline on a slow machine: that is an answer too.
				t.Logf("the deadline came before the race: %s", got.Get("message").String())
				return
			}
			switch c.Page {
			case hostile.OK, hostile.Partial:
				if isErr {
					t.Fatalf("run failed: %s", got.Get("message").String())
				}
				var res struct {
					Steps []struct {
						Results map[string]struct {
							Complete *bool `json:"complete"`
						} `json:"results"`
					} `json:"steps"`
				}
				if err := json.Unmarshal([]byte(got.String()), &res); err != nil {
					t.Fatal(err)
				}
				partial := false
				for _, st := range res.Steps {
					for _, r := range st.Results {
						partial = partial || r.Complete != nil && !*r.Complete
					}
				}
				if partial != (c.Page == hostile.Partial) {
					t.Errorf("partial %v, want %s", partial, c.Page)
				}
			case hostile.Error:
				if !isErr || got.Get("name").String() != "ScenarioError" || got.Get("line").Int() == 0 {
					t.Errorf("got %v, want a ScenarioError with a line", got)
				}
			default:
				if !isErr || got.Get("limit").String() != c.Page || got.Get("limitMax").Int() == 0 {
					t.Errorf("got %s, want an Error naming the limit %s", got.Call("toString").String(), c.Page)
				}
			}
		})
	}
}
