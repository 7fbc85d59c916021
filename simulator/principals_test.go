package simulator

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// accessCases provoke each situation about who asks with the last request
// of a short scenario, in the column order of situationCases. Every
// guideline policy answers them with its own rule; the rows were checked
// against RFC 9110 §15.5.2 and §15.5.4, RFC 6750 §3, and each guideline's
// text (AIP-193 and AIP-211 for Google's 403 whether or not the member
// exists, GitHub's 404 for private resources, Azure's 403 unless it leaks).
var accessCases = []struct {
	name      string
	situation string
	scenario  string
	want      string
}{
	{"no credentials under @auth", "unauthenticated", "@auth /a\n\nGET /a/1",
		"401 401 401 401 401 401 401 | 401 401 401 401 401 401 401"},
	{"a credential naming no user", "invalid-credentials", "@users ann\n\nGET /a\nAuthorization: Bearer eve",
		"401 401 401 401 401 401 401 | 401 401 401 401 401 401 401"},
	{"a scheme without a credential", "invalid-credentials", "@users ann\n\nGET /a\nAuthorization: Bearer",
		"401 401 401 401 401 401 401 | 401 401 401 401 401 401 401"},
	{"another's member", "forbidden", ownedPost + "DELETE /p/1\nAuthorization: Bearer bob",
		"403 403 403 403 403 403 403 | 403 403 403 403 403 403 403"},
	{"another's member without credentials", "unauthenticated", ownedPost + "DELETE /p/1",
		"401 401 401 401 401 401 401 | 401 401 401 401 401 401 401"},
	{"a member outside the ACL", "forbidden", aclDoc + "GET /d/1\nAuthorization: Bearer bob",
		"403 403 403 403 403 403 403 | 403 403 403 403 403 403 403"},
	{"a private member that exists", "hidden", "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob",
		"404 404 404 404 404 404 404 | 404 404 404 404 403 404 404"},
	{"a private member that does not exist", "missing", "@private /p\n" + ownedPost + "GET /p/2\nAuthorization: Bearer bob",
		"404 404 404 404 404 404 404 | 404 404 404 404 403 404 404"},
	{"removing oneself from the ACL with PUT", "access-revoked", aclDoc + "PUT /d/1\nAuthorization: Bearer ann\nIf-Match: \"v1\"\n{\"id\":\"1\",\"r\":[\"bob\"]}",
		"204 204 204 204 204 204 204 | 204 200 204 204 200 200 204"},
	{"removing oneself from the ACL with PATCH", "access-revoked", aclDoc + "PATCH /d/1\nAuthorization: Bearer ann\nIf-Match: \"v1\"\n{\"r\":[]}",
		"204 204 204 204 204 204 204 | 204 200 204 204 200 200 204"},
	{"the owner deletes", "deleted", ownedPost + "DELETE /p/1\nAuthorization: Bearer ann\nIf-Match: \"v1\"",
		"204 204 204 204 204 204 204 | 204 204 204 204 200 200 204"},
	{"anyone reads an owned member", "read", ownedPost + "GET /p/1",
		"200 200 200 200 200 200 200 | 200 200 200 200 200 200 200"},
}

// ownedPost declares two users and posts owned by their author, and has
// ann create /p/1 without naming its author.
const ownedPost = "@users ann bob\n@owner /p author\n\nPOST /p\nAuthorization: Bearer ann\n{\"id\":\"1\"}\n\n"

// aclDoc has ann create /d/1 readable and writable only by her.
const aclDoc = "@users ann bob\n@acl /d r\n\nPOST /d\nAuthorization: Bearer ann\n{\"id\":\"1\",\"r\":[\"ann\"]}\n\n"

func TestAccessSituationsByPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range accessCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, last, statuses := lastStatuses(t, tc.scenario)
			if statuses != tc.want {
				t.Errorf("statuses\n got %s\nwant %s", statuses, tc.want)
			}
			for _, id := range res.Policies {
				r := last.Results[id]
				want := tc.situation
				if id == "google-aip" && tc.name == "a private member that does not exist" {
					want = "hidden" // permission is checked before existence
				}
				if r.Situation != want {
					t.Errorf("%s: situation %q, want %q", id, r.Situation, want)
				}
				if r.Status == 401 {
					ch := r.Headers["WWW-Authenticate"]
					if !strings.HasPrefix(ch, "Bearer ") {
						t.Errorf("%s: 401 with WWW-Authenticate %q, want a Bearer challenge", id, ch)
					}
					if invalid := strings.Contains(ch, `error="invalid_token"`); invalid != (want == "invalid-credentials") {
						t.Errorf("%s: %s answered with challenge %q", id, want, ch)
					}
				}
			}
		})
	}
}

// TestHiddenLooksMissing checks that under every built-in policy an
// outsider's answers for a private member that exists and for one that
// does not differ in nothing visible, body text included, and that the
// leak property agrees.
func TestHiddenLooksMissing(t *testing.T) {
	t.Parallel()
	src := "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob\n\nGET /p/2\nAuthorization: Bearer bob"
	res, err := Run(src, Options{Policies: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Steps)
	for _, id := range res.Policies {
		a, b := res.Steps[n-2].Results[id], res.Steps[n-1].Results[id]
		if diff := visibleDifference(a, b); diff != "" {
			t.Errorf("%s: %s", id, diff)
		}
		// The debug id is a hash of the request, and Kubernetes names the
		// member asked for; anything else must be the same.
		same := func(body string) string {
			body = debugIDField.ReplaceAllString(body, "")
			return strings.NewReplacer("/p/1", "/p/2", `"name":"1"`, `"name":"2"`).Replace(body)
		}
		if same(a.Body) != same(b.Body) {
			t.Errorf("%s: the bodies differ beyond the path:\n%s\n%s", id, a.Body, b.Body)
		}
		if p := res.Properties[id].LeaksExistence; p.Value == nil || *p.Value {
			t.Errorf("%s: leaks existence %v: %s", id, p.Value, p.Summary)
		}
	}
}

var debugIDField = regexp.MustCompile(`"debug_id":"[0-9a-f]+",?`)

// TestLookupThen403Leaks checks the other side: a policy that looks the
// member up first and answers 403 only when it exists is caught by the
// leak property and by lint.
func TestLookupThen403Leaks(t *testing.T) {
	t.Parallel()
	src := "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob"
	res, err := Run(src, Options{Policies: []string{"strict"}, PolicyJSON: []string{`{"id":"x","rules":{"hidden":{"status":403}}}`}})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Properties["x"].LeaksExistence; p.Value == nil || !*p.Value {
		t.Fatalf("leaks existence %v: %s", p.Value, p.Summary)
	}
	if p := res.Properties["strict"].LeaksExistence; p.Value == nil || *p.Value {
		t.Errorf("strict leaks existence %v: %s", p.Value, p.Summary)
	}
	found := false
	for _, f := range res.Steps[len(res.Steps)-1].Results["x"].Lint {
		found = found || f.Level == "warning" && f.Cite == "RFC 9110 §15.5.4" && strings.Contains(f.Message, "gets 404")
	}
	if !found {
		t.Errorf("no lint finding for a 403 hiding next to a 404 for missing members: %+v", res.Steps[len(res.Steps)-1].Results["x"].Lint)
	}
}

// TestPermissionOrderInTrace checks that the trace shows where permission
// was checked: before existence under Google AIP, after it under strict.
func TestPermissionOrderInTrace(t *testing.T) {
	t.Parallel()
	res, err := Run("@private /p\n"+ownedPost+"GET /p/1\nAuthorization: Bearer bob", Options{Policies: []string{"strict", "google-aip"}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Steps[len(res.Steps)-1].Results
	steps := func(id string) string {
		var s []string
		for _, e := range r[id].Trace {
			s = append(s, e.Step)
		}
		return strings.Join(s, " ")
	}
	if got := steps("google-aip"); !strings.HasPrefix(got, "authenticated authorized-first situation") {
		t.Errorf("google-aip trace %q: permission must be decided before existence", got)
	}
	if got := steps("strict"); !strings.HasPrefix(got, "authenticated exists authorized situation") {
		t.Errorf("strict trace %q: existence must come before permission", got)
	}
}

// TestPrivateListing checks that a listing of a @private collection
// shows each asker only the members it may see.
func TestPrivateListing(t *testing.T) {
	t.Parallel()
	src := "@users ann bob\n@owner /p author\n@private /p\n\nPOST /p\nAuthorization: Bearer ann\n{\"id\":\"1\"}\n\nPOST /p\nAuthorization: Bearer bob\n{\"id\":\"2\"}\n\nGET /p\nAuthorization: Bearer bob\n\nGET /p"
	res, err := Run(src, Options{Policies: []string{"strict", "jsonapi"}})
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Steps)
	if got := res.Steps[n-2].Results["strict"].Body; got != `[{"author":"bob","id":"2"}]` {
		t.Errorf("bob's listing %s", got)
	}
	if got := res.Steps[n-1].Results["strict"].Body; got != `[]` {
		t.Errorf("an anonymous listing %s", got)
	}
	if got := res.Steps[n-2].Results["jsonapi"].Body; strings.Contains(got, `"id":"1"`) || !strings.Contains(got, `"id":"2"`) {
		t.Errorf("bob's JSON:API listing %s", got)
	}
}

// TestCreatorOwns checks that a create without the @owner or @acl field
// is given the creator, and that a create naming them keeps its own.
func TestCreatorOwns(t *testing.T) {
	t.Parallel()
	src := "@owner /p author\n@acl /p r\n\nPOST /p\nAuthorization: Bearer ann\n{\"id\":\"1\"}\n\nPOST /p\nAuthorization: Bearer ann\n{\"id\":\"2\",\"author\":\"bob\",\"r\":[]}\n\nPUT /p/3\nAuthorization: Basic carol\n{}"
	res, err := Run(src, Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`{"author":"ann","id":"1","r":["ann"]}`, `{"author":"bob","id":"2","r":[]}`, `{"author":"carol","r":["carol"]}`} {
		if got := res.Steps[i].Results["strict"].Body; got != want {
			t.Errorf("step %d: body %s, want %s", i+1, got, want)
		}
	}
}

// TestClientImpliesCredential checks that a client block's requests carry
// "Authorization: Bearer NAME" when the scenario declares access and the
// request sets none, and only then.
func TestClientImpliesCredential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string // each client's Authorization, "" for none
	}{
		{"declared", "@users ann bob\nrace {\n client ann {\n  GET /a\n }\n client bob {\n  GET /a\n  Authorization: Bearer ann\n }\n GET /a\n}",
			[]string{"Bearer ann", "Bearer ann", ""}},
		{"not declared", "race {\n client ann {\n  GET /a\n }\n GET /a\n}", []string{"", ""}},
		{"with variables", "@auth /a\nrace {\n client ann {\n  GET /a\n  let e = header ETag\n\n  GET /a/{{e}}\n }\n GET /a\n}",
			[]string{"Bearer ann", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, err := parse("t", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			clients := sc.steps[0].race.clients
			if len(clients) != len(tc.want) {
				t.Fatalf("%d clients", len(clients))
			}
			for i, c := range clients {
				for _, r := range c.reqs {
					got := ""
					for _, h := range r.headers {
						if h.name == "Authorization" {
							got = h.value
						}
					}
					if got != tc.want[i] {
						t.Errorf("client %s: Authorization %q, want %q", c.name, got, tc.want[i])
					}
					if r.vars && len(r.theaders) != len(r.headers) {
						t.Errorf("client %s: %d header templates for %d headers", c.name, len(r.theaders), len(r.headers))
					}
				}
			}
		})
	}
}

// TestClientCredentialInRace checks a race between two users' clients:
// the one the ACL leaves out is refused in every order.
func TestClientCredentialInRace(t *testing.T) {
	t.Parallel()
	src := aclDoc + "race {\n client ann {\n  GET /d/1\n }\n client bob {\n  GET /d/1\n }\n}"
	res, err := Run(src, Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	rr := res.Steps[len(res.Steps)-1].Results["strict"].Race
	if rr == nil || len(rr.Outcomes) == 0 {
		t.Fatal("no race result")
	}
	for _, o := range rr.Outcomes {
		if len(o.Statuses) != 2 || o.Statuses[0] != 200 || o.Statuses[1] != 403 {
			t.Errorf("outcome %v (%v): want ann's 200 and bob's 403", o.Statuses, o.Situations)
		}
	}
}

// TestAccessDeclarationErrors checks the messages and positions of bad
// access declarations.
func TestAccessDeclarationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"@users\nGET /a", "t:1:1: @users needs at least one name: @users NAME..."},
		{"@users ann b/c\nGET /a", "t:1:12: \"b/c\" is not a user name: use letters, digits, '.', '_' and '-'"},
		{"@auth\nGET /a", "t:1:1: @auth takes 1 argument(s): @auth PATH-PATTERN"},
		{"@auth users\nGET /a", "t:1:7: \"users\" is not a collection path: write it as /name or /name/*/sub"},
		{"@owner /p\nGET /a", "t:1:1: @owner takes 2 argument(s): @owner COLLECTION FIELD"},
		{"@acl /p a.b{\nGET /a", "t:1:9: \"a.b{\" is not a field name"},
		{"@private /p /q\nGET /a", "t:1:1: @private takes 1 argument(s): @private COLLECTION"},
		{"GET /a\n\n@users ann", "t:3:1: declarations must come before the first request"},
		{"@admins ann\nGET /a", "t:1:1: unknown declaration \"@admins\": expected @unique, @immutable, @min, @ref, @required, @isolation, @policy, @users, @auth, @owner, @acl or @private"},
	}
	for _, tc := range tests {
		_, err := parse("t", tc.src)
		var perr *Error
		if !errors.As(err, &perr) || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %s", tc.src, err, tc.want)
		}
	}
}

// TestRequestPrincipal checks how the Authorization field names a
// principal.
func TestRequestPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  string
		name    string
		present bool
	}{
		{"", "", false},
		{"   ", "", false},
		{"Bearer ann", "ann", true},
		{"Bearer   ann  ", "ann", true},
		{"Basic YW5uOnB3", "YW5uOnB3", true},
		{"Bearer", "", true},
	}
	for _, tc := range tests {
		req := &request{headers: map[string]string{}}
		if tc.header != "" {
			req.headers["Authorization"] = tc.header
		}
		p := requestPrincipal(req)
		if p.name != tc.name || p.present != tc.present {
			t.Errorf("Authorization %q: principal %+v, want %q present %v", tc.header, p, tc.name, tc.present)
		}
	}
}
