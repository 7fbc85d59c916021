package simulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// server answers requests for one policy on its own world.
type server struct {
	policy  *Policy
	decls   *declarations
	w       *world
	cache   *runCache
	last    *request // the request send resolved last, for the analysis
	applied *write   // the write respond carried out last, for races
	// lean skips the trace and lint, which nobody reads for the many
	// intermediate steps of a race.
	lean bool
	// wantBody keeps error bodies in lean mode, for races whose clients
	// capture from responses.
	wantBody bool
}

func newServer(p *Policy, d *declarations, c *runCache) *server {
	return &server{policy: p, decls: d, w: newWorld(), cache: c}
}

// runCache keeps what every policy of one run computes alike. Each
// goroutine that plays columns has a cache of its own, so it needs no lock;
// the decoded values it hands out are shared and must only be read.
type runCache struct {
	canon map[string]canonical
	noID  map[string]string
	segs  map[string][]string
	keys  map[ruleKeyArgs][]string
	// budget is how many more race states the whole run may explore;
	// negative means no limit.
	budget int
}

type ruleKeyArgs struct {
	sit         Situation
	method      string
	unique, rel bool
}

type canonical struct {
	text string
	v    any
	ok   bool
}

func newRunCache() *runCache {
	return &runCache{canon: map[string]canonical{}, noID: map[string]string{}, segs: map[string][]string{}, keys: map[ruleKeyArgs][]string{}, budget: -1}
}

// withoutID is the package function, remembered per body: races compare
// the same few representations over and over.
func (c *runCache) withoutID(body string) string {
	if v, ok := c.noID[body]; ok {
		return v
	}
	v := withoutID(body)
	c.noID[body] = v
	return v
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

// ruleKeys is the package function, remembered per combination.
func (c *runCache) ruleKeys(sit Situation, method string, unique, rel bool) []string {
	k := ruleKeyArgs{sit, method, unique, rel}
	if v, ok := c.keys[k]; ok {
		return v
	}
	v := ruleKeys(sit, method, unique, rel)
	c.keys[k] = v
	return v
}

// canonicalJSON is the package function, remembered per distinct body.
func (c *runCache) canonicalJSON(body string) (string, any, bool) {
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
}

func (r *request) header(name string) (string, bool) {
	v, ok := r.headers[name]
	return v, ok
}

// write is a change of state that detection planned and the chosen rule
// may carry out: the split between the two is what lets a policy decline
// a change (202 without creating) and lets races interleave reads and writes.
type write struct {
	del  bool
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
	unique  bool // POST into a collection with a unique field
	rel     bool // POST whose body only links to a member by id
	write   *write
	replace *write // the upsert an effect "replace" would carry out
	items   []itemResult
	after   *world // the world after a batch's successful items
	replay  *stored
	key     string // the Idempotency-Key this response will complete
	readVer int    // the target's version when detection read it
	trace   []TraceEntry
	lean    bool // record no trace (see server.lean)
}

func (d *detection) note(step, detail, cite string) {
	if d.lean {
		return
	}
	d.trace = append(d.trace, TraceEntry{Step: step, Detail: detail, Cite: cite, URL: citeURL(cite)})
}

const (
	allowMember     = "GET, HEAD, PUT, PATCH, DELETE"
	allowCollection = "GET, HEAD, POST"
)

// handle answers one request atomically.
func (s *server) handle(req *request) Response {
	return s.respond(req, s.detect(req))
}

// detect is the read phase: it classifies the request without changing
// anything but the id sequence and idempotency-key reservations.
func (s *server) detect(req *request) *detection {
	d := &detection{lean: s.lean}
	if s.reserveKey(req, d) {
		return d
	}
	s.detectRest(req, d)
	return d
}

// unsafe reports whether a method is one that an Idempotency-Key guards.
func unsafe(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// reserveKey is the first thing a server does with an unsafe request that
// carries an Idempotency-Key: it reports true when the key alone decides
// the answer (replay, mismatch, in flight, missing).
func (s *server) reserveKey(req *request, d *detection) bool {
	if !unsafe(req.method) {
		return false
	}
	return s.idempotencyKey(req, d)
}

// detectRest classifies the request by method, once any key is reserved.
func (s *server) detectRest(req *request, d *detection) {
	if r := s.w.live(req.target); r != nil {
		d.readVer = r.version
	}
	switch req.method {
	case "GET", "HEAD":
		s.detectRead(req, d)
	case "POST":
		s.detectPost(req, d)
	case "PUT":
		s.detectPut(req, d)
	case "PATCH":
		s.detectPatch(req, d)
	case "DELETE":
		s.detectDelete(req, d)
	default:
		d.sit = MethodNotAllowed
		d.allow = s.allowFor(req.target)
		d.subject = req.target
		d.detail = fmt.Sprintf("%s is not supported on %s; allowed: %s", req.method, req.target, d.allow)
		d.note("method", fmt.Sprintf("the simulated server does not implement %s", req.method), "RFC 9110 §15.5.6")
	}
}

func (s *server) allowFor(target string) string {
	if s.w.live(target) == nil && s.w.isCollection(target) {
		return allowCollection
	}
	return allowMember
}

func (s *server) detectRead(req *request, d *detection) {
	d.subject = req.target
	if r := s.w.live(req.target); r != nil {
		if im, ok := req.header("If-Match"); ok && !etagMatches(im, r, false) {
			d.sit = PreconditionFailed
			d.detail = fmt.Sprintf("If-Match %s does not match the current ETag %s", im, etag(r))
			d.note("precondition", d.detail, "RFC 9110 §13.1.1")
			return
		}
		if inm, ok := req.header("If-None-Match"); ok && etagMatches(inm, r, true) {
			d.sit = NotModified
			d.note("precondition", fmt.Sprintf("If-None-Match %s matches the current ETag %s", inm, etag(r)), "RFC 9110 §13.1.2")
			return
		}
		d.sit = Read
		d.note("target", fmt.Sprintf("%s exists (ETag %s)", req.target, etag(r)), "")
		return
	}
	if r := s.w.res[req.target]; r != nil && r.deleted && len(s.w.members(req.target)) == 0 {
		d.sit = PreviouslyDeleted
		d.detail = req.target + " was deleted"
		d.note("target", req.target+" existed and was deleted", "")
		return
	}
	if s.w.isCollection(req.target) || s.declaredCollection(req.target) {
		d.sit = Listed
		d.note("target", fmt.Sprintf("%s is a collection with %d live member(s)", req.target, len(s.w.members(req.target))), "")
		return
	}
	d.sit = Missing
	d.detail = req.target + " does not exist"
	d.note("target", req.target+" has never existed", "")
}

// declaredCollection reports whether a declaration names the path as a
// collection, so that an empty declared collection lists as [] not 404.
func (s *server) declaredCollection(path string) bool {
	segs := s.cache.segments(path)
	for _, p := range s.allPatterns() {
		if _, ok := p.match(segs); ok {
			return true
		}
	}
	return false
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

// idempotencyKey handles the Idempotency-Key header of an unsafe request;
// it reports true when the key decided the situation.
func (s *server) idempotencyKey(req *request, d *detection) bool {
	mode := s.policy.idempotencyKey()
	key, has := req.header("Idempotency-Key")
	if mode == "ignore" {
		if has {
			d.note("idempotency-key", "this policy does not know the Idempotency-Key header and ignores it", "")
		}
		return false
	}
	if !has {
		if mode == "require" && req.method == "POST" {
			d.sit = IdempotencyKeyMissing
			d.subject = req.target
			d.detail = "this endpoint requires an Idempotency-Key header"
			d.note("idempotency-key", "required by this policy and absent", "")
			return true
		}
		return false
	}
	fp := req.method + " " + req.target + " " + s.fingerprintBody(req.body)
	if e, ok := s.w.keys[key]; ok {
		switch {
		case e.fingerprint != fp:
			d.sit = IdempotencyMismatch
			d.subject = req.target
			d.detail = fmt.Sprintf("Idempotency-Key %s was first used for a different request", key)
			d.note("idempotency-key", fmt.Sprintf("key %s seen before with a different request", key), "")
		case !e.done:
			d.sit = IdempotencyInFlight
			d.subject = req.target
			d.detail = fmt.Sprintf("a request with Idempotency-Key %s is still being processed", key)
			d.note("idempotency-key", fmt.Sprintf("key %s is in flight", key), "")
		default:
			d.sit = IdempotentReplay
			d.subject = req.target
			r := e.resp
			d.replay = &r
			d.note("idempotency-key", fmt.Sprintf("key %s seen before with the same request, first answered %d", key, r.status), "")
		}
		return true
	}
	s.w.keys[key] = &keyEntry{fingerprint: fp}
	s.w.touch()
	d.key = key
	d.note("idempotency-key", fmt.Sprintf("key %s is new: the response will be remembered for retries", key), "")
	return false
}

func (s *server) fingerprintBody(body string) string {
	if c, _, ok := s.cache.canonicalJSON(body); ok {
		return c
	}
	return strings.TrimSpace(body)
}

// preconditions evaluates If-Match and If-None-Match for a write whose
// target may or may not exist (RFC 9110 §13.2.2 order).
func (s *server) preconditions(req *request, cur *resource, d *detection) bool {
	if im, ok := req.header("If-Match"); ok {
		if cur == nil || !etagMatches(im, cur, false) {
			d.sit = PreconditionFailed
			d.subject = req.target
			if cur == nil {
				d.detail = fmt.Sprintf("If-Match %s: %s has no current representation", im, req.target)
			} else {
				d.detail = fmt.Sprintf("If-Match %s does not match the current ETag %s", im, etag(cur))
			}
			d.note("precondition", d.detail, "RFC 9110 §13.1.1")
			return true
		}
		d.note("precondition", fmt.Sprintf("If-Match %s matches", im), "RFC 9110 §13.1.1")
	}
	if inm, ok := req.header("If-None-Match"); ok && cur != nil && etagMatches(inm, cur, true) {
		d.sit = PreconditionFailed
		d.subject = req.target
		d.detail = fmt.Sprintf("If-None-Match %s: %s already exists", inm, req.target)
		d.note("precondition", d.detail, "RFC 9110 §13.1.2")
		return true
	}
	if cur != nil && s.policy.requireIfMatch() {
		if _, ok := req.header("If-Match"); !ok {
			d.sit = PreconditionRequired
			d.subject = req.target
			d.detail = fmt.Sprintf("%s of %s must be conditional: send If-Match with the ETag from a GET (currently %s)", req.method, req.target, etag(cur))
			d.note("precondition", "this policy requires If-Match on writes to an existing resource and the request has none", "RFC 6585 §3")
			return true
		}
	}
	return false
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

// content parses a JSON body; it reports true (and sets the situation)
// when the body is malformed.
func (s *server) content(req *request, d *detection) (string, any, bool) {
	body := req.body
	if strings.TrimSpace(body) == "" {
		body = "{}"
	}
	c, v, ok := s.cache.canonicalJSON(body)
	if !ok {
		d.sit = Malformed
		d.subject = req.target
		d.detail = "the request content is not valid JSON"
		d.note("content", d.detail, "RFC 9110 §15.5.1")
		return "", nil, true
	}
	return c, v, false
}

func (s *server) detectPost(req *request, d *detection) {
	coll := req.target
	body, v, bad := s.content(req, d)
	if bad {
		return
	}
	if arr, ok := v.([]any); ok {
		s.detectBatch(req, coll, arr, d)
		return
	}
	it := s.detectCreate(s.w, coll, body, v, 0)
	d.sit, d.subject, d.detail, d.field = it.sit, it.subject, it.detail, it.field
	d.unique, d.rel, d.write = it.unique, it.rel, it.write
	if it.sit == Duplicate || it.sit == AlreadyPresent {
		d.replace = &write{path: it.subject, body: body}
	}
	d.note("check", it.traceLine(coll), citeFor(it.sit))
}

func (it itemResult) traceLine(coll string) string {
	switch it.sit {
	case Created:
		return fmt.Sprintf("no member of %s has this identity: it would be created as %s", coll, it.subject)
	default:
		return it.detail
	}
}

// citeFor names the RFC section behind a detected situation.
func citeFor(s Situation) string {
	switch s {
	case AlreadyPresent:
		return "RFC 9110 §9.3.3"
	case Duplicate, InUse, InvariantViolated, ImmutableConflict:
		return "RFC 9110 §15.5.10"
	case Invalid, DanglingReference:
		return "RFC 9110 §15.5.21"
	}
	return ""
}

// detectCreate classifies the creation of one member in coll on world w.
func (s *server) detectCreate(w *world, coll, body string, v any, index int) itemResult {
	it := itemResult{index: index, subject: coll}
	obj, ok := v.(map[string]any)
	if !ok {
		it.sit = Invalid
		it.detail = "the content must be a JSON object to create a member of " + coll
		return it
	}
	if f, msg := s.validate(coll, body); msg != "" {
		it.sit, it.field, it.detail = Invalid, f, msg
		return it
	}
	id, hasID := "", false
	if raw, ok := obj["id"]; ok {
		id, hasID = idString(raw)
		if !hasID {
			it.sit, it.field = Invalid, "id"
			it.detail = "id must be a non-empty string without \"/\" or a whole number"
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
				it.detail = fmt.Sprintf("%s already exists with this exact representation", path)
			} else {
				it.sit = Duplicate
				it.detail = fmt.Sprintf("%s already exists with a different representation", path)
			}
			return it
		}
	}
	if f, other := s.uniqueClash(w, coll, body, ""); other != "" {
		it.subject, it.field = other, f
		val := gjson.Get(body, gjsonEscape(f)).Raw
		if s.cache.withoutID(w.res[other].body) == s.cache.withoutID(body) {
			it.sit = AlreadyPresent
			it.detail = fmt.Sprintf("%s already holds %s %s with the same representation", other, f, val)
		} else {
			it.sit = Duplicate
			it.detail = fmt.Sprintf("%s %s is already used by %s", f, val, other)
		}
		return it
	}
	if !hasID {
		id = w.nextID(coll)
		body = withID(obj, id)
	}
	it.sit = Created
	it.subject = joinPath(coll, id)
	it.write = &write{path: it.subject, body: body}
	return it
}

// isLinkage reports whether a body only names another resource (an id and
// perhaps a type), which is how a relationship is added.
func isLinkage(obj map[string]any) bool {
	for k := range obj {
		if k != "id" && k != "type" {
			return false
		}
	}
	return true
}

func idString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		if x == "" || strings.ContainsAny(x, "/?#") || x == "." || x == ".." {
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

// withID encodes a JSON object with a server-assigned id added; obj is
// shared with the run's cache, so it is copied, never changed.
func withID(obj map[string]any, id string) string {
	m := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		m[k] = v
	}
	m["id"] = id
	return mustJSON(m)
}

// withoutID drops the id member, to compare two representations apart
// from the identity the server gave them.
func withoutID(body string) string {
	c, v, ok := canonicalJSON(body)
	if !ok {
		return body
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "id")
		return mustJSON(m)
	}
	return c
}

// gjsonEscape makes a field name a literal gjson path, since declared
// field names may contain the path syntax's special characters.
func gjsonEscape(field string) string {
	if !strings.ContainsAny(field, ".*?|#@\\") {
		return field
	}
	return gjsonEscaper.Replace(field)
}

var gjsonEscaper = strings.NewReplacer(`\`, `\\`, ".", `\.`, "*", `\*`, "?", `\?`, "|", `\|`, "#", `\#`, "@", `\@`)

// validate applies @required to a body about to live in coll.
func (s *server) validate(coll, body string) (field, msg string) {
	segs := s.cache.segments(coll)
	for _, rd := range s.decls.required {
		if _, ok := rd.coll.match(segs); !ok {
			continue
		}
		if !gjson.Parse(body).IsObject() {
			return "", "the content must be a JSON object"
		}
		for _, f := range rd.fields {
			v := gjson.Get(body, gjsonEscape(f.name))
			if !v.Exists() || v.Type == gjson.Null || (v.Type == gjson.String && strings.TrimSpace(v.String()) == "") {
				return f.name, fmt.Sprintf("%s is required", f.name)
			}
			if f.typ != "" && !hasType(v, f.typ) {
				return f.name, fmt.Sprintf("%s must be %s, got %s", f.name, typeArticle(f.typ), v.Raw)
			}
		}
	}
	return "", ""
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
			return rd.field, path, fmt.Sprintf("%s %s refers to %s, which does not exist", rd.field, v.Raw, path)
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

func (s *server) uniqueFields(coll string) []string {
	segs := s.cache.segments(coll)
	var out []string
	for _, u := range s.decls.unique {
		if _, ok := u.coll.match(segs); ok {
			out = append(out, u.field)
		}
	}
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

func (s *server) detectBatch(req *request, coll string, arr []any, d *detection) {
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
	case failed == 0:
		d.sit = BatchCreated
		d.note("batch", fmt.Sprintf("all %d items can be created", len(arr)), "")
	default:
		d.sit = BatchPartial
		d.detail = fmt.Sprintf("%d of %d items cannot be created", failed, len(arr))
		d.note("batch", d.detail, "RFC 4918 §11.1")
	}
}

func (s *server) detectPut(req *request, d *detection) {
	path := req.target
	cur := s.w.live(path)
	d.subject = path
	if cur == nil && s.w.isCollection(path) {
		d.sit, d.allow = MethodNotAllowed, allowCollection
		d.detail = path + " is a collection; PUT is not supported on it"
		d.note("target", d.detail, "RFC 9110 §15.5.6")
		return
	}
	if s.preconditions(req, cur, d) {
		return
	}
	if cur == nil && !s.policy.putCreates() {
		d.sit = Missing
		d.detail = path + " does not exist and this policy's PUT only updates"
		d.note("target", d.detail, "")
		return
	}
	body, _, bad := s.content(req, d)
	if bad {
		return
	}
	coll := parentOf(path)
	if f, msg := s.validate(coll, body); msg != "" {
		d.sit, d.field, d.detail = Invalid, f, msg
		d.note("validation", msg, citeFor(Invalid))
		return
	}
	if cur != nil && s.immutable(path) {
		if cur.body == body {
			d.sit = Unchanged
			d.note("check", fmt.Sprintf("%s is immutable, but the representation is identical, so nothing would change", path), "RFC 9110 §9.2.2")
			return
		}
		d.sit = ImmutableConflict
		d.detail = fmt.Sprintf("%s is immutable and the new representation differs", path)
		d.note("check", d.detail, citeFor(ImmutableConflict))
		return
	}
	if s.conflicts(coll, body, path, d) {
		return
	}
	switch {
	case cur == nil:
		d.sit = Created
		d.write = &write{path: path, body: body}
		d.note("check", path+" does not exist: PUT creates it", "RFC 9110 §9.3.4")
	case cur.body == body:
		d.sit = Unchanged
		d.note("check", path+" already has this representation", "RFC 9110 §9.2.2")
	default:
		d.sit = Replaced
		d.write = &write{path: path, body: body}
		d.note("check", path+" exists: PUT replaces its representation", "RFC 9110 §9.3.4")
	}
}

func (s *server) detectPatch(req *request, d *detection) {
	path := req.target
	cur := s.w.live(path)
	d.subject = path
	if cur == nil {
		s.absent(req, d)
		return
	}
	if s.preconditions(req, cur, d) {
		return
	}
	_, v, bad := s.content(req, d)
	if bad {
		return
	}
	patch, ok := v.(map[string]any)
	if !ok {
		d.sit = Invalid
		d.detail = "a merge patch must be a JSON object"
		d.note("content", d.detail, "RFC 7396 §2")
		return
	}
	_, base, _ := canonicalJSON(cur.body)
	merged := mustJSON(mergePatch(base, patch))
	if merged == cur.body {
		d.sit = Unchanged
		d.note("check", "the patch changes nothing", "RFC 7396 §2")
		return
	}
	if s.immutable(path) {
		d.sit = ImmutableConflict
		d.detail = fmt.Sprintf("%s is immutable and the patch would change it", path)
		d.note("check", d.detail, citeFor(ImmutableConflict))
		return
	}
	coll := parentOf(path)
	if f, msg := s.validate(coll, merged); msg != "" {
		d.sit, d.field, d.detail = Invalid, f, msg
		d.note("validation", "after the patch: "+msg, citeFor(Invalid))
		return
	}
	if s.conflicts(coll, merged, path, d) {
		return
	}
	d.sit = Updated
	d.write = &write{path: path, body: merged}
	d.note("check", "the merge patch changes "+path, "RFC 7396 §2")
}

// conflicts applies @ref and @unique to the representation a PUT or PATCH
// would store at self, and reports true when one of them refuses it.
func (s *server) conflicts(coll, body, self string, d *detection) bool {
	if f, target, msg := s.checkRefs(s.w, coll, body); msg != "" {
		d.sit, d.field, d.subject, d.detail = DanglingReference, f, target, msg
		d.note("reference", msg, citeFor(DanglingReference))
		return true
	}
	if f, other := s.uniqueClash(s.w, coll, body, self); other != "" {
		d.sit, d.field, d.subject = Duplicate, f, other
		d.detail = fmt.Sprintf("%s %s is already used by %s", f, gjson.Get(body, gjsonEscape(f)).Raw, other)
		d.note("check", d.detail, citeFor(Duplicate))
		return true
	}
	return false
}

// mergePatch applies an RFC 7396 JSON merge patch.
func mergePatch(target any, patch map[string]any) any {
	obj, ok := target.(map[string]any)
	if !ok {
		obj = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(obj, k)
			continue
		}
		if p, ok := v.(map[string]any); ok {
			obj[k] = mergePatch(obj[k], p)
			continue
		}
		obj[k] = v
	}
	return obj
}

// absent classifies a request whose target has no live representation.
func (s *server) absent(req *request, d *detection) {
	if r := s.w.res[req.target]; r != nil && r.deleted {
		d.sit = PreviouslyDeleted
		d.detail = req.target + " was deleted"
		d.note("target", req.target+" existed and was deleted (a tombstone remains)", "RFC 9110 §15.5.11")
		return
	}
	d.sit = Missing
	d.detail = req.target + " does not exist"
	d.note("target", req.target+" has never existed", "RFC 9110 §15.5.5")
}

func (s *server) detectDelete(req *request, d *detection) {
	path := req.target
	cur := s.w.live(path)
	d.subject = path
	if cur == nil && s.w.isCollection(path) && len(s.w.members(path)) > 0 {
		d.sit, d.allow = MethodNotAllowed, allowCollection
		d.detail = path + " is a collection; DELETE is not supported on it"
		d.note("target", d.detail, "RFC 9110 §15.5.6")
		return
	}
	if cur == nil {
		s.absent(req, d)
		return
	}
	if s.preconditions(req, cur, d) {
		return
	}
	if by, field := s.referrer(path); by != "" {
		d.sit, d.field = InUse, field
		d.detail = fmt.Sprintf("%s is still referred to by %s (field %s)", path, by, field)
		d.note("constraint", d.detail, citeFor(InUse))
		return
	}
	coll := parentOf(path)
	segs := s.cache.segments(coll)
	for _, m := range s.decls.min {
		if _, ok := m.coll.match(segs); ok {
			if n := len(s.w.members(coll)); n-1 < m.n {
				d.sit = InvariantViolated
				d.detail = fmt.Sprintf("%s must keep at least %d member(s); it has %d", coll, m.n, n)
				d.note("constraint", d.detail+" (@min)", citeFor(InvariantViolated))
				return
			}
		}
	}
	d.sit = Deleted
	d.write = &write{del: true, path: path}
	d.note("check", path+" exists and can be removed", "RFC 9110 §9.3.5")
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
