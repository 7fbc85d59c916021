//go:build js && wasm

package main

import "github.com/syumai/workers"

// entry serves the JSON API as a Cloudflare Worker. Static files never reach
// Go there: wrangler serves web/ as Workers static assets and routes only
// /api/* (and paths matching no file) to the worker, so the handler gets no
// static handler.
//
// It does not use workers.Serve, which ends the program once the response
// body has been copied out. For an answer computed without waiting on
// JavaScript (every GET here) that copy finishes while the runtime is still
// inside the Promise constructor that started the request, and the exit
// there breaks the call ("Cannot read properties of undefined (reading
// 'exports')"). The runtime starts a fresh instance per request anyway, so
// this one simply stays parked until it is collected.
func entry() int {
	workers.ServeNonBlock(withStreamBody(newHandler(nil)))
	workers.Ready()
	select {}
}
