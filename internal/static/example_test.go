package static_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing/fstest"

	"github.com/httpplay/httpplay/internal/static"
)

// FS serves a page under its name without .html, as Workers static assets
// do, and keeps host configuration such as _headers to itself.
func ExampleFS() {
	files := static.FS(fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>playground</title>")},
		"embed.html": {Data: []byte("<!doctype html><title>embed</title>")},
		"_headers":   {Data: []byte("/*\n  X-Test: 1\n")},
	})
	for _, path := range []string{"/", "/embed", "/embed.html", "/_headers"} {
		rec := httptest.NewRecorder()
		files.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s: %d\n", path, rec.Code)
		if to := rec.Header().Get("Location"); to != "" {
			fmt.Println("  to", to)
		}
	}
	// Output:
	// /: 200
	// /embed: 200
	// /embed.html: 307
	//   to /embed
	// /_headers: 404
}

// WithHeaders puts the pages' security headers on answers that never reach
// the files, such as a ServeMux's redirect, and leaves the API's alone.
func ExampleWithHeaders() {
	mux := http.NewServeMux()
	mux.Handle("/", static.FS(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {})
	h := static.WithHeaders(mux, "/api")
	for _, path := range []string{"/js/../index.html", "/api/health"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s: %d, X-Frame-Options %q\n", path, rec.Code, rec.Header().Get("X-Frame-Options"))
	}
	// Output:
	// /js/../index.html: 307, X-Frame-Options "DENY"
	// /api/health: 200, X-Frame-Options ""
}
