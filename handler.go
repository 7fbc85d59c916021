package main

import "net/http"

// newHandler builds the one http.Handler every host serves: the JSON API
// under /api/ and, when static is not nil, the playground's files.
func newHandler(static http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler())
	if static != nil {
		mux.Handle("/", static)
	}
	return mux
}
