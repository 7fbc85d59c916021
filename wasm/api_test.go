//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/httpplay/httpplay/simulator"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    simulator.Options
		wantErr string
	}{
		"empty":             {in: ""},
		"empty object":      {in: "{}"},
		"null policies":     {in: `{"policies": null}`},
		"file":              {in: `{"file": "follow.http"}`, want: simulator.Options{File: "follow.http"}},
		"policy array":      {in: `{"policies": ["strict", "zalando"]}`, want: simulator.Options{Policies: []string{"strict", "zalando"}}},
		"policy string":     {in: `{"policies": " strict, ,azure "}`, want: simulator.Options{Policies: []string{"strict", "azure"}}},
		"all":               {in: `{"policies": "all"}`, want: simulator.Options{Policies: []string{"all"}}},
		"policy object":     {in: `{"policyJSON": [{"id": "mine", "base": "strict"}]}`, want: simulator.Options{PolicyJSON: []string{`{"id": "mine", "base": "strict"}`}}},
		"policy as string":  {in: `{"policyJSON": ["{\"id\":\"mine\"}"]}`, want: simulator.Options{PolicyJSON: []string{`{"id":"mine"}`}}},
		"invalid JSON":      {in: `{"policies": [`, wantErr: "not valid JSON"},
		"array":             {in: `["strict"]`, wantErr: "want a JSON object"},
		"number policy":     {in: `{"policies": ["strict", 7]}`, wantErr: "7 is not a string"},
		"object policies":   {in: `{"policies": {"strict": true}}`, wantErr: "want an array of strings"},
		"isolation both":    {in: `{"isolation": ["atomic", "check-then-act"]}`, want: simulator.Options{Isolation: []string{"atomic", "check-then-act"}}},
		"isolation string":  {in: `{"isolation": "check-then-act"}`, want: simulator.Options{Isolation: []string{"check-then-act"}}},
		"max states":        {in: `{"maxStates": 500}`, want: simulator.Options{MaxStates: 500}},
		"fractional states": {in: `{"maxStates": 1.5}`, wantErr: "not a positive integer"},
		"zero states":       {in: `{"maxStates": 0}`, wantErr: "not a positive integer"},
		"string states":     {in: `{"maxStates": "9"}`, wantErr: "not a number"},
		"total states":      {in: `{"maxTotalStates": 40000}`, want: simulator.Options{MaxTotalStates: 40000}},
		"negative total":    {in: `{"maxTotalStates": -1}`, wantErr: "maxTotalStates: -1 is not a positive integer"},
		"number definition": {in: `{"policyJSON": [3]}`, wantErr: "3 is not a policy definition"},
		"bounds":            {in: `{"timeout": 250, "maxValueBytes": 100, "maxResultBytes": 2000, "maxColumns": 3}`, want: simulator.Options{Timeout: 250 * time.Millisecond, MaxValueBytes: 100, MaxResultBytes: 2000, MaxColumns: 3}},
		"zero timeout":      {in: `{"timeout": 0}`, wantErr: "timeout: 0 is not a positive integer"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseOptions(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseOptions(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOptions(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseOptions(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// install registers the API under a name unique to the test and removes it
// when the test ends, so parallel tests never share a global.
func install(t *testing.T, onExit func()) js.Value {
	t.Helper()
	name := "httpplayTest_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	release := register(name, onExit)
	t.Cleanup(release)
	return js.Global().Get(name)
}

func TestRunMatchesEngine(t *testing.T) {
	t.Parallel()
	api := install(t, nil)
	preset, ok := simulator.PresetByName(simulator.DefaultPreset)
	if !ok {
		t.Fatalf("default preset %q not found", simulator.DefaultPreset)
	}
	tests := map[string]struct {
		options string
		opts    simulator.Options
	}{
		"defaults":   {options: "{}"},
		"no options": {options: ""},
		"all":        {options: `{"policies":"all"}`, opts: simulator.Options{Policies: []string{"all"}}},
		"two":        {options: `{"policies":["strict","zalando"]}`, opts: simulator.Options{Policies: []string{"strict", "zalando"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := simulator.Run(preset.Text, tt.opts)
			if err != nil {
				t.Fatalf("simulator.Run: %v", err)
			}
			got := api.Call("run", preset.Text, tt.options)
			if got.Type() != js.TypeString {
				t.Fatalf("run returned %s %q, want a string", got.Type(), got.Call("toString").String())
			}
			if want := string(res.JSON()); got.String() != want {
				t.Errorf("run output differs from Result.JSON:\n got %s\nwant %s", got.String(), want)
			}
			if md := api.Call("markdown", preset.Text, tt.options); md.Type() != js.TypeString || md.String() != res.Markdown() {
				t.Errorf("markdown output differs from Result.Markdown:\n got %s\nwant %s", md.Call("toString").String(), res.Markdown())
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	api := install(t, nil)
	const bad = "# broken\n\nGET users\n"
	_, engineErr := simulator.Run(bad, simulator.Options{})
	var se *simulator.Error
	if !errors.As(engineErr, &se) {
		t.Fatalf("fixture: simulator.Run(%q) error = %v, want a *simulator.Error", bad, engineErr)
	}
	tests := map[string]struct {
		args                 []any
		name, detail         string
		line, column         int
		messageContains      string
		wantPositionReported bool
	}{
		"scenario error": {
			args: []any{bad, "{}"}, name: "ScenarioError", detail: se.Msg,
			line: se.Line, column: se.Col, messageContains: se.Error(), wantPositionReported: true,
		},
		"unknown policy": {
			args: []any{"GET /x\n", `{"policies":["no-such-policy"]}`}, name: "Error",
			messageContains: "no-such-policy",
		},
		"bad options": {
			args: []any{"GET /x\n", "{"}, name: "Error", messageContains: "options",
		},
		"non-string arguments": {
			args: []any{42, js.Null()}, name: "ScenarioError", wantPositionReported: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := api.Call("run", tt.args...)
			if !got.InstanceOf(js.Global().Get("Error")) {
				t.Fatalf("run(%v) = %s, want an Error", tt.args, got.Call("toString").String())
			}
			if n := got.Get("name").String(); n != tt.name {
				t.Errorf("name = %q, want %q", n, tt.name)
			}
			if msg := got.Get("message").String(); !strings.Contains(msg, tt.messageContains) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.messageContains)
			}
			if tt.detail != "" && got.Get("detail").String() != tt.detail {
				t.Errorf("detail = %q, want %q", got.Get("detail").String(), tt.detail)
			}
			line, col := got.Get("line"), got.Get("column")
			if !tt.wantPositionReported {
				if !line.IsUndefined() {
					t.Errorf("line = %v, want undefined for an error without a position", line)
				}
				return
			}
			if line.Type() != js.TypeNumber || col.Type() != js.TypeNumber {
				t.Fatalf("line, column = %v, %v, want numbers", line, col)
			}
			if tt.line != 0 && (line.Int() != tt.line || col.Int() != tt.column) {
				t.Errorf("position = %d:%d, want %d:%d", line.Int(), col.Int(), tt.line, tt.column)
			}
		})
	}
}

func TestCatalogs(t *testing.T) {
	t.Parallel()
	api := install(t, nil)
	var policies []simulator.PolicyInfo
	if err := json.Unmarshal([]byte(api.Call("policies").String()), &policies); err != nil {
		t.Fatalf("policies(): %v", err)
	}
	if !reflect.DeepEqual(policies, simulator.Policies()) {
		t.Errorf("policies() = %+v, want %+v", policies, simulator.Policies())
	}
	var presets []simulator.Preset
	if err := json.Unmarshal([]byte(api.Call("presets").String()), &presets); err != nil {
		t.Fatalf("presets(): %v", err)
	}
	if !reflect.DeepEqual(presets, simulator.Presets()) {
		t.Errorf("presets() differ from simulator.Presets()")
	}
}

func TestExitAndRelease(t *testing.T) {
	t.Parallel()
	var exits atomic.Int32
	name := "httpplayTest_exit"
	release := register(name, func() { exits.Add(1) })
	api := js.Global().Get(name)
	api.Call("exit")
	api.Call("exit")
	if n := exits.Load(); n != 1 {
		t.Errorf("onExit ran %d times, want once", n)
	}
	release()
	if g := js.Global().Get(name); !g.IsUndefined() {
		t.Errorf("globalThis.%s = %v after release, want undefined", name, g)
	}
}
