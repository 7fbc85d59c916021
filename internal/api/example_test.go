package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/httpplay/httpplay/internal/api"
)

// A scenario posted as text comes back as the simulator's result JSON.
func ExampleNew() {
	srv := httptest.NewServer(api.New(api.Options{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/run?policies=strict", "text/plain", strings.NewReader("DELETE /users/7\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var result struct {
		Steps []struct {
			Results map[string]struct{ Status int }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&result); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	fmt.Println("strict answers", result.Steps[0].Results["strict"].Status)
	// Output:
	// 200 OK application/json
	// strict answers 404
}

// Every error is a problem details object, which decodes into a Problem.
func ExampleProblem() {
	srv := httptest.NewServer(api.New(api.Options{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/run", "text/plain", strings.NewReader("GET users\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var p api.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Header.Get("Content-Type"))
	fmt.Println(p.Status, p.Type, p.Line, p.Column)
	// Output:
	// application/problem+json
	// 422 /api/problems/scenario-error 1 5
}

// With Options.Static the API answers under /api/ and the static handler
// everywhere else.
func ExampleOptions() {
	files := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "the file "+r.URL.Path)
	})
	srv := httptest.NewServer(api.New(api.Options{Static: files}))
	defer srv.Close()
	for _, path := range []string{"/index.html", "/api/nothing"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: %d %s\n", path, resp.StatusCode, strings.SplitN(string(body), "\n", 2)[0])
	}
	// Output:
	// /index.html: 200 the file /index.html
	// /api/nothing: 404 {
}
