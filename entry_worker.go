//go:build js && wasm

package main

import "github.com/syumai/workers"

// entry serves the JSON API as a Cloudflare Worker. Static files never reach
// Go there: wrangler serves web/ as Workers static assets and routes only
// /api/* to the worker, so the handler gets no static handler.
func entry() int {
	workers.Serve(newHandler(nil))
	return 0
}
