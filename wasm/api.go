//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/httpplay/httpplay/simulator"
	"github.com/tidwall/gjson"
)

// register installs the API object as globalThis[name] and returns a function
// that removes it and releases every js.Func it created. onExit runs when the
// page calls exit(); main uses it to stop blocking, and tests to observe it.
func register(name string, onExit func()) (release func()) {
	var funcs []js.Func
	obj := js.Global().Get("Object").New()
	bind := func(method string, fn func(args []js.Value) any) {
		f := js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
			// A panic inside a callback would kill the Go instance and leave
			// the page with a dead engine, so it becomes an ordinary error.
			defer func() {
				if r := recover(); r != nil {
					result = jsError(fmt.Errorf("internal error: %v", r))
				}
			}()
			return fn(args)
		})
		funcs = append(funcs, f)
		obj.Set(method, f)
	}
	bind("run", func(args []js.Value) any {
		src, opts := stringArg(args, 0), stringArg(args, 1)
		out, err := runJSON(src, opts)
		if err != nil {
			return jsError(err)
		}
		return string(out)
	})
	bind("renderTree", func(args []js.Value) any {
		out, err := renderTree(stringArg(args, 0), stringArg(args, 1))
		if err != nil {
			return jsError(err)
		}
		return string(out)
	})
	// markdown is run's result as the Markdown table the CLI prints.
	bind("markdown", func(args []js.Value) any {
		res, err := runResult(stringArg(args, 0), stringArg(args, 1))
		if err != nil {
			return jsError(err)
		}
		return res.Markdown()
	})
	bind("policies", func([]js.Value) any { return marshal(simulator.Policies()) })
	bind("presets", func([]js.Value) any { return marshal(simulator.Presets()) })
	exited := false
	bind("exit", func([]js.Value) any {
		if !exited && onExit != nil {
			exited = true
			onExit()
		}
		return js.Undefined()
	})
	js.Global().Set(name, obj)
	return func() {
		js.Global().Delete(name)
		for _, f := range funcs {
			f.Release()
		}
		funcs = nil
	}
}

// stringArg returns args[i] as a string, or "" when it is missing or is not
// a string, so that a careless caller gets a scenario error, not a crash.
func stringArg(args []js.Value, i int) string {
	if i >= len(args) || args[i].Type() != js.TypeString {
		return ""
	}
	return args[i].String()
}

// jsError converts err into a JavaScript Error. Scenario errors keep their
// position as numbers so the editor can point at the offending character.
func jsError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	var se *simulator.Error
	if errors.As(err, &se) {
		e.Set("name", "ScenarioError")
		e.Set("file", se.File)
		e.Set("line", se.Line)
		e.Set("column", se.Col)
		e.Set("detail", se.Msg)
	} else {
		e.Set("detail", err.Error())
	}
	// A run past one of its bounds also says which, so that the page can
	// tell "too large" from a mistake in the text.
	var le *simulator.LimitError
	if errors.As(err, &le) {
		if se == nil {
			e.Set("name", "LimitError")
		}
		e.Set("limit", le.Limit)
		e.Set("limitMax", float64(le.Max))
	}
	return e
}

// The page's run budget where the options leave a bound out: the page runs
// on the user's main thread, so it is tighter than the command line's
// (see the README's limits table).
const (
	pageTimeout        = 5 * time.Second
	pageMaxStates      = 10000
	pageMaxTotalStates = 20000
	pageMaxValueBytes  = 256 << 10
	pageMaxResultBytes = 32 << 20
	pageMaxColumns     = 32
)

// withPageDefaults fills the bounds the options leave zero.
func withPageDefaults(opts simulator.Options) simulator.Options {
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&opts.MaxStates, pageMaxStates)
	set(&opts.MaxTotalStates, pageMaxTotalStates)
	set(&opts.MaxValueBytes, pageMaxValueBytes)
	set(&opts.MaxResultBytes, pageMaxResultBytes)
	set(&opts.MaxColumns, pageMaxColumns)
	if opts.Timeout == 0 {
		opts.Timeout = pageTimeout
	}
	return opts
}

// runJSON runs a scenario with options given as JSON and returns the
// canonical result bytes, the same the CLI prints with --format json.
func runJSON(src, optionsJSON string) ([]byte, error) {
	res, err := runResult(src, optionsJSON)
	if err != nil {
		return nil, err
	}
	return res.JSON(), nil
}

// runResult runs a scenario with options given as JSON.
func runResult(src, optionsJSON string) (*simulator.Result, error) {
	opts, err := parseOptions(optionsJSON)
	if err != nil {
		return nil, err
	}
	return simulator.Run(src, withPageDefaults(opts))
}

// parseOptions reads the options object:
//
//	{"file": "scenario", "policies": ["strict", "zalando"], "policyJSON": [{...}],
//	 "isolation": ["atomic", "check-then-act"], "maxStates": 10000, "maxTotalStates": 20000,
//	 "timeout": 5000, "maxValueBytes": 262144, "maxResultBytes": 33554432, "maxColumns": 32}
//
// Every member is optional, and a bound left out is the page's (timeout in
// milliseconds); "policies" and "isolation" may also be
// comma-separated strings such as "all", and each "policyJSON" element may be
// an object or a string holding one.
func parseOptions(optionsJSON string) (opts simulator.Options, err error) {
	if optionsJSON == "" {
		return opts, nil
	}
	if !gjson.Valid(optionsJSON) {
		return opts, errors.New("options: not valid JSON")
	}
	root := gjson.Parse(optionsJSON)
	if !root.IsObject() {
		return opts, errors.New("options: want a JSON object")
	}
	opts.File = root.Get("file").String()
	if opts.Policies, err = stringList(root, "policies"); err != nil {
		return opts, err
	}
	if opts.Isolation, err = stringList(root, "isolation"); err != nil {
		return opts, err
	}
	if opts.MaxStates, err = positiveInt(root, "maxStates"); err != nil {
		return opts, err
	}
	if opts.MaxTotalStates, err = positiveInt(root, "maxTotalStates"); err != nil {
		return opts, err
	}
	var ms int
	if ms, err = positiveInt(root, "timeout"); err != nil {
		return opts, err
	}
	opts.Timeout = time.Duration(ms) * time.Millisecond
	if opts.MaxValueBytes, err = positiveInt(root, "maxValueBytes"); err != nil {
		return opts, err
	}
	if opts.MaxResultBytes, err = positiveInt(root, "maxResultBytes"); err != nil {
		return opts, err
	}
	if opts.MaxColumns, err = positiveInt(root, "maxColumns"); err != nil {
		return opts, err
	}
	for _, def := range root.Get("policyJSON").Array() {
		switch {
		case def.IsObject():
			opts.PolicyJSON = append(opts.PolicyJSON, def.Raw)
		case def.Type == gjson.String:
			opts.PolicyJSON = append(opts.PolicyJSON, def.Str)
		default:
			return opts, fmt.Errorf("options: policyJSON: %s is not a policy definition", def.Raw)
		}
	}
	return opts, nil
}

// stringList reads member key of obj as a list of strings: a JSON array of
// strings, or one comma-separated string. A missing or null member is nil.
func stringList(obj gjson.Result, key string) ([]string, error) {
	v := obj.Get(key)
	switch {
	case v.IsArray():
		var out []string
		for _, item := range v.Array() {
			if item.Type != gjson.String {
				return nil, fmt.Errorf("options: %s: %s is not a string", key, item.Raw)
			}
			out = append(out, item.Str)
		}
		return out, nil
	case v.Type == gjson.String:
		return splitList(v.Str), nil
	case v.Type == gjson.Null:
		return nil, nil
	default:
		return nil, fmt.Errorf("options: %s: want an array of strings or a comma-separated string", key)
	}
}

// positiveInt reads member key of obj as a positive integer; a missing or
// null member is 0, which the simulator reads as its default.
func positiveInt(obj gjson.Result, key string) (int, error) {
	switch v := obj.Get(key); v.Type {
	case gjson.Null:
		return 0, nil
	case gjson.Number:
		if v.Num != float64(int(v.Num)) || v.Num < 1 {
			return 0, fmt.Errorf("options: %s: %s is not a positive integer", key, v.Raw)
		}
		return int(v.Num), nil
	default:
		return 0, fmt.Errorf("options: %s: %s is not a number", key, v.Raw)
	}
}

// splitList splits "a, b,,c" into [a b c].
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// marshal returns v as a JSON string for JavaScript, or an Error.
func marshal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return jsError(err)
	}
	return string(b)
}
