package simulator

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// Rule is a policy's answer to one situation: the response to give and
// whether the state changes, with the reason in a sentence and its source.
type Rule struct {
	// Status is the status code; 0 means "derived": the original status
	// for an idempotent replay, the failing item's for an atomic batch.
	Status int
	// Headers maps header names to values in which {location}, {etag}
	// {allow} and {accept-patch} stand for the subject resource's path, its
	// ETag, the methods the target allows and the patch formats it takes;
	// a header whose placeholder has no value
	// is left out. A rule that sets headers replaces its base's set.
	Headers map[string]string
	// Body is resource, none, error, ack, batch, replay, status (a
	// Kubernetes Status object of success), request (the representation
	// the request sent), or literal JSON.
	Body string
	// Effect is apply (do what the situation implies), none, or replace
	// (a duplicate create replaces the existing member: an upsert).
	Effect string
	// Code is the machine-readable error code of the policy's error format.
	Code string
	// Message, when set, replaces the detected detail in error and ack bodies.
	Message string
	Why     string
	Cite    string

	statusLine string // the trace's sentence, made once when the rule is read
	url        string // the link to Cite, made once when the rule is read
	// namesAllow: a header template names {allow} or {accept-patch}.
	namesAllow bool
	// headerList is Headers as a list, made once when the rule is read:
	// ranging over the map for every response cost a random number and an
	// iterator each time.
	headerList []headerTemplate
}

// headerTemplate is one member of a Rule's Headers.
type headerTemplate struct{ name, tmpl string }

// Policy maps situations to rules. A policy names a base and overrides
// only what it changes; lookups fall back through the chain of bases.
type Policy struct {
	ID        string
	Name      string
	Source    string
	URL       string
	Summary   string
	Guideline bool
	Default   bool
	Base      *Policy
	// Errors is the error body format: problem, azure, paypal, jsonapi,
	// google, kubernetes or github.
	Errors string
	// RequireIfMatch makes writes to an existing resource without If-Match
	// a precondition-required situation (RFC 6585 §3).
	RequireIfMatch *bool
	// PutCreates says whether PUT to a missing resource creates it.
	PutCreates *bool
	// BatchAtomic makes a batch with a failing item change nothing.
	BatchAtomic *bool
	// PatchCreates says whether PATCH to a missing resource creates it.
	PatchCreates *bool
	// DeleteCollection makes DELETE of a collection remove its members.
	DeleteCollection *bool
	// RefuseDeleteWithChildren makes DELETE of a resource under which
	// others live an in-use refusal.
	RefuseDeleteWithChildren *bool
	// PermissionFirst checks whether the principal may act on a target
	// before whether the target exists (AIP-211), so that a private
	// member's answer does not depend on its existence.
	PermissionFirst *bool
	// IdempotencyKey is honour, ignore or require.
	IdempotencyKey string
	// ListEnvelope, when set, is the member of an object that holds a
	// collection's list ("items", "value"); a bare array otherwise.
	ListEnvelope string
	// Documents is plain (resources as stored) or jsonapi (JSON:API
	// documents of resource objects, application/vnd.api+json).
	Documents string
	// Links puts a created resource's links in its body (HATEOAS link
	// description objects) for policies that forbid Location on 201.
	Links *bool
	// Statuses, when not empty, are the only status codes the guideline
	// allows; Forbidden lists codes it forbids or discourages. Lint reports
	// an answer outside them.
	Statuses  []int
	Forbidden []int
	Rules     map[string]Rule
	custom    bool

	// once and resolved hold settings(), computed at the first request,
	// after the policy and its bases are complete.
	once     sync.Once
	resolved *settings
}

// PolicyInfo describes a policy for listings (CLI, page, API).
type PolicyInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Source    string `json:"source"`
	URL       string `json:"url,omitempty"`
	Summary   string `json:"summary"`
	Base      string `json:"base,omitempty"`
	Guideline bool   `json:"guideline"`
	Default   bool   `json:"default"`
}

func (p *Policy) info() PolicyInfo {
	in := PolicyInfo{ID: p.ID, Name: p.Name, Source: p.Source, URL: p.URL, Summary: p.Summary, Guideline: p.Guideline, Default: p.Default}
	if p.Base != nil {
		in.Base = p.Base.ID
	}
	return in
}

func (p *Policy) flag(get func(*Policy) *bool, def bool) bool {
	for q := p; q != nil; q = q.Base {
		if v := get(q); v != nil {
			return *v
		}
	}
	return def
}

// inherited is the first non-empty value of a string field up the chain.
func (p *Policy) inherited(get func(*Policy) string, def string) string {
	for q := p; q != nil; q = q.Base {
		if v := get(q); v != "" {
			return v
		}
	}
	return def
}

// settings are a policy's flags and formats with its bases' filled in,
// worked out once: every request asks several of them.
type settings struct {
	requireIfMatch, putCreates, batchAtomic, patchCreates bool
	deleteCollection, refuseDeleteWithChildren, links     bool
	permissionFirst                                       bool
	listEnvelope, documents, mediaType                    string
	idempotencyKey, errorFormat                           string
	allowed, forbidden                                    []int
	// rules holds, for every rule key of the policy and its bases, the
	// rule of the nearest policy in the chain that defines it.
	rules map[string]inheritedRule
}

// inheritedRule is a rule with the policy that defines it and how many
// bases away that policy is (0 for the policy itself).
type inheritedRule struct {
	*chosen
	depth int
}

func (p *Policy) settings() *settings {
	p.once.Do(func() {
		s := &settings{
			requireIfMatch:           p.flag(func(q *Policy) *bool { return q.RequireIfMatch }, false),
			putCreates:               p.flag(func(q *Policy) *bool { return q.PutCreates }, true),
			batchAtomic:              p.flag(func(q *Policy) *bool { return q.BatchAtomic }, false),
			patchCreates:             p.flag(func(q *Policy) *bool { return q.PatchCreates }, false),
			deleteCollection:         p.flag(func(q *Policy) *bool { return q.DeleteCollection }, false),
			refuseDeleteWithChildren: p.flag(func(q *Policy) *bool { return q.RefuseDeleteWithChildren }, false),
			links:                    p.flag(func(q *Policy) *bool { return q.Links }, false),
			permissionFirst:          p.flag(func(q *Policy) *bool { return q.PermissionFirst }, false),
			listEnvelope:             p.inherited(func(q *Policy) string { return q.ListEnvelope }, ""),
			documents:                p.inherited(func(q *Policy) string { return q.Documents }, "plain"),
			idempotencyKey:           p.inherited(func(q *Policy) string { return q.IdempotencyKey }, "honour"),
			errorFormat:              p.inherited(func(q *Policy) string { return q.Errors }, "problem"),
		}
		s.mediaType = "application/json"
		if s.documents == "jsonapi" {
			s.mediaType = "application/vnd.api+json"
		}
		for q := p; q != nil; q = q.Base {
			if len(q.Statuses) > 0 || len(q.Forbidden) > 0 {
				s.allowed, s.forbidden = q.Statuses, q.Forbidden
				break
			}
		}
		// A policy's own rules are made once here; what it inherits points
		// at its base's, so that every rule is held once however many
		// policies descend from it (the collector reads them all, often).
		s.rules = make(map[string]inheritedRule, len(p.Rules))
		for k, r := range p.Rules {
			s.rules[k] = inheritedRule{&chosen{Rule: r, key: k, owner: p}, 0}
		}
		if p.Base != nil {
			for k, r := range p.Base.settings().rules {
				if _, own := s.rules[k]; !own {
					s.rules[k] = inheritedRule{r.chosen, r.depth + 1}
				}
			}
		}
		p.resolved = s
	})
	return p.resolved
}

func (p *Policy) requireIfMatch() bool           { return p.settings().requireIfMatch }
func (p *Policy) putCreates() bool               { return p.settings().putCreates }
func (p *Policy) batchAtomic() bool              { return p.settings().batchAtomic }
func (p *Policy) patchCreates() bool             { return p.settings().patchCreates }
func (p *Policy) deleteCollection() bool         { return p.settings().deleteCollection }
func (p *Policy) refuseDeleteWithChildren() bool { return p.settings().refuseDeleteWithChildren }
func (p *Policy) links() bool                    { return p.settings().links }
func (p *Policy) permissionFirst() bool          { return p.settings().permissionFirst }
func (p *Policy) listEnvelope() string           { return p.settings().listEnvelope }
func (p *Policy) documents() string              { return p.settings().documents }
func (p *Policy) idempotencyKey() string         { return p.settings().idempotencyKey }
func (p *Policy) errorFormat() string            { return p.settings().errorFormat }

// mediaType is the media type of the policy's representations.
func (p *Policy) mediaType() string { return p.settings().mediaType }

// statusRules are the guideline's allowed and forbidden codes, from the
// nearest policy in the chain that states them.
func (p *Policy) statusRules() (allowed, forbidden []int) {
	s := p.settings()
	return s.allowed, s.forbidden
}

// chosen is a rule with where it was found, for the trace.
type chosen struct {
	Rule
	key   string
	owner *Policy
}

// rule finds the rule for the first key that any policy in the chain
// defines, trying the policy's own keys before its base's: of the keys
// the nearest policy defines, the most specific.
func (p *Policy) rule(keys []string) (*chosen, bool) {
	rules := p.settings().rules
	var best inheritedRule
	found := false
	for _, k := range keys {
		if r, ok := rules[k]; ok && (!found || r.depth < best.depth) {
			best, found = r, true
			if r.depth == 0 {
				break
			}
		}
	}
	return best.chosen, found
}

//go:embed policies/*.json
var policyFiles embed.FS

var builtin struct {
	once  sync.Once
	list  []*Policy
	byID  map[string]*Policy
	err   error
	order []string
}

// builtinOrder is the column order of the built-in policies.
var builtinOrder = []string{
	"strict", "idempotent", "see-other", "unprocessable", "bad-request", "enumeration-safe", "conditional",
	"zalando", "azure", "paypal", "jsonapi", "google-aip", "kubernetes", "github",
}

func loadBuiltins() {
	builtin.byID = map[string]*Policy{}
	for _, id := range builtinOrder {
		data, err := policyFiles.ReadFile("policies/" + id + ".json")
		if err != nil {
			builtin.err = err
			return
		}
		p, err := parsePolicyJSON(string(data), id, builtin.byID)
		if err != nil {
			builtin.err = fmt.Errorf("built-in policy %s: %w", id, err)
			return
		}
		p.custom = false
		builtin.byID[id] = p
		builtin.list = append(builtin.list, p)
	}
}

func builtins() ([]*Policy, map[string]*Policy) {
	builtin.once.Do(loadBuiltins)
	if builtin.err != nil {
		// The files are embedded and tested; failing here is a build error.
		panic(builtin.err)
	}
	return builtin.list, builtin.byID
}

// Policies lists the built-in policies in column order.
func Policies() []PolicyInfo {
	list, _ := builtins()
	out := make([]PolicyInfo, len(list))
	for i, p := range list {
		out[i] = p.info()
	}
	return out
}

// DefaultPolicyIDs lists the policies shown when none are chosen: the
// seven that are not published guidelines.
func DefaultPolicyIDs() []string {
	list, _ := builtins()
	var ids []string
	for _, p := range list {
		if p.Default {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

var ruleFields = map[string]bool{
	"status": true, "headers": true, "body": true, "effect": true, "code": true,
	"message": true, "why": true, "cite": true,
}

var policyFields = map[string]bool{
	"id": true, "name": true, "base": true, "source": true, "url": true, "summary": true,
	"guideline": true, "default": true, "errors": true, "require_if_match": true,
	"put_creates": true, "batch_atomic": true, "idempotency_key": true, "rules": true,
	"patch_creates": true, "delete_collection": true, "list_envelope": true, "documents": true,
	"links": true, "refuse_delete_with_children": true, "permission_first": true, "statuses": true, "forbidden_statuses": true,
}

var errorFormats = map[string]bool{
	"problem": true, "azure": true, "paypal": true, "jsonapi": true, "google": true, "kubernetes": true, "github": true,
}

// parsePolicyJSON reads a policy definition. id, when not empty, overrides
// the "id" member; known resolves "base" (the built-ins when nil).
func parsePolicyJSON(text, id string, known map[string]*Policy) (*Policy, error) {
	if !gjson.Valid(text) {
		return nil, errors.New("not valid JSON")
	}
	root := gjson.Parse(text)
	if !root.IsObject() {
		return nil, errors.New("a policy is a JSON object")
	}
	var err error
	root.ForEach(func(k, _ gjson.Result) bool {
		if !policyFields[k.String()] {
			err = fmt.Errorf("unknown member %q (known: id, base, name, summary, errors, rules, require_if_match, put_creates, patch_creates, delete_collection, refuse_delete_with_children, permission_first, batch_atomic, idempotency_key, list_envelope, documents, links, statuses, forbidden_statuses)", k.String())
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	p := &Policy{custom: true, Rules: map[string]Rule{}}
	p.ID = root.Get("id").String()
	if id != "" {
		p.ID = id
	}
	if p.ID == "" {
		return nil, errors.New(`a policy needs an "id": lower-case letters, digits and dashes`)
	}
	if !validPolicyID(p.ID) {
		return nil, fmt.Errorf("policy id %q: use lower-case letters, digits and dashes", p.ID)
	}
	p.Name = root.Get("name").String()
	if p.Name == "" {
		p.Name = p.ID
	}
	p.Source = root.Get("source").String()
	p.URL = root.Get("url").String()
	p.Summary = root.Get("summary").String()
	p.Guideline = root.Get("guideline").Bool()
	p.Default = root.Get("default").Bool()
	if known == nil {
		_, known = builtins()
	}
	if b := root.Get("base"); b.Exists() {
		base, ok := known[b.String()]
		if !ok {
			return nil, fmt.Errorf("unknown base policy %q", b.String())
		}
		p.Base = base
	} else if p.custom && known["strict"] != nil && p.ID != "strict" {
		p.Base = known["strict"]
	}
	if p.Source == "" {
		p.Source = "custom"
		if p.Base != nil {
			p.Source = "custom, based on " + p.Base.ID
		}
	}
	if e := root.Get("errors"); e.Exists() {
		if !errorFormats[e.String()] {
			return nil, fmt.Errorf("unknown error format %q: use problem, azure, paypal, jsonapi, google, kubernetes or github", e.String())
		}
		p.Errors = e.String()
	}
	boolFlag := func(name string) (*bool, error) {
		v := root.Get(name)
		if !v.Exists() {
			return nil, nil
		}
		if v.Type != gjson.True && v.Type != gjson.False {
			return nil, fmt.Errorf("%s must be true or false", name)
		}
		b := v.Bool()
		return &b, nil
	}
	if p.RequireIfMatch, err = boolFlag("require_if_match"); err != nil {
		return nil, err
	}
	if p.PutCreates, err = boolFlag("put_creates"); err != nil {
		return nil, err
	}
	if p.BatchAtomic, err = boolFlag("batch_atomic"); err != nil {
		return nil, err
	}
	if p.PatchCreates, err = boolFlag("patch_creates"); err != nil {
		return nil, err
	}
	if p.DeleteCollection, err = boolFlag("delete_collection"); err != nil {
		return nil, err
	}
	if p.RefuseDeleteWithChildren, err = boolFlag("refuse_delete_with_children"); err != nil {
		return nil, err
	}
	if p.Links, err = boolFlag("links"); err != nil {
		return nil, err
	}
	if p.PermissionFirst, err = boolFlag("permission_first"); err != nil {
		return nil, err
	}
	if e := root.Get("list_envelope"); e.Exists() {
		if e.Type != gjson.String || !isToken(e.String()) {
			return nil, errors.New("list_envelope must be the name of a member, such as items or value")
		}
		p.ListEnvelope = e.String()
	}
	if d := root.Get("documents"); d.Exists() {
		switch d.String() {
		case "plain", "jsonapi":
			p.Documents = d.String()
		default:
			return nil, errors.New("documents must be plain or jsonapi")
		}
	}
	if p.Statuses, err = statusCodes(root, "statuses"); err != nil {
		return nil, err
	}
	if p.Forbidden, err = statusCodes(root, "forbidden_statuses"); err != nil {
		return nil, err
	}
	if k := root.Get("idempotency_key"); k.Exists() {
		switch k.String() {
		case "honour", "ignore", "require":
			p.IdempotencyKey = k.String()
		default:
			return nil, fmt.Errorf("idempotency_key must be honour, ignore or require")
		}
	}
	rules := root.Get("rules")
	if rules.Exists() && !rules.IsObject() {
		return nil, errors.New("rules must be an object keyed by situation")
	}
	rules.ForEach(func(k, v gjson.Result) bool {
		var r Rule
		r, err = parseRule(p, k.String(), v)
		if err == nil {
			p.Rules[k.String()] = r
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// statusCodes reads an array of status codes.
func statusCodes(root gjson.Result, name string) ([]int, error) {
	v := root.Get(name)
	if !v.Exists() {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, fmt.Errorf("%s must be an array of status codes", name)
	}
	var out []int
	var err error
	v.ForEach(func(_, c gjson.Result) bool {
		if c.Type != gjson.Number || c.Int() < 100 || c.Int() > 599 || float64(c.Int()) != c.Float() {
			err = fmt.Errorf("%s: %s is not a status code", name, c.Raw)
			return false
		}
		out = append(out, int(c.Int()))
		return true
	})
	return out, err
}

var ruleQualifiers = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
	"unique": true, "relationship": true, "failure": true,
}

func parseRule(p *Policy, key string, v gjson.Result) (Rule, error) {
	sit, qual, hasQual := strings.Cut(key, "/")
	if _, ok := parseSituation(sit); !ok {
		return Rule{}, fmt.Errorf("rules: unknown situation %q (known: %s)", sit, strings.Join(Situations(), ", "))
	}
	if hasQual && !ruleQualifiers[qual] {
		return Rule{}, fmt.Errorf("rules: %q: a qualifier after / is a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), unique, relationship or failure", key)
	}
	if !v.IsObject() {
		return Rule{}, fmt.Errorf("rules: %s must be an object", key)
	}
	var err error
	v.ForEach(func(f, _ gjson.Result) bool {
		if !ruleFields[f.String()] {
			err = fmt.Errorf("rules: %s: unknown member %q (known: status, headers, body, effect, code, message, why, cite)", key, f.String())
		}
		return err == nil
	})
	if err != nil {
		return Rule{}, err
	}
	// A custom rule starts from what its base does for the same key, so
	// that {"status": 401} keeps the body and headers it would have had.
	var r Rule
	if p.Base != nil {
		if base, ok := p.Base.rule(lookupChain(key)); ok {
			r = base.Rule
			r.Headers = copyHeaders(base.Headers)
		}
	}
	if s := v.Get("status"); s.Exists() {
		if s.Type != gjson.Number || s.Int() != int64(s.Float()) || s.Int() < 0 || s.Int() > 599 || (s.Int() > 0 && s.Int() < 100) {
			return Rule{}, fmt.Errorf("rules: %s: status must be a whole number from 100 to 599 (or 0 for derived)", key)
		}
		if int(s.Int()) != r.Status {
			// A changed status no longer carries the base's reasoning.
			r.Why, r.Cite, r.Code = "", "", ""
		}
		r.Status = int(s.Int())
	}
	if r.Status == 0 && !v.Get("status").Exists() && p.Base == nil {
		return Rule{}, fmt.Errorf("rules: %s needs a status", key)
	}
	if h := v.Get("headers"); h.Exists() {
		if !h.IsObject() {
			return Rule{}, fmt.Errorf("rules: %s: headers must be an object of name to value", key)
		}
		// Headers given replace the base's set, so that a rule can drop
		// a header (a 202 that must not reveal a Location) by leaving it out.
		r.Headers = map[string]string{}
		h.ForEach(func(name, val gjson.Result) bool {
			if !isToken(name.String()) {
				err = fmt.Errorf("rules: %s: %q is not a header name", key, name.String())
				return false
			}
			r.Headers[canonicalHeader(name.String())] = val.String()
			return true
		})
		if err != nil {
			return Rule{}, err
		}
	}
	if b := v.Get("body"); b.Exists() {
		switch {
		case b.IsObject() || b.IsArray():
			r.Body = b.Raw
		case b.Type == gjson.String && bodyShapes[b.String()]:
			r.Body = b.String()
		default:
			return Rule{}, fmt.Errorf("rules: %s: body must be resource, none, error, ack, batch, replay, status, request or a JSON object", key)
		}
	}
	if r.Body == "" {
		r.Body = "error"
		if r.Status >= 200 && r.Status < 300 {
			r.Body = "resource"
		}
	}
	if e := v.Get("effect"); e.Exists() {
		switch e.String() {
		case "apply", "none", "replace":
			r.Effect = e.String()
		default:
			return Rule{}, fmt.Errorf("rules: %s: effect must be apply, none or replace", key)
		}
	}
	if r.Effect == "" {
		r.Effect = "apply"
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"code", &r.Code}, {"message", &r.Message}, {"why", &r.Why}, {"cite", &r.Cite}} {
		if x := v.Get(f.name); x.Exists() {
			*f.dst = x.String()
		}
	}
	r.statusLine = statusLine(r.Status, r.Why)
	r.url = citeURL(r.Cite)
	r.headerList = nil // a base's, copied with its rule above
	for _, name := range sortedKeys(r.Headers) {
		tmpl := r.Headers[name]
		r.namesAllow = r.namesAllow || strings.Contains(tmpl, "{allow}") || strings.Contains(tmpl, "{accept-patch}")
		r.headerList = append(r.headerList, headerTemplate{name, tmpl})
	}
	return r, nil
}

var bodyShapes = map[string]bool{
	"resource": true, "none": true, "error": true, "ack": true, "batch": true, "replay": true, "status": true, "request": true,
}

// lookupChain lists the keys a rule key falls back to, most specific first.
func lookupChain(key string) []string {
	sit, _, hasQual := strings.Cut(key, "/")
	if hasQual {
		return []string{key, sit}
	}
	return []string{key}
}

func copyHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = v
	}
	return out
}

// selectPolicies resolves the ids of Options into policies, then adds
// the custom ones.
func selectPolicies(ids []string, custom []*Policy) ([]*Policy, error) {
	list, byID := builtins()
	var out []*Policy
	seen := map[string]bool{}
	add := func(p *Policy) {
		if !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	customByID := map[string]*Policy{}
	for _, c := range custom {
		if customByID[c.ID] != nil {
			return nil, fmt.Errorf("two custom policies have the id %q: give each its own", c.ID)
		}
		customByID[c.ID] = c
	}
	var named []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			named = append(named, id)
		}
	}
	ids = named
	switch {
	case len(ids) == 0:
		for _, id := range DefaultPolicyIDs() {
			add(byID[id])
		}
	case len(ids) == 1 && ids[0] == "all":
		for _, p := range list {
			add(p)
		}
	default:
		for _, id := range ids {
			if p, ok := byID[id]; ok {
				add(p)
			} else if c, ok := customByID[id]; ok {
				add(c)
			} else {
				known := make([]string, 0, len(byID))
				for k := range byID {
					known = append(known, k)
				}
				sort.Strings(known)
				return nil, fmt.Errorf("unknown policy %q (known: %s, or all)", id, strings.Join(known, ", "))
			}
		}
	}
	for _, c := range custom {
		if byID[c.ID] != nil {
			return nil, fmt.Errorf("custom policy %q has the id of a built-in policy: choose another id", c.ID)
		}
		add(c)
	}
	return out, nil
}
