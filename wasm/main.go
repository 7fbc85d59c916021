//go:build js && wasm

// Command wasm is the browser host of the httpplay simulator. It exposes one
// global object, httpplay, whose methods take and return JSON strings so the
// page never depends on Go's internal representation of values:
//
//	httpplay.run(scenarioText, optionsJSON) // result JSON, or an Error object
//	httpplay.policies()                      // JSON array of built-in policies
//	httpplay.presets()                       // JSON array of presets
//	httpplay.exit()                          // releases every callback and stops
//
// A failed run returns (never throws) an Error whose name is "ScenarioError"
// for scenario errors, with the numeric properties line and column, file, and
// detail holding the message without its position.
package main

// globalName is the property of globalThis that holds the API object.
const globalName = "httpplay"

func main() {
	done := make(chan struct{})
	release := register(globalName, func() { close(done) })
	<-done
	release()
}
