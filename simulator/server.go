package simulator

import (
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// server answers requests for one policy on its own world. It holds no
// state about the request it answered last: every stage hands its result
// on as a value.
type server struct {
	policy *Policy
	decls  *declarations
	w      *world
	cache  *runCache
	// scratch is handle's (pipeline.go), made at its first request. It
	// is a pointer so that the copies of a server that races make for
	// every state they explore stay small; a copy that handles a request
	// shares it with the original, one at a time.
	scratch *handleScratch
}

func newServer(p *Policy, d *declarations, c *runCache) *server {
	return &server{policy: p, decls: d, w: newWorld(), cache: c}
}

// view says how much of a response its reader needs.
type view uint8

const (
	// viewFull is a cell of the matrix: trace, lint and body.
	viewFull view = iota
	// viewLean is an intermediate step of a race or a probe that reads only
	// the status and headers: no trace, no lint, no error body.
	viewLean
	// viewLeanBody is lean but keeps error bodies, for races whose clients
	// capture from responses and for probes that compare bodies.
	viewLeanBody
)

// runCache keeps what every policy of one run computes alike. Each
// goroutine that plays columns has a cache of its own, so it needs no lock;
// the decoded values it hands out are shared and must only be read.
type runCache struct {
	canon map[string]canonical
	// shared holds the parses of the run's requests without variables,
	// made before the columns run and only read while they do.
	shared map[string]canonical
	noID   map[string]string
	segs   map[string][]string
	keys   map[ruleQuery][]string
	// unique holds uniqueFields by collection.
	unique map[string][]string
	// declared remembers which paths a declaration names: the scenario's
	// declarations are the same for every column of a run.
	declared map[string]bool
	sitLines map[situationNode]string
	// fallbacks holds the trace's fallback lines by policy and owner.
	fallbacks map[[2]*Policy]string
	// budget is how many more race states the whole run may explore;
	// negative means no limit.
	budget int
}

type canonical struct {
	text string
	v    any
	ok   bool
}

func newRunCache() *runCache {
	return &runCache{canon: map[string]canonical{}, noID: map[string]string{}, segs: map[string][]string{}, keys: map[ruleQuery][]string{}, unique: map[string][]string{}, declared: map[string]bool{}, sitLines: map[situationNode]string{}, fallbacks: map[[2]*Policy]string{}, budget: -1}
}

// withoutID drops the id member, to compare two representations apart
// from the identity the server gave them; it is remembered per body, since
// races compare the same few representations over and over. It works on
// the canonical text, which the cache has parsed already.
func (c *runCache) withoutID(body string) string {
	if v, ok := c.noID[body]; ok {
		return v
	}
	out := body
	if text, v, ok := c.canonicalJSON(body); ok {
		out = text
		if _, isObj := v.(map[string]any); isObj {
			out = dropID(text)
		}
	}
	c.noID[body] = out
	return out
}

// segments splits a path, remembering the answer: declarations match
// collection paths several times per request.
func (c *runCache) segments(path string) []string {
	if v, ok := c.segs[path]; ok {
		return v
	}
	v := segments(path)
	c.segs[path] = v
	return v
}

// canonicalJSON is the package function, remembered per distinct body.
func (c *runCache) canonicalJSON(body string) (string, any, bool) {
	if e, ok := c.shared[body]; ok {
		return e.text, e.v, e.ok
	}
	if e, ok := c.canon[body]; ok {
		return e.text, e.v, e.ok
	}
	text, v, ok := canonicalJSON(body)
	c.canon[body] = canonical{text, v, ok}
	return text, v, ok
}

// request is a request after {{name}} substitution.
type request struct {
	method  string
	path    string // as written, query included
	target  string // cleaned path: the resource key
	headers map[string]string
	body    string
	// badField names the first part of the request, the target or a field
	// in name order, that holds CR, LF or NUL; "" when none does. It is
	// found when the request is built, since a request without variables
	// is built once and shared by every column.
	badField string
	// known holds the fields of knownHeaders, looked up once by index when
	// the request is built: the graph and lint read them for every request
	// of every column, and a request without variables is shared by all.
	known   [len(knownHeaders)]knownField
	indexed bool
}

// knownField is a header field's value and whether the request has it.
type knownField struct {
	value string
	ok    bool
}

// knownHeaders are the fields the decision graph and lint read, in the
// order of knownHeader.
var knownHeaders = [...]string{"Accept", "Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "If-Unmodified-Since"}

// knownHeader is a field name's place in knownHeaders, or -1.
func knownHeader(name string) int {
	switch name {
	case "Accept":
		return 0
	case "Authorization":
		return 1
	case "Content-Type":
		return 2
	case "Idempotency-Key":
		return 3
	case "If-Match":
		return 4
	case "If-None-Match":
		return 5
	case "If-Unmodified-Since":
		return 6
	}
	return -1
}

// index looks the known fields up; whoever changes a request's headers
// afterwards indexes it again.
func (r *request) index() {
	for i, name := range knownHeaders {
		r.known[i].value, r.known[i].ok = r.headers[name]
	}
	r.indexed = true
}

func (r *request) header(name string) (string, bool) {
	if r.indexed {
		if i := knownHeader(name); i >= 0 {
			return r.known[i].value, r.known[i].ok
		}
	}
	v, ok := r.headers[name]
	return v, ok
}

// write is a change of state that detection planned and the chosen rule
// may carry out: the split between the two is what lets a policy decline
// a change (202 without creating) and lets races interleave reads and writes.
type write struct {
	del bool
	// all, with del, removes every member of the collection at path.
	all  bool
	path string
	body string
}

// itemResult is the detection for one item of a batch create.
type itemResult struct {
	index   int
	sit     Situation
	subject string
	detail  string
	field   string
	missing bool
	unique  bool
	rel     bool
	write   *write
}

// detection is everything the server found out before choosing a status.
type detection struct {
	sit     Situation
	subject string // the resource the situation is about
	detail  string // a sentence for error bodies
	field   string // the body field concerned, if any
	allow   string
	// acceptPatch lists the patch formats the target takes, for the
	// Accept-Patch field of answers about it (RFC 5789 §3.1).
	acceptPatch string
	unique      bool // POST into a collection with a unique field
	rel         bool // POST whose body only links to a member by id
	write       *write
	replace     *write // the upsert an effect "replace" would carry out
	items       []itemResult
	after       *world // the world after a batch's successful items
	replay      *stored
	key         string // the Idempotency-Key this response will complete
	readVer     int    // the target's version when detection read it
	trace       []TraceEntry
	// missing: the field concerned is a required one that is absent.
	missing bool
	// notObject: the content is JSON but not the object a member needs.
	notObject bool
	// node names the decision node that decided the situation.
	node string
	lean bool // record no trace (see viewLean)
}

// isCollection reports whether a path without a representation of its
// own is a collection: something lives or lived under it, or a
// declaration names it. A tombstone with nothing live under it is the
// deleted member, not a collection.
func (s *server) isCollection(path string) bool {
	if s.w.live(path) != nil {
		return false
	}
	if r := s.w.res[path]; r != nil && r.deleted && len(s.w.members(path)) == 0 {
		return false
	}
	return s.declaredCollection(path) || s.w.isCollection(path)
}

// statusFor is the status the policy gives a situation without any
// qualifier but the method, for nodes that must know the unconditional
// answer (RFC 9110 §13.2.1).
func (s *server) statusFor(sit Situation, method string) int {
	ch, ok := s.policy.rule(s.cache.ruleKeys(ruleQuery{sit: sit, method: method}))
	if !ok {
		return 0
	}
	return ch.Status
}

// declaredCollection reports whether a declaration names the path as a
// collection, so that an empty declared collection lists as [] not 404.
func (s *server) declaredCollection(path string) bool {
	if v, ok := s.cache.declared[path]; ok {
		return v
	}
	segs := s.cache.segments(path)
	found := false
	for _, p := range s.allPatterns() {
		if _, ok := p.match(segs); ok {
			found = true
			break
		}
	}
	s.cache.declared[path] = found
	return found
}

func (s *server) allPatterns() []pattern {
	var out []pattern
	for _, u := range s.decls.unique {
		out = append(out, u.coll)
	}
	out = append(out, s.decls.immutable...)
	for _, m := range s.decls.min {
		out = append(out, m.coll)
	}
	for _, r := range s.decls.ref {
		out = append(out, r.coll, r.target)
	}
	for _, r := range s.decls.required {
		out = append(out, r.coll)
	}
	return out
}

// etagMatches compares an If-Match / If-None-Match list with a resource's
// ETag; weak comparison applies to If-None-Match (RFC 9110 §8.8.3.2).
func etagMatches(list string, r *resource, weak bool) bool {
	cur := etag(r)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		if weak {
			t = strings.TrimPrefix(t, "W/")
		}
		if t == cur {
			return true
		}
	}
	return false
}

func (it itemResult) traceLine(coll string) string {
	switch it.sit {
	case Created:
		return "no member of " + coll + " has this identity: it would be created as " + it.subject
	default:
		return it.detail
	}
}

// detectCreate classifies the creation of one member in coll on world w.
func (s *server) detectCreate(w *world, coll, body string, v any, index int) itemResult {
	it := itemResult{index: index, subject: coll}
	obj, ok := v.(map[string]any)
	if !ok {
		// A body that is JSON but not an object cannot be read as a member
		// at all, so it is a malformed request rather than an invalid member.
		it.sit = Malformed
		it.detail = "the content must be a JSON object to create a member of " + coll
		return it
	}
	if f, msg, missing := s.validate(coll, body); msg != "" {
		it.sit, it.field, it.detail, it.missing = Invalid, f, msg, missing
		return it
	}
	id, hasID := "", false
	if raw, ok := obj["id"]; ok {
		id, hasID = idString(raw)
		if !hasID {
			it.sit, it.field = Invalid, "id"
			it.detail = "id must be a non-empty string without \"/\", \"?\", \"#\" or control characters, or a whole number"
			return it
		}
	}
	if f, target, msg := s.checkRefs(w, coll, body); msg != "" {
		it.sit, it.field, it.subject, it.detail = DanglingReference, f, target, msg
		return it
	}
	it.unique = len(s.uniqueFields(coll)) > 0
	it.rel = hasID && isLinkage(obj)
	if hasID {
		path := joinPath(coll, id)
		if cur := w.live(path); cur != nil {
			it.subject, it.field = path, "id"
			if cur.body == body {
				it.sit = AlreadyPresent
				it.detail = path + " already exists with this exact representation"
			} else {
				it.sit = Duplicate
				it.detail = path + " already exists with a different representation"
			}
			return it
		}
	}
	if f, other := s.uniqueClash(w, coll, body, ""); other != "" {
		it.subject, it.field = other, f
		val := gjson.Get(body, gjsonEscape(f)).Raw
		if s.cache.withoutID(w.res[other].body) == s.cache.withoutID(body) {
			it.sit = AlreadyPresent
			it.detail = other + " already holds " + f + " " + val + " with the same representation"
		} else {
			it.sit = Duplicate
			it.detail = f + " " + val + " is already used by " + other
		}
		return it
	}
	if !hasID {
		id = w.nextID(coll)
		body = withID(body, id)
	}
	it.sit = Created
	it.subject = joinPath(coll, id)
	it.write = &write{path: it.subject, body: body}
	return it
}

// isLinkage reports whether a body only names another resource (an id and
// perhaps a type), which is how a relationship is added.
func isLinkage(obj map[string]any) bool {
	// Two lookups rather than a range over obj: ranging over a map costs a
	// random number and an iterator, for every create.
	n := 0
	if _, ok := obj["id"]; ok {
		n++
	}
	if _, ok := obj["type"]; ok {
		n++
	}
	return n == len(obj)
}

func idString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		// An id becomes a path segment and, in Location, a field value, so
		// it holds no separator and no control character (RFC 9110 §5.5).
		if x == "" || strings.ContainsAny(x, "/?#") || x == "." || x == ".." || strings.ContainsFunc(x, isControl) {
			return "", false
		}
		return x, true
	case interface{ String() string }: // json.Number
		n := x.String()
		if strings.ContainsAny(n, ".eE-") {
			return "", false
		}
		return n, true
	}
	return "", false
}

// isControl reports whether r is a C0 control character or DEL.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f
}

// withID is the canonical text of a JSON object (canon) with the id set to
// a server-assigned one: added in its sorted place, or replacing the id the
// object has. It works on the text, since encoding the decoded object
// again would copy it and sort its keys for every create.
func withID(canon, id string) string {
	// at is where the id member goes and rest where the text after it
	// resumes; by default just before the closing brace.
	at, rest, members := len(canon)-1, len(canon)-1, false
	gjson.Parse(canon).ForEach(func(k, v gjson.Result) bool {
		members = true
		switch {
		case k.Str == "id":
			at, rest = k.Index, v.Index+len(v.Raw)
			return false
		case k.Str > "id":
			at, rest = k.Index, k.Index
			return false
		}
		return true
	})
	b := make([]byte, 0, len(canon)+len(id)+8)
	b = append(b, canon[:at]...)
	if at == len(canon)-1 && members {
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = appendJSONString(b, id)
	if at == rest && at != len(canon)-1 {
		b = append(b, ',')
	}
	return string(append(b, canon[rest:]...))
}

// dropID is the canonical text of a JSON object (canon) without its id
// member, if it has one: the canonical text of the object without it.
func dropID(canon string) string {
	start, end, members := -1, -1, 0
	gjson.Parse(canon).ForEach(func(k, v gjson.Result) bool {
		members++
		if k.Str == "id" {
			start, end = k.Index, v.Index+len(v.Raw)
			return false
		}
		return k.Str < "id"
	})
	switch {
	case start < 0:
		return canon
	case canon[end] == ',':
		// The first of several members, or one in the middle: its comma
		// goes with it.
		return canon[:start] + canon[end+1:]
	case members > 1:
		// The last member: the comma before it goes.
		return canon[:start-1] + canon[end:]
	}
	return "{}"
}

// gjsonEscape makes a field name a literal gjson path, since declared
// field names may contain the path syntax's special characters.
func gjsonEscape(field string) string {
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '.', '*', '?', '|', '#', '@', '\\':
			return gjsonEscaper.Replace(field)
		}
	}
	return field
}

var gjsonEscaper = strings.NewReplacer(`\`, `\\`, ".", `\.`, "*", `\*`, "?", `\?`, "|", `\|`, "#", `\#`, "@", `\@`)

// validate applies @required to a body about to live in coll; missing
// says whether the field is absent rather than of the wrong type.
func (s *server) validate(coll, body string) (field, msg string, missing bool) {
	segs := s.cache.segments(coll)
	for _, rd := range s.decls.required {
		if _, ok := rd.coll.match(segs); !ok {
			continue
		}
		if !gjson.Parse(body).IsObject() {
			return "", "the content must be a JSON object", false
		}
		for _, f := range rd.fields {
			v := gjson.Get(body, gjsonEscape(f.name))
			if !v.Exists() || v.Type == gjson.Null || (v.Type == gjson.String && strings.TrimSpace(v.String()) == "") {
				return f.name, f.name + " is required", true
			}
			if f.typ != "" && !hasType(v, f.typ) {
				return f.name, f.name + " must be " + typeArticle(f.typ) + ", got " + v.Raw, false
			}
		}
	}
	return "", "", false
}

func hasType(v gjson.Result, typ string) bool {
	switch typ {
	case "string":
		return v.Type == gjson.String
	case "number":
		return v.Type == gjson.Number
	case "integer":
		return v.Type == gjson.Number && !strings.ContainsAny(v.Raw, ".eE")
	case "boolean":
		return v.Type == gjson.True || v.Type == gjson.False
	case "object":
		return v.IsObject()
	case "array":
		return v.IsArray()
	case "email":
		s := v.String()
		at := strings.IndexByte(s, '@')
		return v.Type == gjson.String && at > 0 && at == strings.LastIndexByte(s, '@') &&
			strings.Contains(s[at+1:], ".") && !strings.ContainsAny(s, " \t") && !strings.HasSuffix(s, ".")
	}
	return true
}

func typeArticle(typ string) string {
	switch typ {
	case "integer", "array", "object", "email":
		if typ == "email" {
			return "an e-mail address"
		}
		return "an " + typ
	}
	return "a " + typ
}

// checkRefs applies @ref: every referencing field must name a live member
// of the target collection.
func (s *server) checkRefs(w *world, coll, body string) (field, target, msg string) {
	segs := s.cache.segments(coll)
	for _, rd := range s.decls.ref {
		stars, ok := rd.coll.match(segs)
		if !ok {
			continue
		}
		v := gjson.Get(body, gjsonEscape(rd.field))
		if !v.Exists() || v.Type == gjson.Null {
			continue
		}
		tcoll, ok := rd.target.fill(stars)
		if !ok {
			continue
		}
		id, ok := idString(jsonValue(v))
		path := joinPath(tcoll, id)
		if !ok || w.live(path) == nil {
			return rd.field, path, rd.field + " " + v.Raw + " refers to " + path + ", which does not exist"
		}
	}
	return "", "", ""
}

// jsonValue turns a gjson scalar into what idString understands.
func jsonValue(v gjson.Result) any {
	if v.Type == gjson.Number {
		return numberString(v.Raw)
	}
	if v.Type == gjson.String {
		return v.String()
	}
	return nil
}

type numberString string

func (n numberString) String() string { return string(n) }

// uniqueFields lists the @unique fields of a collection, remembered in
// the run cache since the declarations are the same for every column;
// callers only read the list.
func (s *server) uniqueFields(coll string) []string {
	if v, ok := s.cache.unique[coll]; ok {
		return v
	}
	segs := s.cache.segments(coll)
	var out []string
	for _, u := range s.decls.unique {
		if _, ok := u.coll.match(segs); ok {
			out = append(out, u.field)
		}
	}
	s.cache.unique[coll] = out
	return out
}

// uniqueClash finds a live member of coll (other than self) that holds the
// same value for a @unique field.
func (s *server) uniqueClash(w *world, coll, body, self string) (field, other string) {
	for _, f := range s.uniqueFields(coll) {
		v := gjson.Get(body, gjsonEscape(f))
		if !v.Exists() || v.Type == gjson.Null {
			continue
		}
		for _, m := range w.members(coll) {
			if m == self {
				continue
			}
			if o := gjson.Get(w.res[m].body, gjsonEscape(f)); o.Exists() && o.Raw == v.Raw {
				return f, m
			}
		}
	}
	return "", ""
}

func (s *server) immutable(path string) bool {
	segs := s.cache.segments(parentOf(path))
	for _, p := range s.decls.immutable {
		if _, ok := p.match(segs); ok {
			return true
		}
	}
	return false
}

func (s *server) detectBatch(coll string, arr []any, d *detection) string {
	after := s.w.clone()
	failed := 0
	for i, item := range arr {
		body := mustJSON(item)
		it := s.detectCreate(after, coll, body, item, i)
		if it.write != nil {
			after.put(it.write.path, it.write.body)
		} else {
			failed++
		}
		d.items = append(d.items, it)
	}
	d.after = after
	d.subject = coll
	switch {
	case len(arr) == 0:
		d.sit = Invalid
		d.detail = "an empty batch creates nothing"
		d.items = nil
		d.after = nil
		return d.detail
	case failed == 0:
		d.sit = BatchCreated
		return "all " + strconv.Itoa(len(arr)) + " items of the batch can be created"
	}
	d.sit = BatchPartial
	d.detail = strconv.Itoa(failed) + " of " + strconv.Itoa(len(arr)) + " items cannot be created"
	return d.detail
}

// mergePatch applies an RFC 7396 JSON merge patch: a patch that is not an
// object replaces the target whole (RFC 7396 §2).
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	obj, ok := target.(map[string]any)
	if !ok {
		obj = map[string]any{}
	} else {
		// The target is the run cache's decoded value: copy, never change.
		obj = maps.Clone(obj)
	}
	for k, v := range p {
		if v == nil {
			delete(obj, k)
			continue
		}
		obj[k] = mergePatch(obj[k], v)
	}
	return obj
}

// fieldRaw is a body field's JSON text, for messages.
func fieldRaw(body, field string) string {
	return gjson.Get(body, gjsonEscape(field)).Raw
}

// referrer finds a live resource whose @ref field names path.
func (s *server) referrer(path string) (by, field string) {
	tsegs := s.cache.segments(parentOf(path))
	id := lastSegment(path)
	paths := make([]string, 0, len(s.w.res))
	for p := range s.w.res {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, rd := range s.decls.ref {
		if _, ok := rd.target.match(tsegs); !ok {
			continue
		}
		for _, p := range paths {
			r := s.w.res[p]
			if r.deleted {
				continue
			}
			stars, ok := rd.coll.match(s.cache.segments(parentOf(p)))
			if !ok {
				continue
			}
			if t, ok := rd.target.fill(stars); ok && t != parentOf(path) {
				continue
			}
			v := gjson.Get(r.body, gjsonEscape(rd.field))
			if got, ok := idString(jsonValue(v)); ok && got == id {
				return p, rd.field
			}
		}
	}
	return "", ""
}
