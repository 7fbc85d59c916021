//go:build js && wasm

package main

import (
	"github.com/httpplay/httpplay/internal/matrixhtml"
	"github.com/httpplay/httpplay/simulator"
	"github.com/tidwall/gjson"
)

// renderTree runs a scenario like runJSON and returns the documentation
// fragment of `httpplay render --format html` as a node tree (see
// matrixhtml.Node.JSON), which web/embed.js builds with createElement, so
// that its table equals the one rendered at build time byte for byte. The
// options are runJSON's plus "playground", the address for the "Open in
// playground" link; the race bounds are the page's unless given.
func renderTree(src, optionsJSON string) ([]byte, error) {
	opts, err := parseOptions(optionsJSON)
	if err != nil {
		return nil, err
	}
	if opts.MaxStates == 0 {
		opts.MaxStates = matrixhtml.Limits.MaxStates
	}
	if opts.MaxTotalStates == 0 {
		opts.MaxTotalStates = matrixhtml.Limits.MaxTotalStates
	}
	res, err := simulator.Run(src, opts)
	if err != nil {
		return nil, err
	}
	var playground string
	if optionsJSON != "" {
		playground = gjson.Get(optionsJSON, "playground").String()
	}
	return matrixhtml.Render(res, matrixhtml.Options{Playground: playground, Text: src, Policies: opts.Policies}).JSON(), nil
}
