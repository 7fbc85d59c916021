package simulator

import (
	"fmt"
	"strings"
	"testing"
)

// outcomeSet renders a race result as "200+412 x1 | 412+200 x1", sorted.
func outcomeSet(rr *RaceResult) string {
	var parts []string
	for _, o := range rr.Outcomes {
		parts = append(parts, fmt.Sprintf("%s x%d", statusList(o.Statuses), o.Orders))
	}
	return strings.Join(parts, " | ")
}

func raceResult(t *testing.T, res *Result, col string) *RaceResult {
	t.Helper()
	for _, st := range res.Steps {
		if st.Race != nil {
			rr := st.Results[col].Race
			if rr == nil {
				t.Fatalf("no race result for %s", col)
			}
			return rr
		}
	}
	t.Fatal("no race step")
	return nil
}

const putRace = `POST /docs
{"id":"d","text":"v0"}
let tag = header ETag

race {
  PUT /docs/d
  If-Match: {{tag}}
  {"id":"d","text":"a"}

  PUT /docs/d
  If-Match: {{tag}}
  {"id":"d","text":"b"}
}
`

const blindPutRace = `PUT /docs/d
{"text":"v0"}

race {
  client alice {
    GET /docs/d

    PUT /docs/d
    {"text":"alice"}
  }
  client bob {
    GET /docs/d

    PUT /docs/d
    {"text":"bob"}
  }
}
`

const slotRace = `@unique /bookings slot

race {
  POST /bookings
  {"slot":"mon-9","who":"ann"}

  POST /bookings
  {"slot":"mon-9","who":"bob"}
}
`

func TestRaceOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		scenario  string
		isolation string
		want      string
		lost      bool
		double    bool
	}{
		{"If-Match PUTs, atomic", putRace, "atomic", "200+412 x1 | 412+200 x1", false, false},
		{"If-Match PUTs, check-then-act", putRace, "check-then-act", "200+200 x4 | 200+412 x1 | 412+200 x1", true, false},
		{"blind read-modify-write, atomic", blindPutRace, "atomic", "200+200+200+200 x6", true, false},
		{"same slot, atomic", slotRace, "atomic", "201+409 x1 | 409+201 x1", false, false},
		{"same slot, check-then-act", slotRace, "check-then-act", "201+201 x4 | 201+409 x1 | 409+201 x1", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(tc.scenario, Options{Policies: []string{"strict"}, Isolation: []string{tc.isolation}})
			if err != nil {
				t.Fatal(err)
			}
			rr := raceResult(t, res, "strict")
			if got := outcomeSet(rr); got != tc.want {
				t.Errorf("outcomes %s, want %s", got, tc.want)
			}
			if !rr.Complete {
				t.Error("a small race must be explored completely")
			}
			p := res.Properties["strict"]
			if p.LosesUpdates.Value == nil || *p.LosesUpdates.Value != tc.lost {
				t.Errorf("loses_updates %+v, want %v", p.LosesUpdates, tc.lost)
			}
			if tc.double && (p.DoubleBooking.Value == nil || !*p.DoubleBooking.Value) {
				t.Errorf("double_booking %+v, want true", p.DoubleBooking)
			}
		})
	}
}

func TestRaceWriteBuiltOnWhatItSawIsNotLost(t *testing.T) {
	t.Parallel()
	// SYNTAX.md's example: bob reads, then writes with the ETag he read.
	src := "PUT /docs/d\n{\"text\":\"v0\"}\nlet tag = header ETag\n\nrace {\n  PUT /docs/d\n  If-Match: {{tag}}\n  {\"text\": \"a\"}\n\n" +
		"  client bob {\n    GET /docs/d\n    let seen = header ETag\n\n    PUT /docs/d\n    If-Match: {{seen}}\n    {\"text\": \"b\"}\n  }\n}\n"
	res, err := Run(src, Options{Policies: []string{"strict", "conditional"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range res.Policies {
		if p := res.Properties[id].LosesUpdates; p.Value == nil || *p.Value {
			t.Errorf("%s: loses_updates %+v; every write here was built on the version it replaced", id, p)
		}
	}
}

func TestRaceIncompleteLeavesPropertiesOpen(t *testing.T) {
	t.Parallel()
	res, err := Run(raceScenario(6), Options{Policies: []string{"strict"}, Isolation: []string{"check-then-act"}, MaxStates: 5})
	if err != nil {
		t.Fatal(err)
	}
	rr := raceResult(t, res, "strict")
	if rr.Complete || !strings.Contains(rr.Note, "of ≥ 7 484 400 orders") {
		t.Fatalf("complete %v, note %q (12 steps of 6 clients: 12!/2^6 orders)", rr.Complete, rr.Note)
	}
	if p := res.Properties["strict"].DoubleBooking; p.Value != nil && !*p.Value {
		t.Errorf("double_booking %+v: an incomplete search that found nothing must not say no", p)
	}
}

func TestRaceGroupsFinalStates(t *testing.T) {
	t.Parallel()
	// Four creates without ids: every order gives each client another id,
	// so there are 24 final states but one answer to show.
	var b strings.Builder
	b.WriteString("race {\n")
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "  POST /q\n  {\"n\":%d}\n\n", i)
	}
	b.WriteString("}\n")
	res, err := Run(b.String(), Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	rr := raceResult(t, res, "strict")
	if len(rr.Outcomes) != 1 || rr.Outcomes[0].Finals != 24 || rr.Outcomes[0].Orders != 24 {
		t.Errorf("outcomes %s, finals %d; want one outcome over 24 final states", outcomeSet(rr), rr.Outcomes[0].Finals)
	}
}

func TestRunStateBudget(t *testing.T) {
	t.Parallel()
	src := raceScenario(4) + "\n" + raceScenario(4)[len("@unique /bookings slot\n\n"):]
	res, err := Run(src, Options{Policies: []string{"strict", "idempotent"}, MaxTotalStates: 30})
	if err != nil {
		t.Fatal(err)
	}
	explored := 0
	incomplete := 0
	for _, st := range res.Steps {
		for _, id := range res.Policies {
			if rr := st.Results[id].Race; rr != nil {
				explored += rr.Explored
				if !rr.Complete {
					incomplete++
				}
			}
		}
	}
	if explored != 30 || incomplete == 0 {
		t.Errorf("explored %d states with %d incomplete races; want exactly the budget of 30 and some incomplete", explored, incomplete)
	}
}

func TestRaceBothIsolationsSideBySide(t *testing.T) {
	t.Parallel()
	res, err := Run("@isolation atomic check-then-act\n"+slotRace, Options{Policies: []string{"strict", "idempotent"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "strict,strict@check-then-act,idempotent,idempotent@check-then-act"
	if got := strings.Join(res.Policies, ","); got != want {
		t.Fatalf("columns %s, want %s", got, want)
	}
	if got := outcomeSet(raceResult(t, res, "strict@check-then-act")); !strings.Contains(got, "201+201") {
		t.Errorf("check-then-act column lacks the double booking: %s", got)
	}
	if got := outcomeSet(raceResult(t, res, "strict")); strings.Contains(got, "201+201") {
		t.Errorf("atomic column double-books: %s", got)
	}
}

func TestRaceIdempotencyKey(t *testing.T) {
	t.Parallel()
	src := "race {\n  POST /payments\n  Idempotency-Key: k1\n  {\"amount\":5}\n\n  POST /payments\n  Idempotency-Key: k1\n  {\"amount\":5}\n}\n\nGET /payments"
	res, err := Run(src, Options{Policies: []string{"strict", "kubernetes"}})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomeSet(raceResult(t, res, "strict"))
	for _, want := range []string{"201+409", "409+201", "201+201"} {
		if !strings.Contains(got, want) {
			t.Errorf("strict outcomes %s lack %s", got, want)
		}
	}
	for _, o := range raceResult(t, res, "strict").Outcomes {
		if len(o.Final) != 1 {
			t.Errorf("outcome %v created %d payments; the key allows one", o.Statuses, len(o.Final))
		}
		if o.Statuses[0] == 201 && o.Statuses[1] == 201 && o.Situations[1] != "idempotent-replay" && o.Situations[0] != "idempotent-replay" {
			t.Errorf("201+201 must come from a replay: %v", o.Situations)
		}
	}
	for _, o := range raceResult(t, res, "kubernetes").Outcomes {
		if len(o.Final) != 2 {
			t.Errorf("kubernetes ignores the key, so both POSTs create: %v", o.Final)
		}
	}
}

func TestRaceContinuesFromFirstOutcome(t *testing.T) {
	t.Parallel()
	res, err := Run(slotRace+"\nGET /bookings", Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Steps[len(res.Steps)-1].Results["strict"]
	if last.Body != `[{"id":"1","slot":"mon-9","who":"ann"}]` {
		t.Errorf("after the race the list is %s, want the first outcome's state", last.Body)
	}
}

func TestRaceBound(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("race {\n")
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&b, "  POST /q\n  {\"n\":%d}\n\n", i)
	}
	b.WriteString("}\n")
	res, err := Run(b.String(), Options{Policies: []string{"strict"}, MaxStates: 50})
	if err != nil {
		t.Fatal(err)
	}
	rr := raceResult(t, res, "strict")
	if rr.Complete || rr.Explored != 50 {
		t.Errorf("complete %v explored %d, want incomplete at 50", rr.Complete, rr.Explored)
	}
	if !strings.Contains(rr.Note, "of ≥ 5 040 orders") || rr.Orders != "≥ 5 040" {
		t.Errorf("note %q orders %q", rr.Note, rr.Orders)
	}
	again, _ := Run(b.String(), Options{Policies: []string{"strict"}, MaxStates: 50})
	if string(again.JSON()) != string(res.JSON()) {
		t.Error("a truncated exploration must still be deterministic")
	}
}

func TestPropertiesOfPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		preset, policy string
		check          func(Properties) bool
		what           string
	}{
		{"delete-twice", "strict", func(p Properties) bool { return !*p.RetrySafe.Value && *p.IdempotentEffect.Value }, "strict DELETE: idempotent effect, but a retry gets 404"},
		{"delete-twice", "idempotent", func(p Properties) bool { return *p.RetrySafe.Value }, "idempotent policy is retry-safe"},
		{"duplicate-signup", "strict", func(p Properties) bool { return *p.LeaksExistence.Value }, "409 on a taken e-mail leaks"},
		{"duplicate-signup", "enumeration-safe", func(p Properties) bool { return !*p.LeaksExistence.Value }, "enumeration-safe does not leak"},
		{"idempotency-key", "strict", func(p Properties) bool { return !*p.IdempotentEffect.Value }, "the POST without a key creates twice"},
		{"last-contact", "cannot-delete-405", func(p Properties) bool { return *p.CacheableRefusals.Value }, "405 for a temporary refusal is flagged"},
		{"last-contact", "strict", func(p Properties) bool { return !*p.CacheableRefusals.Value }, "409 is not heuristically cacheable"},
	}
	for _, tc := range tests {
		t.Run(tc.preset+"/"+tc.policy, func(t *testing.T) {
			t.Parallel()
			p, _ := PresetByName(tc.preset)
			res, err := Run(p.Text, Options{Policies: []string{"all"}})
			if err != nil {
				t.Fatal(err)
			}
			props, ok := res.Properties[tc.policy]
			if !ok {
				t.Fatalf("no properties for %s", tc.policy)
			}
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s: a property is null: %+v", tc.what, props)
				}
			}()
			if !tc.check(props) {
				t.Errorf("%s: %+v", tc.what, props)
			}
		})
	}
}

// raceScenario is N clients booking the same slot at once.
func raceScenario(n int) string {
	var b strings.Builder
	b.WriteString("@unique /bookings slot\n\nrace {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  POST /bookings\n  {\"slot\":\"mon-9\",\"who\":\"c%d\"}\n\n", i)
	}
	b.WriteString("}\n")
	return b.String()
}

// BenchmarkRace explores N racing single-request clients under every
// built-in policy; states/op is the number of states explored in all.
func BenchmarkRace(b *testing.B) {
	for n := 2; n <= 8; n++ {
		benchRace(b, n, "atomic")
	}
}

// BenchmarkRaceCheckThenAct is the same under check-then-act, where every
// request is two steps and far fewer states are equal.
func BenchmarkRaceCheckThenAct(b *testing.B) {
	for _, n := range []int{2, 3, 4} {
		benchRace(b, n, "check-then-act")
	}
}

func benchRace(b *testing.B, n int, iso string) {
	src := raceScenario(n)
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		states := 0
		for b.Loop() {
			res, err := Run(src, Options{Policies: []string{"all"}, Isolation: []string{iso}})
			if err != nil {
				b.Fatal(err)
			}
			states = 0
			for _, id := range res.Policies {
				states += res.Steps[0].Results[id].Race.Explored
			}
		}
		b.ReportMetric(float64(states), "states/op")
	})
}

// TestRaceOutcomesReplayed checks that the responses an outcome shows are
// what its example order gives: each replayed request has the outcome's
// status and situation, and a trace.
func TestRaceOutcomesReplayed(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		res, err := Run(p.Text, Options{Policies: []string{"all"}, Isolation: []string{"atomic", "check-then-act"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Steps {
			for id, r := range st.Results {
				if r.Race == nil {
					continue
				}
				for n, o := range r.Race.Outcomes {
					if n < maxReplayed && len(o.Responses) != len(o.Statuses) {
						t.Fatalf("%s line %d %s outcome %d: %d responses for %d requests", p.Name, st.Line, id, n, len(o.Responses), len(o.Statuses))
					}
					for i, resp := range o.Responses {
						if resp.Status != o.Statuses[i] || resp.Situation != o.Situations[i] || len(resp.Trace) == 0 {
							t.Errorf("%s line %d %s outcome %d request %d: replayed %d %s, the outcome says %d %s", p.Name, st.Line, id, n, i, resp.Status, resp.Situation, o.Statuses[i], o.Situations[i])
						}
					}
				}
			}
		}
	}
}
