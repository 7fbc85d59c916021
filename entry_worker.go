//go:build js && wasm

package main

import (
	"net/url"
	"runtime/debug"
	"strings"
	"syscall/js"

	"github.com/httpplay/httpplay/internal/api"
	"github.com/httpplay/httpplay/internal/warmstack"
	"github.com/httpplay/httpplay/policyserver"
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
// its sandbox, which alone forwards that sandbox's requests, so every
// request of a sandbox meets the one isolate that holds its world.
func entry() int {
	// The collector runs on the one thread that serves the requests, so
	// every cycle is time a request waits. A heap goal of five times the
	// live heap (a few MiB) instead of two makes cycles rarer: 6% less CPU
	// a request for the default preset in an alternating measurement. The
	// soft limit keeps the goal far under the isolate's 128 MB, and makes
	// the collector work harder before it would be reached.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(64 << 20)
	mock := newHeldSandboxes()
	binding := js.Global().Get("context").Get("binding")
	binding.Set("sandboxName", sandboxName)
	binding.Set("sandboxHeld", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
			return false
		}
		policy, session, _ := strings.Cut(args[0].String(), "/")
		return mock.holds(policy, session, args[1].String())
	}))
	binding.Set("sandboxOpen", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
			return false
		}
		policy, session, _ := strings.Cut(args[0].String(), "/")
		return mock.open(policy, session, args[1].String()) == nil
	}))
	binding.Set("sandboxMaxBody", policyserver.DefaultMaxBodyBytes)
	workers.ServeNonBlock(warmstack.New(withRawResponse(withStreamBody(withDrainedBody(mountSandboxes(mock, api.New(api.Options{})))))))
	workers.Ready()
	select {}
}

// sandboxName tells worker/worker.mjs where a request under /mock/ goes:
// given the request's escaped path and Httpplay-Session header, it returns
// {name: "policy/session", control}, control being what follows
// /_httpplay/ for the mock's own paths ("state", "reset", or one it does
// not have) and "" for the policy's paths, or null for a request the mock
// refuses, which the isolate answers itself so that no Durable Object is
// made for it. A session has no "/", so the name is unambiguous. The
// functions given to JavaScript live as long as the instance, so they are
// never released.
var sandboxName = js.FuncOf(func(_ js.Value, args []js.Value) any {
	if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return nil
	}
	session := args[1].String()
	policy, rest, status, _ := sandboxRoute(args[0].String(), session)
	if status != 0 {
		return nil
	}
	control := ""
	if path, _ := url.PathUnescape("/" + rest); strings.HasPrefix(path, mockControl) {
		control = strings.TrimPrefix(path, mockControl)
	}
	return map[string]any{"name": policy + "/" + session, "control": control}
})
