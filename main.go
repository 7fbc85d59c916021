// Command httpplay is the native host of the httpplay simulator: a CLI that
// prints the policy matrix of a scenario, and a local server for the
// playground and its JSON API. Built for GOOS=js it is the Cloudflare Worker.
package main

import "os"

func main() {
	os.Exit(entry())
}
