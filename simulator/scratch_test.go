package simulator

import (
	"reflect"
	"slices"
	"testing"
)

// TestHandleScratchKeepsNothing: a server reuses its scratch for the
// next request, so nothing a response holds may live in it. Each answer's
// trace, headers and body are compared after the server has handled
// other requests, batches and failures among them, in full and lean views.
func TestHandleScratchKeepsNothing(t *testing.T) {
	t.Parallel()
	_, byID := builtins()
	sc, err := parse("scratch", "@unique /users email\n\nGET /a\n")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(byID["strict"], &sc.decls, newRunCache())
	reqs := []struct {
		method, path, body string
		v                  view
	}{
		{"POST", "/users", `{"id": "1", "email": "a@example.org"}`, viewFull},
		{"POST", "/users", `[{"email": "b@example.org"}, {"email": "a@example.org"}]`, viewFull},
		{"PUT", "/users/1", `{"email": "c@example.org"}`, viewFull},
		{"GET", "/users", "", viewFull},
		{"POST", "/users", `{"email": "c@example.org"}`, viewLeanBody},
		{"DELETE", "/users/1", "", viewFull},
		{"GET", "/users/1", "", viewLean},
		{"POST", "/users", `not json`, viewFull},
	}
	type kept struct{ resp, copy Response }
	var all []kept
	for _, r := range reqs {
		req := &request{method: r.method, path: r.path, target: cleanPath(r.path), body: r.body, headers: map[string]string{"Content-Type": "application/json"}}
		req.index()
		a := srv.handle(req, r.v)
		c := a.resp
		c.Trace = slices.Clone(a.resp.Trace)
		c.Lint = slices.Clone(a.resp.Lint)
		c.Headers = copyHeaders(a.resp.Headers)
		all = append(all, kept{a.resp, c})
	}
	if srv.scratch.inUse {
		t.Error("the scratch is still marked in use")
	}
	for i, k := range all {
		if !reflect.DeepEqual(k.resp, k.copy) {
			t.Errorf("response %d (%s %s) changed after later requests:\n got %+v\nwant %+v", i, reqs[i].method, reqs[i].path, k.resp, k.copy)
		}
	}
}
