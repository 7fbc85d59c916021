package policyserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/httpplay/httpplay/policyserver"
)

// A client's sign-up retried after a timeout meets the address it has
// just registered: the strict policy calls it a conflict.
func Example() {
	srv, err := policyserver.New("strict", policyserver.Declarations("@unique /users email"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for range 2 {
		resp, err := ts.Client().Post(ts.URL+"/users", "application/json", strings.NewReader(`{"email": "ann@example.com"}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status, resp.Header.Get("Location"))
	}
	// Output:
	// 201 Created /users/1
	// 409 Conflict
}

// Each policy answers the same request its own way: the second DELETE of
// a resource is a 404 under strict and a 204 under idempotent.
func ExampleNew_policies() {
	for _, policy := range []string{"strict", "idempotent"} {
		srv, err := policyserver.New(policy)
		if err != nil {
			fmt.Println(err)
			return
		}
		ts := httptest.NewServer(srv)
		do := func(method, path, body string) int {
			req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(req)
			if err != nil {
				return 0
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		do("PUT", "/notes/1", `{"text": "hi"}`)
		do("DELETE", "/notes/1", "")
		fmt.Println(policy, do("DELETE", "/notes/1", ""))
		ts.Close()
	}
	// Output:
	// strict 404
	// idempotent 204
}

// State shows the world the server keeps, and Reset empties it.
func ExampleServer_State() {
	srv, _ := policyserver.New("strict")
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := ts.Client().Post(ts.URL+"/users", "application/json", strings.NewReader(`{"name": "ann"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(string(srv.State().Resources["/users/1"]))
	srv.Reset()
	fmt.Println(len(srv.State().Resources))
	// Output:
	// {"id":"1","name":"ann"}
	// 0
}
