package simulator

import "strconv"

// apply carries out the planned change when the rule's effect allows it.
// It returns the write it carried out, for races, and a sentence for the
// trace ("" when nothing changed). The world changes only through its own
// methods.
func (s *server) apply(ch *chosen, d *detection, lean bool) (*write, string) {
	switch ch.Effect {
	case "none":
		return nil, ""
	case "replace":
		if d.replace != nil {
			r := s.w.put(d.replace.path, d.replace.body)
			if lean {
				return d.replace, "replaced"
			}
			return d.replace, "replaced " + d.replace.path + " (upsert), now ETag " + etag(r)
		}
	}
	if d.after != nil {
		return nil, s.applyBatch(d)
	}
	w := d.write
	switch {
	case w == nil:
		return nil, ""
	case w.del && w.all:
		n := s.w.removeMembers(w.path)
		return w, "deleted the " + strconv.Itoa(n) + " member(s) of " + w.path + " (tombstones remain)"
	case w.del:
		s.w.remove(w.path)
		return w, "deleted " + w.path + " (a tombstone remains)"
	}
	existed := s.w.live(w.path) != nil
	r := s.w.put(w.path, w.body)
	switch {
	case lean:
		return w, "written"
	case existed:
		return w, "stored the new representation of " + w.path + ", now ETag " + etag(r)
	}
	return w, "created " + w.path + " with ETag " + etag(r)
}

// applyBatch writes a batch's successful items, unless the policy's
// batches are all-or-nothing and one failed.
func (s *server) applyBatch(d *detection) string {
	if d.sit == BatchPartial && s.policy.batchAtomic() {
		return ""
	}
	// The items are written onto the world as it is now, not the copy
	// detection worked on, so that a write interleaved in between
	// (check-then-act) is overwritten only where the batch writes.
	n := 0
	for _, it := range d.items {
		if it.write != nil {
			s.w.put(it.write.path, it.write.body)
			n++
		}
	}
	s.w.advanceSequences(d.after)
	if n == 0 {
		return ""
	}
	return "created " + strconv.Itoa(n) + " of " + strconv.Itoa(len(d.items)) + " items"
}
