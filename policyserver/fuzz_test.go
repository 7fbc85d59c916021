package policyserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/httpplay/httpplay/policyserver"
	"github.com/httpplay/httpplay/simulator"
)

// FuzzServeHTTP sends whatever a client could to a server with whatever
// declarations, and requires an answer with a valid status, the same as
// the simulator's Server gives the request as the handler read it.
func FuzzServeHTTP(f *testing.F) {
	f.Add("@unique /users email", "POST", "/users", "application/json", `{"email":"a@b.c"}`)
	f.Add("", "PUT", "/a/1?x=1", "application/json", `{"id":"2"}`)
	f.Add("@min /t/*/m 1\n@ref /p c /c", "DELETE", "/t/1/m/2", "", "")
	f.Add("@required /s email:email", "PATCH", "/s/1", "application/merge-patch+json", `{"email":null}`)
	f.Add("@immutable /d", "GET", "/%zz/..//x", "text/plain", "\x00")
	f.Fuzz(func(t *testing.T, decls, method, path, ctype, body string) {
		srv, err := policyserver.New("zalando", policyserver.Declarations(decls))
		if err != nil {
			return
		}
		req, err := http.NewRequest(method, "http://mock"+path, strings.NewReader(body))
		if err != nil || req.URL.Path == "" || !strings.HasPrefix(req.URL.RequestURI(), "/") {
			return
		}
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code < 100 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
		twin, _ := policyserver.New("zalando", policyserver.Declarations(decls))
		if method == "" {
			method = http.MethodGet // net/http reads an empty method as GET
		}
		want := twin.Handle(simulator.Request{Method: method, Path: req.URL.RequestURI(), Body: body, Headers: map[string]string{"Content-Type": ctype}})
		if rec.Code != want.Status {
			t.Fatalf("ServeHTTP answered %d, Handle %d", rec.Code, want.Status)
		}
	})
}
