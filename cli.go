package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/httpplay/httpplay/simulator"
)

const usage = `httpplay: a playground for HTTP semantics

Usage:
  httpplay run [--policies a,b,...|all] [--format table|json|markdown]
               [--isolation atomic,check-then-act] [--max-states N]
               [--timeout 10s] [--policy-file F]... FILE|-|preset:NAME
  httpplay policies [--format table|json]
  httpplay presets [--format table|json]
  httpplay serve [--addr HOST:PORT] [--web DIR]
  httpplay render [--check|-w] [--format table|html|json] [--policies a,b]
                  [--playground URL] [--mdbook] [FILE...]
  httpplay mock --policy ID [--declare FILE] [--addr HOST:PORT]
                [--policy-file F] [--isolation atomic|check-then-act]
  httpplay check --base URL [--policies a,b,...|all] [--expect ID]
                 [--format table|json|markdown|junit] [--timeout 10s]
                 [--repeat N --reset PATH] [--policy-file F]... SCENARIO

run plays a scenario (a file, - for standard input, or a built-in preset)
against each policy and prints the matrix. Exit status: 0 done, 1 the
scenario has an error or goes past a limit (printed as FILE:LINE:COL:
message), 2 usage error. A race still being explored at the deadline
shows what it found, marked incomplete.
`

// runCLI dispatches a command line and returns the exit status.
func runCLI(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdin, stdout, stderr)
	case "policies":
		return listCommand("policies", args[1:], stdout, stderr)
	case "presets":
		return listCommand("presets", args[1:], stdout, stderr)
	case "serve":
		return serveCommand(args[1:], stdout, stderr)
	case "render":
		return renderCommand(args[1:], stdin, stdout, stderr)
	case "mock":
		return mockCommand(args[1:], stdout, stderr)
	case "check":
		return checkCommand(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "httpplay: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseInterleaved lets flags follow the positional arguments, as in
// "httpplay run preset:x --format json", which flag.Parse alone refuses.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "-" || !strings.HasPrefix(args[0], "-") {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		return append(pos, args...), nil
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newFlags makes a command's flag set: errors go to stderr, and -h prints
// the command's usage text and then its flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// usageStatus is the exit status of a flag error: 0 when -h asked for the
// usage, 2 otherwise.
func usageStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policies := fs.String("policies", "", "comma-separated policy ids, or all (default: the seven core policies)")
	format := fs.String("format", "table", "output format: table, json or markdown")
	isolation := fs.String("isolation", "", "how races interleave writes: atomic, check-then-act, or both (default: the scenario's @isolation, else atomic)")
	maxStates := fs.Int("max-states", simulator.DefaultMaxStates, "states a race may explore per column")
	timeout := fs.Duration("timeout", simulator.DefaultTimeout, "how long the run may take; races still exploring then show what they found")
	var policyFiles multiFlag
	fs.Var(&policyFiles, "policy-file", "a JSON file defining a custom policy (repeatable)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "httpplay run: give exactly one scenario: a file, - for standard input, or preset:NAME")
		return 2
	}
	if *format != "table" && *format != "json" && *format != "markdown" {
		fmt.Fprintf(stderr, "httpplay run: unknown format %q: use table, json or markdown\n", *format)
		return 2
	}
	name, text, err := readScenario(pos[0], stdin)
	if err != nil {
		fmt.Fprintln(stderr, termSafe("httpplay run: "+err.Error()))
		return 2
	}
	if *maxStates < 1 {
		fmt.Fprintln(stderr, "httpplay run: --max-states must be at least 1")
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "httpplay run: --timeout must be positive, such as 10s or 1m")
		return 2
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cliMemoryLimit)
	}
	opts := simulator.Options{File: name, MaxStates: *maxStates, Timeout: *timeout}
	var progress progressLine
	if isCharDevice(stderr) {
		progress.w = stderr
		opts.Progress = progress.show
	}
	if *policies != "" {
		opts.Policies = strings.Split(*policies, ",")
	}
	if *isolation != "" {
		opts.Isolation = strings.Split(*isolation, ",")
	}
	for _, f := range policyFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, termSafe("httpplay run: "+err.Error()))
			return 2
		}
		opts.PolicyJSON = append(opts.PolicyJSON, string(data))
	}
	res, err := simulator.Run(text, opts)
	progress.clear()
	if err != nil {
		var serr *simulator.Error
		if errors.As(err, &serr) {
			fmt.Fprintln(stderr, termSafe(serr.Error()))
			return 1
		}
		var perr *simulator.PolicyError
		if errors.As(err, &perr) && perr.Index < len(policyFiles) {
			fmt.Fprintln(stderr, termSafe(fmt.Sprintf("%s:%d:%d: %v", policyFiles[perr.Index], perr.Line, perr.Col, perr.Err)))
			return 2
		}
		var lerr *simulator.LimitError
		if errors.As(err, &lerr) {
			fmt.Fprintln(stderr, termSafe("httpplay run: "+lerr.Error()))
			return 1
		}
		fmt.Fprintln(stderr, termSafe("httpplay run: "+err.Error()))
		return 2
	}
	switch *format {
	case "json":
		_, err = stdout.Write(res.JSON())
	case "markdown":
		_, err = io.WriteString(stdout, markdownMatrix(res))
	default:
		_, err = io.WriteString(stdout, tableMatrix(res, isTerminal(stdout)))
	}
	if err != nil {
		fmt.Fprintf(stderr, "httpplay run: %v\n", err)
		return 1
	}
	return 0
}

// readScenario loads a scenario from a file, standard input or a preset.
func readScenario(arg string, stdin io.Reader) (name, text string, err error) {
	switch {
	case arg == "-":
		data, err := io.ReadAll(io.LimitReader(stdin, maxScenarioBytes+1))
		if err == nil && len(data) > maxScenarioBytes {
			err = fmt.Errorf("standard input is larger than %d MiB; a scenario is at most %d requests", maxScenarioBytes>>20, simulator.MaxSteps)
		}
		return "stdin", string(data), err
	case strings.HasPrefix(arg, "preset:"):
		p, ok := simulator.PresetByName(arg)
		if !ok {
			names := []string{}
			for _, p := range simulator.Presets() {
				names = append(names, p.Name)
			}
			return "", "", fmt.Errorf("unknown preset %q (known: %s)", strings.TrimPrefix(arg, "preset:"), strings.Join(names, ", "))
		}
		return arg, p.Text, nil
	}
	if st, err := os.Stat(arg); err == nil && st.Size() > maxScenarioBytes {
		return "", "", fmt.Errorf("%s is larger than %d MiB; a scenario is at most %d requests", arg, maxScenarioBytes>>20, simulator.MaxSteps)
	}
	data, err := os.ReadFile(arg)
	return arg, string(data), err
}

// cliMemoryLimit is the heap size past which the collector works harder
// (runtime/debug.SetMemoryLimit) rather than let the heap double: races
// keep up to a few hundred MiB live, and the collector's usual headroom
// would take the process past twice that. GOMEMLIMIT overrides it.
const cliMemoryLimit = 512 << 20

// maxScenarioBytes bounds what the CLI reads: far more than 200 requests
// need, so that a wrong file is refused rather than read whole.
const maxScenarioBytes = 4 << 20

func listCommand(what string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "output format: table or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*format != "table" && *format != "json") {
		fmt.Fprintf(stderr, "httpplay %s: takes only --format table|json\n", what)
		return 2
	}
	var rows [][]string
	var v any
	if what == "policies" {
		list := simulator.Policies()
		v = list
		rows = append(rows, []string{"ID", "NAME", "KIND", "SUMMARY"})
		for _, p := range list {
			kind := "core"
			if p.Guideline {
				kind = "guideline"
			}
			if p.Default {
				kind += ", default"
			}
			rows = append(rows, []string{p.ID, p.Name, kind, p.Summary})
		}
	} else {
		list := simulator.Presets()
		v = list
		rows = append(rows, []string{"NAME", "TITLE"})
		for _, p := range list {
			rows = append(rows, []string{p.Name, p.Title})
		}
	}
	if *format == "json" {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	io.WriteString(stdout, alignRows(rows, nil))
	return 0
}

// isTerminal reports whether w is a character device, so that colour is
// only sent to people and never into files or pipes.
func isTerminal(w io.Writer) bool {
	return isCharDevice(w) && os.Getenv("NO_COLOR") == ""
}

// isCharDevice reports whether w is a terminal (or another character
// device), where a progress line can be drawn and cleared.
func isCharDevice(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressDelay is how long a run goes before it shows its progress:
// shorter runs finish before anyone wonders.
const progressDelay = time.Second

// progressLine draws how far a run has come on one line of a terminal,
// redrawn in place and cleared at the end. The simulator calls show from
// one goroutine at a time.
type progressLine struct {
	w     io.Writer
	drawn bool
}

func (p *progressLine) show(pr simulator.Progress) {
	if p.w == nil || pr.Elapsed < progressDelay {
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%d of %d columns done, %s states explored, %.1f s left",
		pr.ColumnsDone, pr.Columns, groupThousands(pr.States), pr.Left.Seconds())
	p.drawn = true
}

// clear removes the line, if it was drawn.
func (p *progressLine) clear() {
	if p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// groupThousands writes 1234567 as "1 234 567", as the results do.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
