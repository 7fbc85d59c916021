package simulator

import "fmt"

// apply carries out the planned change when the rule's effect allows it.
// It returns the write it carried out, for races, and a sentence for the
// trace ("" when nothing changed). The world changes only through its own
// methods.
func (s *server) apply(ch chosen, d *detection, lean bool) (*write, string) {
	switch ch.Effect {
	case "none":
		return nil, ""
	case "replace":
		if d.replace != nil {
			r := s.w.put(d.replace.path, d.replace.body)
			if lean {
				return d.replace, "replaced"
			}
			return d.replace, fmt.Sprintf("replaced %s (upsert), now ETag %s", d.replace.path, etag(r))
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
		return w, fmt.Sprintf("deleted the %d member(s) of %s (tombstones remain)", n, w.path)
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
		return w, fmt.Sprintf("stored the new representation of %s, now ETag %s", w.path, etag(r))
	}
	return w, fmt.Sprintf("created %s with ETag %s", w.path, etag(r))
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
	return fmt.Sprintf("created %d of %d items", n, len(d.items))
}
