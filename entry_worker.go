//go:build js && wasm

package main

import (
	"github.com/httpplay/httpplay/internal/api"
	"github.com/syumai/workers"
)

// entry serves the JSON API as a Cloudflare Worker. Static files never reach
// Go there: wrangler serves web/ as Workers static assets and routes only
// /api/* (and paths matching no file) to the worker, so the handler gets no
// static handler.
//
// The instance is long-lived: worker/worker.mjs starts it once per isolate
// and calls the handleRequest that syumai/workers installs for every request,
// so main only registers the handler, reports ready and stays parked. The
// handler keeps no state between requests (every run gets its own worlds),
// which is what lets requests share the instance, concurrently too.
func entry() int {
	workers.ServeNonBlock(withRawResponse(withStreamBody(api.New(api.Options{}))))
	workers.Ready()
	select {}
}
