//go:build !(js && wasm)

package main

import "os"

// entry runs the command line; the Worker build has its own entry.
func entry() int {
	return runCLI(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}
