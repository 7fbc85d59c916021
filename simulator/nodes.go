package simulator

import (
	"fmt"
	"strconv"
	"strings"
)

// The nodes of the decision graph, in the order decisionGraph asks them.
// Each doc comment gives the question, the section that poses it, and
// where each answer leads.

// nodeIdempotencyKey asks whether an Idempotency-Key decides the answer
// (draft-ietf-httpapi-idempotency-key-header): a key seen with the same
// request replays the first response (idempotent-replay), with another
// request it is idempotency-mismatch, before that response exists it is
// idempotency-in-flight, and a policy that requires keys refuses a POST
// without one (idempotency-key-missing). A new key is reserved and the
// walk goes on.
var nodeIdempotencyKey = &node{
	name:     "idempotency-key",
	question: "Does an Idempotency-Key decide the answer?",
	cite:     "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
	methods:  []string{"POST", "PUT", "PATCH", "DELETE"},
	ask:      (*server).askIdempotencyKey,
}

// nodeMethodImplemented asks whether the server implements the method at
// all (RFC 9110 §9.1): an unknown method is not-implemented (501).
var nodeMethodImplemented = &node{
	name:     "method-implemented",
	question: "Does this server implement the method?",
	cite:     "RFC 9110 §9.1",
	ask: func(s *server, q *query) verdict {
		if methodIndex(q.req.method) < len(graphMethods) {
			return pass
		}
		// Allow is known already, for policies that answer 405 here.
		q.d.allow = s.allowFor(q.req.target)
		q.d.sit = NotImplemented
		q.d.detail = q.req.method + " is not a method this server implements"
		return decide(q.d.detail)
	},
}

// nodeFieldValues asks whether the target and the field values are free
// of CR, LF and NUL, which RFC 9110 §5.5 does not allow in a field value:
// a recipient must reject such a message or replace the characters, and
// this server rejects it as malformed, so that a captured value can never
// smuggle a header into a simulated response.
var nodeFieldValues = &node{
	name:     "field-values",
	question: "Are the target and every field value free of CR, LF and NUL?",
	cite:     "RFC 9110 §5.5",
	ask: func(s *server, q *query) verdict {
		bad := q.req.badField
		if bad == "" {
			return pass
		}
		q.d.sit = Malformed
		q.d.detail = bad + " contains CR, LF or NUL, which a field value cannot hold"
		return decide(q.d.detail)
	},
}

// firstCtlField names the first part of a request that holds CR, LF or
// NUL: the target, or a field in name order.
func firstCtlField(req *request) string {
	if hasCtl(req.path) {
		return "the request target"
	}
	bad := ""
	for name, v := range req.headers {
		if hasCtl(v) && (bad == "" || name < bad) {
			bad = name
		}
	}
	if bad == "" {
		return ""
	}
	return "the " + bad + " field"
}

// hasCtl reports whether s holds a character no field value may hold.
func hasCtl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return true
		}
	}
	return false
}

// nodeTargetKind asks whether the target is a collection: a path with no
// representation of its own under which members live or lived, or one a
// declaration names. It decides nothing; the nodes after it ask different
// questions of collections and members.
var nodeTargetKind = &node{
	name:     "target-kind",
	question: "Is the target a collection or a member?",
	cite:     "RFC 9110 §9.3.3",
	ask: func(s *server, q *query) verdict {
		q.cur = s.w.live(q.req.target)
		if q.d.lean || q.req.method == "POST" || !q.isCollection(s) {
			// A lean walk finds out later, and only if a node asks; a
			// POST's own line names the collection it creates in.
			return pass
		}
		return goOn(q.req.target + " is a collection with " + strconv.Itoa(s.w.memberCount(q.req.target)) + " live member(s)")
	},
}

// nodeMethodAllowed asks whether the target supports the method (RFC 9110
// §15.5.6): collections take GET, HEAD, POST and OPTIONS (and DELETE under
// a policy that deletes collections), members every implemented method.
// Otherwise the situation is method-not-allowed, whose Allow lists what
// the target does support.
var nodeMethodAllowed = &node{
	name:     "method-allowed",
	question: "Does the target support the method?",
	cite:     "RFC 9110 §15.5.6",
	ask: func(s *server, q *query) verdict {
		switch q.req.method {
		case "GET", "HEAD", "POST":
			// Every target takes these; Allow is worked out when an
			// answer names it.
			return pass
		}
		q.d.allow = allowMember
		if q.isCollection(s) {
			q.d.allow = allowCollection
			if s.policy.deleteCollection() {
				q.d.allow = allowCollectionDelete
			}
		} else {
			q.d.acceptPatch = acceptPatch
		}
		if allows(q.d.allow, q.req.method) {
			return pass
		}
		q.d.sit = MethodNotAllowed
		q.d.detail = fmt.Sprintf("%s is not supported on %s; allowed: %s", q.req.method, q.req.target, q.d.allow)
		return decide(q.d.detail)
	},
}

const (
	allowMember           = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	allowCollection       = "GET, HEAD, POST, OPTIONS"
	allowCollectionDelete = "GET, HEAD, POST, DELETE, OPTIONS"
	acceptPatch           = "application/merge-patch+json, application/json-patch+json"
)

// allowFor lists the methods a target supports.
func (s *server) allowFor(target string) string {
	switch {
	case !s.isCollection(target):
		return allowMember
	case s.policy.deleteCollection():
		return allowCollectionDelete
	}
	return allowCollection
}

func allows(list, method string) bool {
	switch method {
	case "GET", "HEAD", "POST", "OPTIONS":
		return true
	case "DELETE":
		return list != allowCollection
	}
	return list == allowMember && methodIndex(method) < len(graphMethods)
}

// nodeOptions answers OPTIONS (RFC 9110 §9.3.7): the situation is options,
// whose answer lists in Allow the methods the target supports.
var nodeOptions = &node{
	name:     "options",
	question: "Is this a request for the target's communication options?",
	cite:     "RFC 9110 §9.3.7",
	methods:  []string{"OPTIONS"},
	ask: func(s *server, q *query) verdict {
		q.d.sit = OptionsAnswered
		return decide(q.req.target + " allows " + q.d.allow)
	},
}

// nodeAcceptable asks whether a representation can be sent in a media
// type the Accept field allows (RFC 9110 §12.5.1). A request without
// Accept accepts anything; one that rules out JSON is not-acceptable, for
// which a policy may choose 406 (§15.5.7) or another answer.
var nodeAcceptable = &node{
	name:     "acceptable",
	question: "Does the Accept field allow the media type the server sends?",
	cite:     "RFC 9110 §12.5.1",
	ask: func(s *server, q *query) verdict {
		accept, ok := q.req.header("Accept")
		if !ok || strings.TrimSpace(accept) == "" || q.req.method == "DELETE" || q.req.method == "OPTIONS" {
			// Accept is about the content of the answer; a DELETE or an
			// OPTIONS that succeeds has none to negotiate.
			return pass
		}
		offered := s.policy.mediaType()
		if acceptsMediaType(accept, offered) {
			if q.d.lean {
				return pass
			}
			return goOn(fmt.Sprintf("Accept %s allows %s", accept, offered))
		}
		q.d.sit = NotAcceptable
		q.d.detail = fmt.Sprintf("Accept %s allows no media type this server sends (%s)", accept, offered)
		return decide(q.d.detail)
	},
}

// acceptsMediaType reports whether an Accept value has a range with a
// non-zero weight that matches the media type (RFC 9110 §12.5.1).
func acceptsMediaType(accept, mt string) bool {
	typ, _, _ := strings.Cut(mt, "/")
	// The most specific range that matches decides (RFC 9110 §12.5.1):
	// "application/json;q=0, */*" refuses JSON.
	best, zero := -1, false
	for _, rng := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(rng, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		spec := -1
		switch name {
		case mt:
			spec = 2
		case typ + "/*":
			spec = 1
		case "*/*":
			spec = 0
		}
		if spec > best {
			best, zero = spec, zeroWeight(params)
		}
	}
	return best >= 0 && !zero
}

func zeroWeight(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && w == 0
		}
	}
	return false
}

// nodeMediaType asks whether the content is in a media type the target
// supports (RFC 9110 §15.5.16): JSON for POST and PUT, and for PATCH a
// merge patch (RFC 7396) or a JSON Patch (RFC 6902), chosen by
// Content-Type. Anything else is unsupported-media-type; for PATCH the
// answer says in Accept-Patch which formats are (RFC 5789 §2.2, §3.1). A
// request without Content-Type is read as JSON, as every scenario writes.
var nodeMediaType = &node{
	name:     "media-type",
	question: "Is the content in a media type the target supports?",
	cite:     "RFC 9110 §15.5.16",
	methods:  []string{"POST", "PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		ct, ok := q.req.header("Content-Type")
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if q.req.method == "PATCH" {
			switch {
			case !ok || mt == "application/merge-patch+json":
				q.patch = mergePatchFormat
				return goOn("the content is a JSON merge patch")
			case mt == "application/json-patch+json":
				q.patch = jsonPatchFormat
				return verdict{detail: "the content is a JSON Patch document", cite: citeJSONPatchDocument}
			case mt == "application/json":
				q.patch = mergePatchFormat
				return goOn("application/json is applied as a merge patch, the only JSON patch format it can be")
			}
			q.d.sit = UnsupportedMediaType
			q.d.acceptPatch = acceptPatch
			q.d.detail = fmt.Sprintf("PATCH with %s: this server applies %s", ct, acceptPatch)
			return verdict{detail: q.d.detail, cite: citePatchErrors, decided: true}
		}
		if !ok || mt == "application/json" || strings.HasSuffix(mt, "+json") {
			return pass
		}
		q.d.sit = UnsupportedMediaType
		q.d.detail = fmt.Sprintf("content of type %s: this server reads only JSON", ct)
		return decide(q.d.detail)
	},
}

// nodeExists asks whether the member the request targets has a current
// representation (RFC 9110 §3.2). When it has none and the method will not
// create it (PUT under a policy whose PUT creates, PATCH under one whose
// PATCH does), the walk goes on knowing the answer without preconditions:
// missing, or previously-deleted where a tombstone remains.
var nodeExists = &node{
	name:     "exists",
	question: "Does the target have a current representation?",
	cite:     "RFC 9110 §3.2",
	ask: func(s *server, q *query) verdict {
		q.absent = Read
		if q.req.method == "POST" || q.isCollection(s) {
			return pass
		}
		t := q.req.target
		if q.cur != nil {
			if q.d.lean {
				return pass
			}
			return goOn(t + " exists (ETag " + etag(q.cur) + ")")
		}
		switch {
		case q.req.method == "PUT" && s.policy.putCreates():
			return goOn(q.about(" does not exist: PUT would create it"))
		case q.req.method == "PATCH" && s.policy.patchCreates():
			return goOn(q.about(" does not exist: PATCH would create it"))
		}
		if r := s.w.res[t]; r != nil && r.deleted {
			q.absent = PreviouslyDeleted
			if _, v, ok := s.cache.canonicalJSON(r.body); ok && q.req.method == "DELETE" {
				// Removing a link that is gone already is a relationship
				// question, which some guidelines answer apart.
				obj, isObj := v.(map[string]any)
				q.d.rel = isObj && isLinkage(obj)
			}
			return goOn(q.about(" existed and was deleted (a tombstone remains)"))
		}
		q.absent = Missing
		switch q.req.method {
		case "PUT":
			return goOn(q.about(" does not exist and this policy's PUT only updates"))
		case "PATCH":
			return goOn(q.about(" does not exist and this policy's PATCH only updates"))
		}
		return goOn(q.about(" has never existed"))
	},
}

// nodePreconditionsApply asks whether preconditions are to be evaluated at
// all: a server must ignore them when the answer without them would be
// neither 2xx nor 412 (RFC 9110 §13.2.1). For a missing target that means
// asking the policy what it would answer; where that is a 404, the
// preconditions are ignored and the walk ends at the absent situation.
var nodePreconditionsApply = &node{
	name:     "preconditions-apply",
	question: "Would the answer without preconditions be 2xx or 412?",
	cite:     "RFC 9110 §13.2.1",
	ask: func(s *server, q *query) verdict {
		if q.absent == Read || q.isCollection(s) || !hasPreconditions(q.req) {
			return pass
		}
		status := s.choose(ruleQuery{sit: q.absent, method: q.req.method, rel: q.d.rel}).Status
		if status >= 200 && status < 300 {
			return goOn(fmt.Sprintf("without preconditions the answer would be %d, so they are evaluated", status))
		}
		setAbsent(q)
		return decide(fmt.Sprintf("the preconditions are ignored: without them the answer is %d %s", status, ReasonPhrase(status)))
	},
}

func hasPreconditions(req *request) bool {
	_, im := req.header("If-Match")
	_, inm := req.header("If-None-Match")
	return im || inm
}

// nodeIfMatch evaluates If-Match (RFC 9110 §13.1.1): with no current
// representation, or none of the listed tags matching strongly, the
// condition is false and the situation is precondition-failed.
var nodeIfMatch = &node{
	name:     "if-match",
	question: "Does If-Match hold?",
	cite:     "RFC 9110 §13.1.1",
	ask: func(s *server, q *query) verdict {
		im, ok := q.req.header("If-Match")
		if !ok || q.isCollection(s) {
			return pass
		}
		if q.cur != nil && etagMatches(im, q.cur, false) {
			if q.d.lean {
				return pass
			}
			return goOn(fmt.Sprintf("If-Match %s matches the current ETag %s", im, etag(q.cur)))
		}
		q.d.sit = PreconditionFailed
		if q.cur == nil {
			q.d.detail = fmt.Sprintf("If-Match %s: %s has no current representation", im, q.req.target)
		} else {
			q.d.detail = fmt.Sprintf("If-Match %s does not match the current ETag %s", im, etag(q.cur))
		}
		return decide(q.d.detail)
	},
}

// nodeIfNoneMatch evaluates If-None-Match (RFC 9110 §13.1.2): when a
// listed tag matches weakly, or "*" meets a current representation, the
// condition is false: not-modified for GET and HEAD, precondition-failed
// for every other method.
var nodeIfNoneMatch = &node{
	name:     "if-none-match",
	question: "Does If-None-Match hold?",
	cite:     "RFC 9110 §13.1.2",
	ask: func(s *server, q *query) verdict {
		inm, ok := q.req.header("If-None-Match")
		if !ok || q.isCollection(s) {
			return pass
		}
		if q.cur == nil || !etagMatches(inm, q.cur, true) {
			if q.d.lean {
				return pass
			}
			return goOn(fmt.Sprintf("If-None-Match %s: no current representation matches", inm))
		}
		if q.req.method == "GET" || q.req.method == "HEAD" {
			q.d.sit = NotModified
			return decide(fmt.Sprintf("If-None-Match %s matches the current ETag %s", inm, etag(q.cur)))
		}
		q.d.sit = PreconditionFailed
		q.d.detail = fmt.Sprintf("If-None-Match %s: %s already exists", inm, q.req.target)
		return decide(q.d.detail)
	},
}

// nodeConditionRequired asks, under a policy that requires conditional
// writes (RFC 6585 §3), whether a write to an existing resource carries
// If-Match with an entity tag: "*" only says that the resource exists,
// which does not prevent a lost update. Without it the situation is
// precondition-required. A PUT that creates is not asked for
// If-None-Match: * (the policy guards updates, as its summary says); the
// race analysis shows the overwrite two such creates can cause.
var nodeConditionRequired = &node{
	name:     "condition-required",
	question: "Does a write to an existing resource carry If-Match with an entity tag?",
	cite:     "RFC 6585 §3",
	methods:  []string{"PUT", "PATCH", "DELETE"},
	ask: func(s *server, q *query) verdict {
		if !s.policy.requireIfMatch() || q.isCollection(s) || q.cur == nil {
			return pass
		}
		if im, _ := q.req.header("If-Match"); strings.TrimSpace(im) != "" && strings.TrimSpace(im) != "*" {
			return pass
		}
		q.d.sit = PreconditionRequired
		q.d.detail = q.req.method + " of " + q.req.target + " must be conditional: send If-Match with the ETag from a GET (currently " + etag(q.cur) + ")"
		return decide(q.d.detail)
	},
}

// nodeAbsent decides a request whose target has no current representation
// that the method will not create: missing (RFC 9110 §15.5.5), or
// previously-deleted where a tombstone remains, for which a policy may
// answer 410 (§15.5.11).
var nodeAbsent = &node{
	name:     "absent",
	question: "Is the target missing, or gone?",
	cite:     "RFC 9110 §15.5.5",
	ask: func(s *server, q *query) verdict {
		if q.absent == Read || q.req.method == "POST" {
			return pass
		}
		setAbsent(q)
		return decide(q.d.detail)
	},
}

func setAbsent(q *query) {
	q.d.sit = q.absent
	if q.absent == PreviouslyDeleted {
		q.d.detail = q.req.target + " was deleted"
	} else {
		q.d.detail = q.req.target + " does not exist"
	}
}

// nodeRead decides GET and HEAD of something that exists: read for a
// member, listed for a collection (RFC 9110 §9.3.1).
var nodeRead = &node{
	name:     "read",
	question: "What does the target currently represent?",
	cite:     "RFC 9110 §9.3.1",
	methods:  []string{"GET", "HEAD"},
	ask: func(s *server, q *query) verdict {
		if q.isCollection(s) {
			q.d.sit = Listed
			return decide("") // target-kind said it is a collection
		}
		if q.cur == nil {
			// A path that is neither a member nor a collection has no
			// representation; nodeAbsent answered it already.
			q.absent = Missing
			setAbsent(q)
			return decide(q.d.detail)
		}
		q.d.sit = Read
		return decide("") // exists said what there is
	},
}

// nodeInUse asks whether a DELETE would leave a @ref dangling: then the
// member is in-use.
var nodeInUse = &node{
	name:     "in-use",
	question: "Does another resource still refer to the target (@ref)?",
	methods:  []string{"DELETE"},
	ask: func(s *server, q *query) verdict {
		targets := []string{q.req.target}
		if q.isCollection(s) {
			// Deleting a collection deletes each member: none may be in use.
			targets = s.w.members(q.req.target)
		}
		by, field, target := "", "", ""
		for _, t := range targets {
			if by, field = s.referrer(t); by != "" {
				target = t
				break
			}
		}
		if by == "" {
			return pass
		}
		q.d.sit, q.d.field = InUse, field
		q.d.detail = fmt.Sprintf("%s is still referred to by %s (field %s)", target, by, field)
		return decide(q.d.detail)
	},
}

// nodeChildren asks, under a policy that refuses to delete a parent with
// children (AIP-135: FAILED_PRECONDITION unless force), whether live
// resources still live under the target: then it is in-use.
var nodeChildren = &node{
	name:     "children",
	question: "Do live resources still live under the target?",
	methods:  []string{"DELETE"},
	ask: func(s *server, q *query) verdict {
		if q.isCollection(s) || !s.policy.refuseDeleteWithChildren() {
			return pass
		}
		child := s.w.firstLiveUnder(q.req.target)
		if child == "" {
			return pass
		}
		q.d.sit = InUse
		q.d.detail = fmt.Sprintf("%s still has child resources, such as %s", q.req.target, child)
		return decide(q.d.detail)
	},
}

// nodeKeepsMinimum asks whether a DELETE would leave a collection with
// fewer members than @min allows: then the invariant is violated.
var nodeKeepsMinimum = &node{
	name:     "keeps-minimum",
	question: "Would the collection keep the members @min requires?",
	methods:  []string{"DELETE"},
	ask: func(s *server, q *query) verdict {
		coll, after := parentOf(q.req.target), 0
		if q.isCollection(s) {
			coll = q.req.target
		}
		n := s.w.memberCount(coll)
		if !q.isCollection(s) {
			after = n - 1
		}
		segs := s.cache.segments(coll)
		for _, m := range s.decls.min {
			if _, ok := m.coll.match(segs); ok && after < m.n {
				q.d.sit = InvariantViolated
				q.d.detail = fmt.Sprintf("%s must keep at least %d member(s); it has %d", coll, m.n, n)
				return decide(q.d.detail + " (@min)")
			}
		}
		return pass
	},
}

// nodeRemove decides a DELETE that can be carried out (RFC 9110 §9.3.5):
// the situation is deleted, and the write removes the member, or every
// member of a collection under a policy that deletes collections.
var nodeRemove = &node{
	name:     "remove",
	question: "Can the target be removed?",
	cite:     "RFC 9110 §9.3.5",
	methods:  []string{"DELETE"},
	ask: func(s *server, q *query) verdict {
		q.d.sit = Deleted
		if q.isCollection(s) {
			q.d.write = &write{del: true, all: true, path: q.req.target}
			return decide(fmt.Sprintf("the %d member(s) of %s can be removed", s.w.memberCount(q.req.target), q.req.target))
		}
		q.d.write = &write{del: true, path: q.req.target}
		return decide(q.about(" exists and can be removed"))
	},
}

// nodeContentParses asks whether the content parses (RFC 9110 §15.5.1):
// JSON, and for a JSON Patch an array of operations (RFC 6902 §3).
// Otherwise the situation is malformed. Empty content is read as {}.
var nodeContentParses = &node{
	name:     "content-parses",
	question: "Does the content parse?",
	cite:     "RFC 9110 §15.5.1",
	methods:  []string{"POST", "PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		body := q.req.body
		if strings.TrimSpace(body) == "" {
			body = "{}"
			if q.patch == jsonPatchFormat {
				body = "[]"
			}
		}
		c, v, ok := s.cache.canonicalJSON(body)
		if !ok {
			q.d.sit = Malformed
			q.d.detail = "the request content is not valid JSON"
			return decide(q.d.detail)
		}
		if q.patch == jsonPatchFormat {
			if msg := checkJSONPatch(v); msg != "" {
				q.d.sit = Malformed
				q.d.detail = msg
				return verdict{detail: msg, cite: citeJSONPatchOperations, decided: true}
			}
		}
		if s.policy.documents() == "jsonapi" {
			doc, ok := v.(map[string]any)
			if data, isDoc := doc["data"].(map[string]any); ok && isDoc {
				return s.readJSONAPI(q, data)
			}
		}
		q.body, q.value = c, v
		return pass
	},
}

// readJSONAPI reads a JSON:API request document's resource object as the
// member it describes: its attributes, with its id. A type that is not the
// collection's is an id-mismatch (JSON:API 1.1 answers 409 for both).
func (s *server) readJSONAPI(q *query, data map[string]any) verdict {
	coll := q.req.target
	if q.req.method != "POST" {
		coll = parentOf(q.req.target)
	}
	if typ, ok := data["type"].(string); ok && typ != lastSegment(coll) {
		q.d.sit, q.d.field = IDMismatch, "type"
		q.d.detail = fmt.Sprintf("the resource object's type %q is not %q, the type of %s", typ, lastSegment(coll), coll)
		return verdict{detail: q.d.detail, cite: citeJSONAPIConflict, decided: true}
	}
	member := map[string]any{}
	if attrs, ok := data["attributes"].(map[string]any); ok {
		for k, x := range attrs {
			member[k] = x
		}
	}
	if id, ok := data["id"]; ok {
		member["id"] = id
	}
	q.body = mustJSON(member)
	_, q.value, _ = canonicalJSON(q.body)
	return verdict{detail: "the content is a JSON:API document; its resource object is read as the member", cite: citeJSONAPIResource}
}

// nodeCreate decides a POST (RFC 9110 §9.3.3): an array is a batch whose
// items are each created or refused; an object is created as a new member
// unless it is invalid (@required, a bad id), names a missing resource
// (@ref), or an existing member already has its id or a @unique value, the
// same representation (already-present) or another one (duplicate).
var nodeCreate = &node{
	name:     "create",
	question: "Can a new member be created from the content?",
	cite:     "RFC 9110 §9.3.3",
	methods:  []string{"POST"},
	ask: func(s *server, q *query) verdict {
		coll, d := q.req.target, q.d
		if arr, ok := q.value.([]any); ok {
			return decide(s.detectBatch(coll, arr, d))
		}
		it := s.detectCreate(s.w, coll, q.body, q.value, 0)
		d.sit, d.subject, d.detail, d.field, d.missing = it.sit, it.subject, it.detail, it.field, it.missing
		d.unique, d.rel, d.write = it.unique, it.rel, it.write
		d.notObject = it.sit == Malformed
		if it.sit == Duplicate || it.sit == AlreadyPresent {
			// An upsert stores the new representation under the existing
			// member's identity.
			body := q.body
			if _, ok := q.value.(map[string]any); ok {
				body = withID(q.body, lastSegment(it.subject))
			}
			d.replace = &write{path: it.subject, body: body}
		}
		if d.lean {
			return decide("")
		}
		return decide(it.traceLine(coll))
	},
}

// nodeProposed works out the representation a PUT or PATCH would leave:
// the content for PUT, the patched representation for PATCH. A merge
// patch that is not an object replaces the target (RFC 7396 §2); a JSON
// Patch whose operations cannot be applied to the current state is a
// patch-conflict (RFC 5789 §2.2, RFC 6902 §5).
var nodeProposed = &node{
	name:     "proposed",
	question: "What representation would the target have afterwards?",
	cite:     "RFC 9110 §9.3.4",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		q.d.unique = len(s.uniqueFields(parentOf(q.req.target))) > 0
		if q.req.method == "PUT" {
			q.proposed = q.body
			if obj, ok := q.value.(map[string]any); ok && isLinkage(obj) {
				q.d.rel = true
			}
			return pass
		}
		var base any = map[string]any{}
		if q.cur != nil {
			_, base, _ = s.cache.canonicalJSON(q.cur.body)
		}
		if q.patch == jsonPatchFormat {
			out, msg := applyJSONPatch(base, q.value.([]any))
			if msg != "" {
				q.d.sit = PatchConflict
				q.d.detail = msg
				return verdict{detail: msg, cite: citeJSONPatchErrors, decided: true}
			}
			q.proposed = mustJSON(out)
			return verdict{detail: "the JSON Patch applies to the current representation", cite: citeJSONPatchOperations}
		}
		q.proposed = mustJSON(mergePatch(base, q.value))
		return verdict{detail: "the merge patch applies to the current representation", cite: citeMergePatch}
	},
}

// nodeIdentity asks whether an id in the representation agrees with the
// target URL: a PUT or PATCH that would store /users/7 with "id": "8"
// names two resources at once, an inconsistency RFC 9110 §9.3.4 leaves
// to the server to refuse (id-mismatch).
var nodeIdentity = &node{
	name:     "identity",
	question: "Does the representation's id agree with the target's?",
	cite:     "RFC 9110 §9.3.4",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		_, v, _ := s.cache.canonicalJSON(q.proposed)
		obj, ok := v.(map[string]any)
		if !ok {
			return pass
		}
		raw, has := obj["id"]
		if !has {
			return pass
		}
		want := lastSegment(q.req.target)
		if id, ok := idString(raw); ok && id == want {
			return pass
		}
		q.d.sit, q.d.field = IDMismatch, "id"
		q.d.detail = fmt.Sprintf("the representation's id %s differs from the id in the URL, %q", mustJSON(raw), want)
		return decide(q.d.detail)
	},
}

// nodeUnchanged asks whether the request asks for the state the target
// already has: then it is unchanged, which repeating an idempotent
// request must be (RFC 9110 §9.2.2), whatever constraints hold.
var nodeUnchanged = &node{
	name:     "unchanged",
	question: "Is the representation the one the target already has?",
	cite:     "RFC 9110 §9.2.2",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		if q.cur == nil || q.cur.body != q.proposed {
			return pass
		}
		q.d.sit = Unchanged
		return decide(q.about(" already has this representation"))
	},
}

// nodeImmutable asks whether the target may change at all (@immutable):
// a different representation of an immutable member is an
// immutable-conflict.
var nodeImmutable = &node{
	name:     "immutable",
	question: "May the target change (@immutable)?",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		if q.cur == nil || !s.immutable(q.req.target) {
			return pass
		}
		q.d.sit = ImmutableConflict
		q.d.detail = fmt.Sprintf("%s is immutable and the new representation differs", q.req.target)
		return decide(q.d.detail)
	},
}

// nodeValid asks whether the representation meets @required: otherwise it
// is invalid.
var nodeValid = &node{
	name:     "valid",
	question: "Does the representation have every @required field, of its type?",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		f, msg, missing := s.validate(parentOf(q.req.target), q.proposed)
		if msg == "" {
			return pass
		}
		q.d.sit, q.d.field, q.d.detail, q.d.missing = Invalid, f, msg, missing
		return decide(msg)
	},
}

// nodeReferences asks whether every @ref field names a live member: one
// that does not is a dangling-reference.
var nodeReferences = &node{
	name:     "references",
	question: "Does every @ref field name a live member?",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		f, target, msg := s.checkRefs(s.w, parentOf(q.req.target), q.proposed)
		if msg == "" {
			return pass
		}
		q.d.sit, q.d.field, q.d.subject, q.d.detail = DanglingReference, f, target, msg
		return decide(msg)
	},
}

// nodeUnique asks whether another member already holds a @unique value of
// the representation: then it is a duplicate.
var nodeUnique = &node{
	name:     "unique",
	question: "Is every @unique value free?",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		coll := parentOf(q.req.target)
		f, other := s.uniqueClash(s.w, coll, q.proposed, q.req.target)
		if other == "" {
			return pass
		}
		q.d.sit, q.d.field, q.d.subject = Duplicate, f, other
		q.d.unique = true
		q.d.detail = fmt.Sprintf("%s %s is already used by %s", f, fieldRaw(q.proposed, f), other)
		return decide(q.d.detail)
	},
}

// nodeWrite decides a PUT or PATCH that can be carried out: created when
// the target did not exist (RFC 9110 §9.3.4; RFC 5789 §2 for a PATCH that
// creates), replaced by PUT, updated by PATCH.
var nodeWrite = &node{
	name:     "write",
	question: "Does the request create the target or change it?",
	cite:     "RFC 9110 §9.3.4",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		t := q.req.target
		q.d.write = &write{path: t, body: q.proposed}
		switch {
		case q.cur == nil && q.req.method == "PATCH":
			q.d.sit = Created
			return verdict{detail: q.about(" does not exist: PATCH creates it"), cite: citePatch, decided: true}
		case q.cur == nil:
			q.d.sit = Created
			return decide(q.about(" does not exist: PUT creates it"))
		case q.req.method == "PATCH":
			q.d.sit = Updated
			detail := ""
			if !q.d.lean {
				detail = "the patch changes " + t
			}
			return verdict{detail: detail, cite: citePatch, decided: true}
		}
		q.d.sit = Replaced
		return decide(q.about(" exists: PUT replaces its representation"))
	},
}
