package simulator

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// resource is one entry of the world: a live representation or, when
// deleted, a tombstone that remembers the resource existed. A resource is
// never changed once stored: a write stores a new one, so that copies of a
// world share the resources they have in common.
type resource struct {
	body    string // canonical JSON
	version int
	deleted bool
}

// world is the in-memory state one policy's server works on.
type world struct {
	res  map[string]*resource
	seq  map[string]int
	keys map[string]*keyEntry
	fkey string // fullKey, remembered until the next change
	// changes counts changes of any kind, so that "nothing changed" can be
	// known without comparing states.
	changes int
	// undo holds, while a probe tries a request on the world itself (see
	// mark), what each change replaced; trying counts the open marks.
	undo   []undoEntry
	trying int
}

// undoEntry is what one change replaced: the resource, sequence or key
// entry under key, or its absence (had false).
type undoEntry struct {
	kind undoKind
	key  string
	had  bool
	res  *resource
	seq  int
	ke   *keyEntry
}

type undoKind uint8

const (
	undoResource undoKind = iota
	undoSequence
	undoKey
)

// mark is a point a world can be taken back to.
type mark struct {
	n       int
	fkey    string
	changes int
}

// mark starts recording changes so that rollback can take them back: the
// analysis replays requests on the world itself, which is cheaper than
// on a copy of it.
func (w *world) mark() mark {
	w.trying++
	return mark{n: len(w.undo), fkey: w.fkey, changes: w.changes}
}

// rollback takes back every change since m, latest first.
func (w *world) rollback(m mark) {
	for i := len(w.undo) - 1; i >= m.n; i-- {
		u := w.undo[i]
		switch {
		case u.kind == undoResource && u.had:
			w.res[u.key] = u.res
		case u.kind == undoResource:
			delete(w.res, u.key)
		case u.kind == undoSequence && u.had:
			w.seq[u.key] = u.seq
		case u.kind == undoSequence:
			delete(w.seq, u.key)
		case u.had:
			w.keys[u.key] = u.ke
		default:
			delete(w.keys, u.key)
		}
	}
	// The entries are cleared so that the resources they held can go.
	clear(w.undo[m.n:])
	w.undo = w.undo[:m.n]
	w.fkey, w.changes = m.fkey, m.changes
	w.trying--
}

// saveResource records, while marked, the resource a change replaces.
func (w *world) saveResource(path string) {
	if w.trying > 0 {
		r, had := w.res[path]
		w.undo = append(w.undo, undoEntry{kind: undoResource, key: path, had: had, res: r})
	}
}

// saveSequence records, while marked, the sequence a change replaces.
func (w *world) saveSequence(coll string) {
	if w.trying > 0 {
		n, had := w.seq[coll]
		w.undo = append(w.undo, undoEntry{kind: undoSequence, key: coll, had: had, seq: n})
	}
}

// saveKey records, while marked, the key entry a change replaces.
func (w *world) saveKey(key string) {
	if w.trying > 0 {
		e, had := w.keys[key]
		w.undo = append(w.undo, undoEntry{kind: undoKey, key: key, had: had, ke: e})
	}
}

// touch forgets the remembered key after a change.
func (w *world) touch() {
	w.fkey = ""
	w.changes++
}

// keyEntry remembers what an Idempotency-Key was first used for. Like a
// resource, it is never changed once stored.
type keyEntry struct {
	fingerprint string
	done        bool
	resp        stored
}

// stored is the part of a response an idempotent replay returns.
type stored struct {
	status  int
	headers map[string]string
	body    string
}

func newWorld() *world {
	return &world{res: map[string]*resource{}, seq: map[string]int{}, keys: map[string]*keyEntry{}}
}

// clone copies the world, for exploring races from a common state and for
// probes that replay a request. Resources and key entries are never
// changed in place, so the copy shares them and only the maps are new.
func (w *world) clone() *world {
	return &world{
		res:     maps.Clone(w.res),
		seq:     maps.Clone(w.seq),
		keys:    maps.Clone(w.keys),
		fkey:    w.fkey,
		changes: w.changes,
	}
}

// size estimates the memory a world holds, for the bounds of a race.
func (w *world) size() int {
	n := 256 + 48*(len(w.seq)+len(w.keys))
	for p, r := range w.res {
		n += 96 + len(p) + len(r.body)
	}
	for _, e := range w.keys {
		n += len(e.fingerprint) + len(e.resp.body)
	}
	return n
}

// live returns the resource at path when it exists and is not deleted.
func (w *world) live(path string) *resource {
	if r := w.res[path]; r != nil && !r.deleted {
		return r
	}
	return nil
}

// members lists the live members of a collection, sorted by path.
func (w *world) members(coll string) []string {
	var out []string
	for p, r := range w.res {
		if !r.deleted && parentOf(p) == coll {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// memberCount counts the live members of a collection without listing them.
func (w *world) memberCount(coll string) int {
	n := 0
	for p, r := range w.res {
		if !r.deleted && parentOf(p) == coll {
			n++
		}
	}
	return n
}

// isCollection reports whether anything, live or deleted, lives under path.
func (w *world) isCollection(path string) bool {
	prefix := path + "/"
	if path == "/" {
		prefix = "/"
	}
	for p := range w.res {
		if strings.HasPrefix(p, prefix) && p != path {
			return true
		}
	}
	return false
}

// put stores a representation at path, bumping its version so that the
// ETag changes with every write, across deletes too.
func (w *world) put(path, body string) *resource {
	w.saveResource(path)
	r := &resource{body: body, version: 1}
	if old := w.res[path]; old != nil {
		r.version = old.version + 1
	}
	w.res[path] = r
	w.touch()
	return r
}

// remove leaves a tombstone in place of the resource at path.
func (w *world) remove(path string) {
	if r := w.res[path]; r != nil {
		w.saveResource(path)
		w.res[path] = &resource{body: r.body, version: r.version + 1, deleted: true}
		w.touch()
	}
}

// reserveKey records an Idempotency-Key's first use, before its response
// exists.
func (w *world) reserveKey(key, fingerprint string) {
	w.saveKey(key)
	w.keys[key] = &keyEntry{fingerprint: fingerprint}
	w.touch()
}

// completeKey stores the response a reserved key will replay; a key the
// world does not hold (released by a race's other order) is ignored.
func (w *world) completeKey(key string, resp stored) {
	if e := w.keys[key]; e != nil {
		w.saveKey(key)
		w.keys[key] = &keyEntry{fingerprint: e.fingerprint, done: true, resp: resp}
		w.touch()
	}
}

// firstLiveUnder is the first live resource, in path order, below path.
func (w *world) firstLiveUnder(path string) string {
	prefix, first := path+"/", ""
	for p, r := range w.res {
		if !r.deleted && strings.HasPrefix(p, prefix) && (first == "" || p < first) {
			first = p
		}
	}
	return first
}

// removeMembers deletes every live member of a collection and reports
// how many there were.
func (w *world) removeMembers(coll string) int {
	ms := w.members(coll)
	for _, m := range ms {
		w.remove(m)
	}
	return len(ms)
}

// advanceSequences takes over the id sequences another world reached,
// so that ids a batch handed out on a copy are not handed out again.
func (w *world) advanceSequences(from *world) {
	for coll, seq := range from.seq {
		if seq > w.seq[coll] {
			w.saveSequence(coll)
			w.seq[coll] = seq
			w.touch()
		}
	}
}

// nextID hands out the next sequential id of a collection, skipping ids
// that clients took themselves.
func (w *world) nextID(coll string) string {
	w.touch()
	w.saveSequence(coll)
	for {
		w.seq[coll]++
		id := strconv.Itoa(w.seq[coll])
		if w.res[joinPath(coll, id)] == nil {
			return id
		}
	}
}

// etag is the strong entity tag of a resource version.
func etag(r *resource) string {
	if r.version < len(smallETags) {
		return smallETags[r.version]
	}
	return `"v` + strconv.Itoa(r.version) + `"`
}

// smallETags are the entity tags of the first versions, made once: most
// resources are written a few times, and their tag is read for most
// answers about them.
var smallETags = func() (t [32]string) {
	for i := range t {
		t[i] = `"v` + strconv.Itoa(i) + `"`
	}
	return t
}()

// listBody renders a collection as a JSON array of its live members.
func (w *world) listBody(coll string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range w.members(coll) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(w.res[p].body)
	}
	b.WriteByte(']')
	return b.String()
}

// snapshot renders the live state as a JSON object keyed by path, for the
// final state of race outcomes and for comparing states.
func (w *world) snapshot() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for p, r := range w.res {
		if !r.deleted {
			out[p] = json.RawMessage(r.body)
		}
	}
	return out
}

// stateKey is a canonical string of the observable state (live resources
// and tombstones, without versions), used to compare effects.
func (w *world) stateKey() string {
	var b strings.Builder
	w.writeResources(&b, false)
	return b.String()
}

// writeResources writes every resource, live or tombstone, in path order,
// with or without versions.
func (w *world) writeResources(b *strings.Builder, versions bool) {
	for _, p := range sortedKeys(w.res) {
		r := w.res[p]
		b.WriteString(p)
		if versions {
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(r.version))
		}
		if r.deleted {
			b.WriteString(" deleted\n")
			continue
		}
		b.WriteByte(' ')
		b.WriteString(r.body)
		b.WriteByte('\n')
	}
}

// fullKey is stateKey plus everything else that can change an answer:
// versions, id sequences and idempotency keys.
func (w *world) fullKey() string {
	if w.fkey != "" {
		return w.fkey
	}
	var b strings.Builder
	b.WriteByte('w') // never empty, so "" can mean "not computed"
	w.writeResources(&b, true)
	for _, k := range sortedKeys(w.seq) {
		b.WriteString("#" + k + "=" + strconv.Itoa(w.seq[k]) + "\n")
	}
	for _, k := range sortedKeys(w.keys) {
		e := w.keys[k]
		b.WriteString("!" + k + " " + e.fingerprint)
		if e.done {
			b.WriteString(" " + strconv.Itoa(e.resp.status) + " " + e.resp.body)
		}
		b.WriteByte('\n')
	}
	w.fkey = b.String()
	return w.fkey
}

// sortedKeys lists a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	return appendSortedKeys(make([]string, 0, len(m)), m)
}

// appendSortedKeys appends the keys of m to dst, sorted, and returns the
// extended slice. The writers of JSON, which sort the keys of many small
// maps (header fields, a step's results), pass a buffer on their stack:
// an allocation for each map was a measurable part of a run in
// WebAssembly.
func appendSortedKeys[V any](dst []string, m map[string]V) []string {
	start := len(dst)
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst[start:])
	return dst
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

func lastSegment(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

func joinPath(coll, id string) string {
	if coll == "/" {
		return "/" + id
	}
	return coll + "/" + id
}

func segments(path string) []string {
	t := strings.Trim(path, "/")
	if t == "" {
		return nil
	}
	return strings.Split(t, "/")
}

// cleanPath drops the query and a trailing slash so that /users/ and
// /users?x=1 name the same resource as /users.
func cleanPath(p string) string {
	// A captured Location may be an absolute URI; its path is the target.
	for _, scheme := range []string{"http://", "https://"} {
		if rest, ok := strings.CutPrefix(p, scheme); ok {
			p = "/"
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				p = rest[i:]
			}
		}
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	if p == "" {
		return "/"
	}
	return p
}

// canonicalJSON re-encodes JSON with sorted keys and no insignificant
// space, so that equal representations compare equal as strings.
func canonicalJSON(text string) (string, any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", nil, false
	}
	if dec.More() {
		return "", nil, false
	}
	// A trailing token after the value (like "{} x") is malformed too.
	if _, err := dec.Token(); err == nil {
		return "", nil, false
	}
	return mustJSON(v), v, true
}
