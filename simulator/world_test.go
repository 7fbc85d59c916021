package simulator

import "testing"

// TestRollbackTakesBackEveryChange changes a world in every way a request
// can, under a mark, and checks that rollback leaves it as it was: the
// analysis replays requests on the world itself and relies on this.
func TestRollbackTakesBackEveryChange(t *testing.T) {
	t.Parallel()
	changes := []struct {
		name   string
		change func(w *world)
	}{
		{"put new", func(w *world) { w.put("/users/9", `{"id":"9"}`) }},
		{"put existing", func(w *world) { w.put("/users/1", `{"id":"1","x":2}`) }},
		{"put over tombstone", func(w *world) { w.put("/users/2", `{"id":"2"}`) }},
		{"remove", func(w *world) { w.remove("/users/1") }},
		{"remove members", func(w *world) { w.removeMembers("/users") }},
		{"next id", func(w *world) { w.put("/users/"+w.nextID("/users"), `{}`) }},
		{"next id of a new collection", func(w *world) { w.nextID("/teams") }},
		{"reserve key", func(w *world) { w.reserveKey("k2", "POST /users") }},
		{"complete key", func(w *world) { w.completeKey("k1", stored{status: 201, body: "{}"}) }},
		{"advance sequences", func(w *world) {
			o := newWorld()
			o.seq["/users"], o.seq["/teams"] = 40, 3
			w.advanceSequences(o)
		}},
		{"nested marks", func(w *world) {
			m := w.mark()
			w.put("/users/1", `{"inner":true}`)
			w.rollback(m)
			w.put("/users/1", `{"outer":true}`)
		}},
	}
	// fresh is the world's full key worked out again, not the one it
	// remembers, which rollback restores too.
	fresh := func(w *world) string {
		c := w.clone()
		c.fkey = ""
		return c.fullKey()
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			w.put("/users/1", `{"id":"1"}`)
			w.put("/users/2", `{"id":"2"}`)
			w.remove("/users/2")
			w.seq["/users"] = 2
			w.reserveKey("k1", "POST /users {}")
			before, changes := w.fullKey(), w.changes
			m := w.mark()
			c.change(w)
			if fresh(w) == before {
				t.Fatalf("the change changed nothing, so the test proves nothing")
			}
			w.rollback(m)
			if got := fresh(w); got != before {
				t.Errorf("after rollback:\n%s\nwant\n%s", got, before)
			}
			if w.changes != changes || len(w.undo) != 0 || w.trying != 0 {
				t.Errorf("after rollback: changes %d (want %d), %d undo entries, %d marks open", w.changes, changes, len(w.undo), w.trying)
			}
			// The world computes its key afresh once changed again.
			w.put("/users/1", `{"id":"1","after":true}`)
			if w.fullKey() == before {
				t.Errorf("a change after rollback is not seen")
			}
		})
	}
}
