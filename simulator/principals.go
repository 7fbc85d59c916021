package simulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// Who is asking. A request's principal comes from its Authorization field
// (Bearer NAME names NAME; another scheme's credential is what follows the
// scheme; no field, or an empty one, is anonymous), and five declarations
// say what principals may do: @users (the principals that exist), @auth
// (paths that need one), @owner and @acl (who may change, or read and
// change, a member) and @private (members only those allowed may see).
// The decision graph asks about them in its own nodes: authentication
// before anything about the target, authorization before or after the
// target's existence as the policy says (permission_first).

// accessDecls are the access-control declarations of a scenario.
type accessDecls struct {
	// declared: the scenario has at least one of them, which is also what
	// makes a named client's requests carry its name as a credential.
	declared bool
	// users, when not nil, are the only principals a credential may name.
	users   map[string]bool
	auth    []pattern
	owner   []fieldDecl
	acl     []fieldDecl
	private []pattern
}

// fieldDecl is a collection with the field of its members that a
// declaration reads (@owner, @acl).
type fieldDecl struct {
	coll  pattern
	field string
}

var accessUsage = map[string]string{
	"@users":   "@users NAME...",
	"@auth":    "@auth PATH-PATTERN",
	"@owner":   "@owner COLLECTION FIELD",
	"@acl":     "@acl COLLECTION FIELD",
	"@private": "@private COLLECTION",
}

// accessDeclaration reads one of the access-control declarations; handled
// is false for any other declaration, which the caller reads itself.
func (p *parser) accessDeclaration(lineNo int, name token, args []token) (handled bool, err error) {
	usage, ok := accessUsage[name.text]
	if !ok {
		return false, nil
	}
	a := &p.sc.decls.access
	a.declared = true
	coll := func(t token) (pattern, error) {
		pt, ok := parsePattern(t.text)
		if !ok {
			return nil, p.errorf(lineNo, t.col, "%q is not a collection path: write it as /name or /name/*/sub", t.text)
		}
		return pt, nil
	}
	want := map[string]int{"@auth": 1, "@owner": 2, "@acl": 2, "@private": 1}
	if n, fixed := want[name.text]; fixed && len(args) != n {
		return true, p.errorf(lineNo, name.col, "%s takes %d argument(s): %s", name.text, n, usage)
	}
	switch name.text {
	case "@users":
		if len(args) == 0 {
			return true, p.errorf(lineNo, name.col, "@users needs at least one name: %s", usage)
		}
		if a.users == nil {
			a.users = map[string]bool{}
		}
		for _, t := range args {
			if !validPrincipal(t.text) {
				return true, p.errorf(lineNo, t.col, "%q is not a user name: use letters, digits, '.', '_' and '-'", t.text)
			}
			a.users[t.text] = true
		}
	case "@auth":
		c, err := coll(args[0])
		if err != nil {
			return true, err
		}
		a.auth = append(a.auth, c)
	case "@owner", "@acl":
		c, err := coll(args[0])
		if err != nil {
			return true, err
		}
		if !validPrincipal(args[1].text) {
			return true, p.errorf(lineNo, args[1].col, "%q is not a field name", args[1].text)
		}
		if name.text == "@owner" {
			a.owner = append(a.owner, fieldDecl{c, args[1].text})
		} else {
			a.acl = append(a.acl, fieldDecl{c, args[1].text})
		}
	case "@private":
		c, err := coll(args[0])
		if err != nil {
			return true, err
		}
		a.private = append(a.private, c)
	}
	return true, nil
}

// validPrincipal reports whether s can name a user or a field: a
// credential is compared as written, so only plain names are accepted.
func validPrincipal(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// implyCredential gives a request of client NAME the header
// "Authorization: Bearer NAME" when the scenario declares access control
// and the request sets no Authorization of its own: a client block is one
// user's device. Without access declarations nothing is added, so that
// scenarios that never speak of principals send what they wrote.
func (p *parser) implyCredential(req *requestSpec, client string) {
	if !p.sc.decls.access.declared {
		return
	}
	for _, h := range req.headers {
		if h.name == "Authorization" {
			return
		}
	}
	h := headerSpec{name: "Authorization", value: "Bearer " + client}
	req.headers = append(req.headers, h)
	if req.vars {
		req.theaders = append(req.theaders, compileTemplate(h.value))
	}
}

// principal is who a request says it is.
type principal struct {
	// name is the credential: the Bearer token's name, or what follows
	// another scheme; "" for an anonymous request.
	name string
	// present: the request carries Authorization with some value.
	present bool
	scheme  string
}

// requestPrincipal reads a request's Authorization field.
func requestPrincipal(req *request) principal {
	v, ok := req.header("Authorization")
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return principal{}
	}
	scheme, cred, _ := strings.Cut(v, " ")
	return principal{name: strings.TrimSpace(cred), present: true, scheme: scheme}
}

// String names the principal for traces.
func (p principal) String() string {
	if !p.present {
		return "an anonymous request"
	}
	if p.name == "" {
		return "a credential with nothing after the scheme " + p.scheme
	}
	return p.name
}

// valid reports whether the credential names a principal that exists.
func (a *accessDecls) valid(p principal) bool {
	if p.name == "" {
		return false
	}
	return a.users == nil || a.users[p.name]
}

// userList is @users in order, for traces.
func (a *accessDecls) userList() string {
	names := make([]string, 0, len(a.users))
	for n := range a.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// needsAuth reports whether an @auth pattern covers the target: the
// pattern itself (a collection) or a member right under it.
func (s *server) needsAuth(target string) bool {
	segs := s.cache.segments(target)
	for _, pt := range s.decls.access.auth {
		if _, ok := pt.match(segs); ok {
			return true
		}
		if len(segs) > 0 {
			if _, ok := pt.match(segs[:len(segs)-1]); ok {
				return true
			}
		}
	}
	return false
}

// memberAccess is what the declarations say about the members of one
// collection.
type memberAccess struct {
	owner, acl string
	private    bool
}

func (m memberAccess) controlled() bool { return m.owner != "" || m.acl != "" || m.private }

// accessFor gathers the declarations about a collection's members.
func (s *server) accessFor(coll string) memberAccess {
	var m memberAccess
	a := &s.decls.access
	if !a.declared {
		return m
	}
	segs := s.cache.segments(coll)
	for _, d := range a.owner {
		if _, ok := d.coll.match(segs); ok && m.owner == "" {
			m.owner = d.field
		}
	}
	for _, d := range a.acl {
		if _, ok := d.coll.match(segs); ok && m.acl == "" {
			m.acl = d.field
		}
	}
	for _, pt := range a.private {
		if _, ok := pt.match(segs); ok {
			m.private = true
		}
	}
	return m
}

// allows reports whether a principal may see and change a member with
// this representation: its owner, or one listed in its ACL. A collection
// with neither declaration lets everyone.
func (m memberAccess) allows(p principal, body string) bool {
	if m.owner == "" && m.acl == "" {
		return true
	}
	if p.name == "" {
		return false
	}
	if m.owner != "" && gjson.Get(body, gjsonEscape(m.owner)).String() == p.name {
		return true
	}
	if m.acl != "" {
		for _, x := range gjson.Get(body, gjsonEscape(m.acl)).Array() {
			if x.Type == gjson.String && x.Str == p.name {
				return true
			}
		}
	}
	return false
}

// who says who may act on a member, for traces.
func (m memberAccess) who(target, body string) string {
	var parts []string
	if m.owner != "" {
		o := gjson.Get(body, gjsonEscape(m.owner)).String()
		if o == "" {
			o = "no one"
		}
		parts = append(parts, "its owner ("+m.owner+": "+o+")")
	}
	if m.acl != "" {
		var names []string
		for _, x := range gjson.Get(body, gjsonEscape(m.acl)).Array() {
			names = append(names, x.String())
		}
		list := strings.Join(names, ", ")
		if list == "" {
			list = "empty"
		}
		parts = append(parts, "those in its ACL ("+m.acl+": "+list+")")
	}
	return strings.Join(parts, " and ")
}

// nodeAuthenticated asks whether the request's credentials are acceptable
// before anything about the target is looked at: a credential that names
// no one in @users is invalid-credentials (RFC 6750 §3.1, invalid_token),
// wherever it is sent, and a request without credentials to a path under
// @auth is unauthenticated (RFC 9110 §15.5.2). Both are answered with a
// challenge in WWW-Authenticate (RFC 6750 §3).
var nodeAuthenticated = &node{
	name:     "authenticated",
	question: "Do the request's credentials name a principal that exists, where the path needs one (@users, @auth)?",
	cite:     "RFC 9110 §15.5.2",
	ask: func(s *server, q *query) verdict {
		a := &s.decls.access
		if !a.declared {
			return pass
		}
		p := requestPrincipal(q.req)
		switch {
		case p.present && !a.valid(p):
			q.d.sit = InvalidCredentials
			if p.name == "" {
				q.d.detail = "the Authorization field has no credential after the scheme " + p.scheme
			} else {
				q.d.detail = fmt.Sprintf("the credential names %s, who is not one of @users (%s)", p.name, a.userList())
			}
			return verdict{detail: q.d.detail, cite: citeBearerErrors, decided: true}
		case !p.present && s.needsAuth(q.req.target):
			q.d.sit = Unauthenticated
			q.d.detail = q.req.target + " needs credentials (@auth) and the request carries none"
			return decide(q.d.detail)
		case !p.present || q.d.lean:
			return pass
		}
		return goOn("the request is made by " + p.name)
	},
}

// nodeAuthorizedFirst asks, under a policy that checks permission before
// existence (AIP-211: "Permission must be checked prior to checking if the
// resource or parent exists"), whether the principal may act on the
// target: in a @private collection the answer does not depend on whether
// the member exists, so that an outsider learns nothing from it.
var nodeAuthorizedFirst = &node{
	name:     "authorized-first",
	question: "Under a policy that checks permission before existence: may the principal act on the target (@owner, @acl, @private)?",
	cite:     "RFC 9110 §15.5.4",
	ask: func(s *server, q *query) verdict {
		if !s.policy.permissionFirst() {
			return pass
		}
		return s.authorize(q, true)
	},
}

// nodeAuthorized asks, under a policy that checks existence first, whether
// the principal may act on a member that exists: one it may not see
// (@private) is hidden, one it may see but not change, or not read (@acl),
// is forbidden (RFC 9110 §15.5.4), and without credentials it is
// unauthenticated, since credentials might help. Authorization comes
// before preconditions, which are evaluated only where the answer without
// them would be 2xx or 412 (§13.2.1).
var nodeAuthorized = &node{
	name:     "authorized",
	question: "May the principal act on the target that exists (@owner, @acl, @private)?",
	cite:     "RFC 9110 §15.5.4",
	ask: func(s *server, q *query) verdict {
		if s.policy.permissionFirst() {
			return pass
		}
		return s.authorize(q, false)
	},
}

// authorize is the question of both authorization nodes; first says
// whether it is asked before the target's existence is.
func (s *server) authorize(q *query, first bool) verdict {
	if !s.decls.access.declared || q.req.method == "OPTIONS" {
		return pass
	}
	if q.isCollection(s) {
		return s.authorizeCollection(q)
	}
	t := q.req.target
	m := s.accessFor(parentOf(t))
	if !m.controlled() {
		return pass
	}
	p := requestPrincipal(q.req)
	if q.req.method == "POST" && q.cur == nil {
		// A POST under a member that does not exist creates in a
		// collection of its own; in a private collection it is answered
		// as a hidden member is, so that it tells nothing either.
		if !m.private {
			return pass
		}
		return s.hide(q, p, fmt.Sprintf("%s is not a member %s may see in the private collection %s", t, p, parentOf(t)))
	}
	if q.cur == nil {
		creates := q.req.method == "PUT" && s.policy.putCreates() || q.req.method == "PATCH" && s.policy.patchCreates()
		if !first || !m.private || creates {
			return pass
		}
		if !p.present {
			q.d.sit = Unauthenticated
			q.d.detail = fmt.Sprintf("%s is in the private collection %s and the request carries no credentials; permission is checked before existence, so whether it exists is not said", t, parentOf(t))
			return decide(q.d.detail)
		}
		why := fmt.Sprintf("%s may not see %s: members of %s are private, and permission is checked before existence, so whether it exists is not said", p.name, t, parentOf(t))
		return s.hide(q, p, why)
	}
	read := q.req.method == "GET" || q.req.method == "HEAD"
	if read && !m.private && m.acl == "" {
		// @owner alone restricts changes; anyone may read.
		return pass
	}
	if m.allows(p, q.cur.body) {
		if q.d.lean {
			return pass
		}
		return goOn(fmt.Sprintf("%s is allowed: %s may act on %s", p, m.who(t, q.cur.body), t))
	}
	order := "existence was checked first"
	if first {
		order = "permission is checked before existence"
	}
	switch {
	case !p.present && (!m.private || first):
		q.d.sit = Unauthenticated
		q.d.detail = fmt.Sprintf("only %s may %s %s, and the request carries no credentials", m.who(t, q.cur.body), verb(q.req.method), t)
	case m.private:
		return s.hide(q, p, fmt.Sprintf("%s may not see %s: members of %s are private to %s (%s)", p, t, parentOf(t), m.who(t, q.cur.body), order))
	default:
		q.d.sit = Forbidden
		q.d.detail = fmt.Sprintf("%s may not %s %s: only %s may", p, verb(q.req.method), t, m.who(t, q.cur.body))
	}
	return decide(q.d.detail)
}

// authorizeCollection asks, for a DELETE of a whole collection (under a
// policy that deletes collections), whether the principal may delete
// every member: deleting the list deletes each of them.
func (s *server) authorizeCollection(q *query) verdict {
	if q.req.method != "DELETE" {
		return pass
	}
	m := s.accessFor(q.req.target)
	if !m.controlled() {
		return pass
	}
	p := requestPrincipal(q.req)
	for _, member := range s.w.members(q.req.target) {
		body := s.w.res[member].body
		if !m.allows(p, body) {
			q.d.sit = Forbidden
			q.d.detail = fmt.Sprintf("%s may not delete %s: only %s may delete %s", p, q.req.target, m.who(member, body), member)
			return decide(q.d.detail)
		}
	}
	return pass
}

// hide decides a hidden target. The trace says why; the error body says
// only what the policy's status says, in the same words whatever the
// truth: "does not exist" where hidden members are answered 404, as a
// missing one is, and AIP-211's "(or it might not exist)" otherwise.
func (s *server) hide(q *query, p principal, why string) verdict {
	q.d.sit = Hidden
	if s.statusFor(Hidden, q.req.method) == 404 {
		q.d.detail = q.req.target + " does not exist"
	} else {
		q.d.detail = fmt.Sprintf("permission denied on %s for %s (or it might not exist)", q.req.target, p)
	}
	return decide(why)
}

// verb names what a method does, for traces.
func verb(method string) string {
	switch method {
	case "GET", "HEAD":
		return "read"
	case "DELETE":
		return "delete"
	}
	return "change"
}

// nodeCreator asks whether a create names its owner (@owner) or its ACL
// (@acl): one that does not is given the creator, so that whoever makes a
// member may act on it afterwards.
var nodeCreator = &node{
	name:     "creator",
	question: "Does a create name its owner or ACL, or is the creator given them (@owner, @acl)?",
	methods:  []string{"POST", "PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		if !s.decls.access.declared || q.req.method != "POST" && q.cur != nil {
			return pass
		}
		p := requestPrincipal(q.req)
		if p.name == "" {
			return pass
		}
		coll := q.req.target
		if q.req.method != "POST" {
			coll = parentOf(q.req.target)
		}
		m := s.accessFor(coll)
		var added []string
		switch v := q.value.(type) {
		case map[string]any:
			out, a := stamp(v, m, p.name)
			if out == nil {
				return pass
			}
			added = a
			q.value = out
		case []any:
			// Each member of a batch is given its creator too.
			items := make([]any, len(v))
			for i, item := range v {
				items[i] = item
				if obj, ok := item.(map[string]any); ok {
					if out, a := stamp(obj, m, p.name); out != nil {
						items[i], added = out, a
					}
				}
			}
			if added == nil {
				return pass
			}
			q.value = items
		default:
			return pass
		}
		q.body = mustJSON(q.value)
		_, q.value, _ = canonicalJSON(q.body)
		return goOn(fmt.Sprintf("the create names no %s: %s is given them", strings.Join(added, " or "), p.name))
	},
}

// stamp is obj with the creator given the @owner and @acl fields it lacks,
// or nil when it names them; obj, shared by the run's cache, is copied.
func stamp(obj map[string]any, m memberAccess, name string) (map[string]any, []string) {
	var added []string
	var out map[string]any
	set := func(field string, v any) {
		if out == nil {
			out = make(map[string]any, len(obj)+2)
			for k, x := range obj {
				out[k] = x
			}
		}
		out[field] = v
		added = append(added, field)
	}
	if _, has := obj[m.owner]; m.owner != "" && !has {
		set(m.owner, name)
	}
	if _, has := obj[m.acl]; m.acl != "" && !has {
		set(m.acl, []any{name})
	}
	return out, added
}

// nodeKeepsAccess asks whether a change an allowed principal makes leaves
// it allowed: a PUT or PATCH that takes the writer out of the member's
// ACL, or gives the member to another owner, succeeds, and the situation
// access-revoked says that the writer's next request will be refused.
var nodeKeepsAccess = &node{
	name:     "keeps-access",
	question: "Does the writer keep access to what it writes (@owner, @acl)?",
	methods:  []string{"PUT", "PATCH"},
	ask: func(s *server, q *query) verdict {
		if !s.decls.access.declared {
			return pass
		}
		t := q.req.target
		m := s.accessFor(parentOf(t))
		if m.owner == "" && m.acl == "" {
			return pass
		}
		p := requestPrincipal(q.req)
		if m.allows(p, q.proposed) {
			return pass
		}
		if q.cur == nil {
			return goOn(fmt.Sprintf("%s creates %s without a place in it: only %s may act on it", p, t, m.who(t, q.proposed)))
		}
		q.d.sit = AccessRevoked
		q.d.write = &write{path: t, body: q.proposed}
		q.d.detail = fmt.Sprintf("%s changes %s so that only %s may act on it: the write succeeds, and %s's next request to it will be refused", p, t, m.who(t, q.proposed), p)
		return decide(q.d.detail)
	},
}

// visibleTo reports whether a principal may see a member in a listing:
// members of a @private collection are listed only to those allowed.
func (s *server) visibleTo(req *request, coll, member, body string) bool {
	m := s.accessFor(coll)
	return !m.private || m.allows(requestPrincipal(req), body)
}

// authSituation reports whether a situation is about who asks, for lint.
func authSituation(name string) bool {
	switch name {
	case "unauthenticated", "invalid-credentials", "forbidden", "hidden":
		return true
	}
	return false
}

// probeHidden compares, for a request to a member of a @private
// collection that its principal may not see, the answer for a member that
// exists with the answer for one that does not: hiding works only if an
// outsider cannot tell them apart. The request that was sent is one side;
// the other is the same request on a copy of the world, to a sibling that
// never existed or to an existing member the principal may not see.
func (a *analyst) probeHidden(i int, req *request, resp Response, line int) {
	if !a.sc.decls.access.declared || resp.Situation != "hidden" && resp.Situation != "missing" {
		return
	}
	coll := parentOf(req.target)
	m := a.srv.accessFor(coll)
	if !m.private {
		return
	}
	p := requestPrincipal(req)
	other := ""
	if resp.Situation == "hidden" && a.srv.w.live(req.target) != nil {
		other = joinPath(coll, fmt.Sprintf("never-existed-%d", i))
	} else {
		for _, mem := range a.srv.w.members(coll) {
			if !m.allows(p, a.srv.w.res[mem].body) {
				other = mem
				break
			}
		}
	}
	if other == "" {
		return
	}
	// The probe runs on the world itself, whose changes are taken back.
	w := a.srv.w
	at := w.mark()
	r := *req
	r.target, r.path = other, other
	r.headers = copyHeaders(req.headers)
	delete(r.headers, "Idempotency-Key")
	r.index()
	got := a.srv.handle(&r, viewLeanBody).resp
	otherLive := w.live(other) != nil
	w.rollback(at)
	a.leakProbed = true
	exists, missing, ro, rm := req.target, other, resp, got
	if otherLive {
		exists, missing, ro, rm = other, req.target, got, resp
	}
	if diff := visibleDifference(ro, rm); diff != "" {
		a.leaks = append(a.leaks, finding{line, fmt.Sprintf("line %d %s as %s: the private %s, which exists, gets %d %s, the missing %s %d %s; %s", line, req.method, p, exists, ro.Status, ro.Reason, missing, rm.Status, rm.Reason, diff)})
	}
}

// leaksExistence judges the existence probes: those of @unique values,
// and those of @private members (probeHidden), each described in its own
// words when only one kind was probed.
func (a *analyst) leaksExistence() Property {
	none := "no create on a collection with a @unique field to probe"
	clean := "a create with a taken @unique value looks the same from outside as one with a free value"
	dirty := "the answer tells a taken @unique value from a free one, so anyone can test which values (e-mail addresses) have accounts"
	if a.sc.decls.access.declared && len(a.sc.decls.access.private) > 0 {
		none = "no create on a collection with a @unique field, and no request for a @private member its asker may not see, to probe"
		clean = "from outside, a hidden @private member looks the same as one that does not exist (and a taken @unique value as a free one)"
		dirty = "the answers tell a @private member that exists from one that does not (or a taken @unique value from a free one), so an outsider can test what exists"
	}
	return judge("https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#authentication-and-error-messages", a.leakProbed, false, a.leaks, none, clean, dirty)
}

// shownSituation is the situation an error body names: a hidden member is
// named as what its answer makes it look like, a missing one where the
// status is 404 and a forbidden one otherwise, so that no code or reason
// in the body says "hidden" and gives the hiding away.
func shownSituation(sit Situation, status int) Situation {
	if sit != Hidden {
		return sit
	}
	if status == 404 {
		return Missing
	}
	return Forbidden
}
