package main

import "net/http"

// newHandler builds the one http.Handler every host serves: the JSON API
// under /api/ and, when static is not nil, the playground's files. Without
// static (the Worker, where Workers static assets serve web/ and only paths
// matching no file reach Go) every path is the API's, so a miss is its
// problem+json 404 rather than a plain-text one.
func newHandler(static http.Handler) http.Handler {
	api := apiHandler()
	if static == nil {
		return api
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/api", api)
	mux.Handle("/", static)
	return mux
}
