package main

import "net/http"

// apiHandler answers /api/*. Placeholder until the Worker issue's API lands.
func apiHandler() http.Handler {
	return http.NotFoundHandler()
}
