package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/hostile"
)

// apiMaxHeap is the live heap no hostile input may take one API request
// past (sampled, so short peaks may be missed); the README states it with
// the figures measured.
const apiMaxHeap = 128 << 20

// peakHeap runs f while sampling the live heap every few milliseconds and
// returns the highest sample above the heap before f, and how long f took.
func peakHeap(f func()) (peak uint64, elapsed time.Duration) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > base && v-base > peak {
				peak = v - base
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	f()
	elapsed = time.Since(start)
	close(stop)
	wg.Wait()
	return peak, elapsed
}

// TestHostileAPI sends every hostile input to the API handler, as the JSON
// form with its custom policies, and checks that each is answered within
// the API's deadline plus a second, inside the heap figure, with the
// answer the corpus expects. It is not parallel, so that the heap and the
// timings are its own.
func TestHostileAPI(t *testing.T) {
	h := New(Options{})
	for _, c := range hostile.Corpus() {
		t.Run(c.Name, func(t *testing.T) {
			body := map[string]any{"scenario": c.Scenario}
			if len(c.Policies) > 0 {
				var defs []json.RawMessage
				for _, p := range c.Policies {
					defs = append(defs, json.RawMessage(p))
				}
				body["policy"] = defs
			}
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			path := "/api/run"
			if c.Isolation != "" {
				// The API takes the isolation from the scenario only.
				b, _ = json.Marshal(map[string]any{"scenario": "@isolation " + c.Isolation + "\n" + c.Scenario})
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", path, strings.NewReader(string(b)))
			req.Header.Set("Content-Type", "application/json")
			peak, elapsed := peakHeap(func() { h.ServeHTTP(rec, req) })
			t.Logf("%s: %d in %v, %d bytes, peak heap %d MiB", c.API, rec.Code, elapsed.Round(time.Millisecond), rec.Body.Len(), peak>>20)
			if elapsed > hostile.Bound(apiTimeout) {
				t.Errorf("took %v, past the bound of %v for a deadline of %v", elapsed, hostile.Bound(apiTimeout), apiTimeout)
			}
			if peak > apiMaxHeap {
				t.Errorf("peak heap %d MiB, over the figure of %d MiB", peak>>20, apiMaxHeap>>20)
			}
			var p Problem
			switch c.API {
			case hostile.OK:
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
				}
				return
			case hostile.TooLarge:
				if rec.Code != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413: %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %.500s", rec.Code, rec.Body)
			}
			p = decodeProblem(t, rec.Body.Bytes())
			switch {
			case c.API == hostile.Error:
				if p.Type != problemURI(problemScenario) || p.Line == 0 || p.Column == 0 {
					t.Errorf("problem %+v, want a scenario error with line and column", p)
				}
			case p.LimitName != c.API || p.Limit == 0:
				t.Errorf("problem %+v, want the limit %s named with its value", p, c.API)
			}
		})
	}
}
