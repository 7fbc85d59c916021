//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/syumai/workers"
)

// entry serves the JSON API and the mock as a Cloudflare Worker. Static
// files never reach Go there: wrangler serves web/ as Workers static assets
// and routes only /api/*, /mock/* (and paths matching no file) to the
// worker, so the handler gets no static handler.
//
// The instance is long-lived: worker/worker.mjs starts it once per isolate
// and calls the handleRequest that syumai/workers installs for every request,
// so main only registers the handler, reports ready and stays parked. The
// API keeps no state between requests (every run gets its own worlds),
// which is what lets requests share the instance, concurrently too. The
// mock's worlds are the exception: each is kept for the Durable Object of
// its sandbox, which alone forwards that sandbox's requests (see
// withHeldSandboxes), so every request of a sandbox meets the one isolate
// that holds its world.
func entry() int {
	js.Global().Get("context").Get("binding").Set("sandboxName", sandboxName)
	workers.ServeNonBlock(withRawResponse(withStreamBody(withDrainedBody(withHeldSandboxes(newHandler(nil))))))
	workers.Ready()
	select {}
}

// sandboxName tells worker/worker.mjs which Durable Object a request under
// /mock/ goes to: given the request's escaped path and Httpplay-Session
// header, it returns "policy/session", or "" for a request the mock
// refuses, which the isolate answers itself so that no object is made for
// it. A session has no "/", so the name is unambiguous. It lives as long
// as the instance, so it is never released.
var sandboxName = js.FuncOf(func(_ js.Value, args []js.Value) any {
	if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return ""
	}
	policy, _, status, _ := sandboxRoute(args[0].String(), args[1].String())
	if status != 0 {
		return ""
	}
	return policy + "/" + args[1].String()
})
