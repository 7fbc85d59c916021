package policyserver_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/httpplay/httpplay/policyserver"
)

// BenchmarkServeHTTP is one request's cost through the handler, without
// a network: a PUT that replaces and a GET that reads, on a world of a
// hundred resources.
func BenchmarkServeHTTP(b *testing.B) {
	srv, err := policyserver.New("zalando", policyserver.Declarations("@unique /users email"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		req := httptest.NewRequest("POST", "/users", strings.NewReader(`{"email":"u`+strings.Repeat("x", i)+`@example.com"}`))
		req.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var req = httptest.NewRequest("GET", "/users/7", nil)
		if i%2 == 0 {
			req = httptest.NewRequest("PUT", "/users/7", strings.NewReader(`{"email":"seven@example.com","id":"7"}`))
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
