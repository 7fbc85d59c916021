package simulator

import (
	"errors"
	"fmt"
	"strings"
)

// MaxSteps bounds the requests of one scenario, so that a pasted file
// cannot make a host work without end.
const MaxSteps = 200

// MaxConstraints bounds the constraints a scenario declares (@unique,
// @immutable, @min, @ref, @isolation, and each field of @required): every
// request is checked against all of them, and realistic scenarios declare
// a handful.
const MaxConstraints = 100

// ErrTooManySteps is what an *Error for a scenario over MaxSteps wraps,
// so that hosts can tell the limit from other mistakes with errors.Is.
var ErrTooManySteps = errors.New("too many requests")

// Error is a problem in a scenario's text, with the position it refers to.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err is the kind of problem when a host may need to tell it apart
	// (ErrTooManySteps); nil for ordinary mistakes.
	Err error
}

// Unwrap returns the kind of problem, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// Error formats the problem as FILE:LINE:COL: message.
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "scenario"
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
}

// scenario is the parsed form of a scenario text.
type scenario struct {
	title       string
	description string
	decls       declarations
	policies    []policyDecl
	steps       []stepSpec
}

// hasRace tells whether any step is a race.
func (sc *scenario) hasRace() bool {
	for _, st := range sc.steps {
		if st.race != nil {
			return true
		}
	}
	return false
}

// declarations are the constraints a scenario puts on its world.
type declarations struct {
	unique    []uniqueDecl
	immutable []pattern
	min       []minDecl
	ref       []refDecl
	required  []requiredDecl
	isolation isolation
	// isolations, when the scenario names more than one, asks for a
	// column per policy and isolation.
	isolations []isolation
	// access is who may do what (principals.go).
	access accessDecls
}

type uniqueDecl struct {
	coll  pattern
	field string
}

type minDecl struct {
	coll pattern
	n    int
}

type refDecl struct {
	coll   pattern
	field  string
	target pattern
}

type requiredDecl struct {
	coll   pattern
	fields []fieldRule
}

// fieldRule is one field of @required, with an optional type.
type fieldRule struct {
	name string
	typ  string
}

type policyDecl struct {
	line, col int
	id        string
	json      string
	// policy is the definition as the parser read it, which the run uses
	// rather than reading it again.
	policy *Policy
}

// isolation says how a write interleaves with other requests of a race.
type isolation int

const (
	atomic isolation = iota
	checkThenAct
)

func parseIsolation(s string) (isolation, bool) {
	switch s {
	case "atomic":
		return atomic, true
	case "check-then-act":
		return checkThenAct, true
	}
	return 0, false
}

func (i isolation) String() string {
	if i == checkThenAct {
		return "check-then-act"
	}
	return "atomic"
}

// stepSpec is one row of the scenario: a request or a race.
type stepSpec struct {
	line int
	req  *requestSpec
	race *raceSpec
}

// raceSpec is a race block: clients whose requests run concurrently.
type raceSpec struct {
	line    int
	col     int
	clients []clientSpec
}

// clientSpec is one client of a race: a sequence of its own requests.
type clientSpec struct {
	line int
	name string
	reqs []*requestSpec
}

// requestSpec is a request as written, before {{name}} substitution.
type requestSpec struct {
	line, col int
	method    string
	path      string
	headers   []headerSpec
	body      string
	lets      []capture
	vars      bool // whether any part uses {{name}}
	resolved  *request
	// templates hold the path, body and header values split at their
	// {{name}} references, once, for the requests that have any.
	tpath, tbody template
	theaders     []template
}

// template is a text split at its {{name}} references: literal text and
// names in turn, so that substituting costs one pass over the parts
// rather than a search of the whole text for every reference.
type template []templatePart

type templatePart struct {
	text  string
	isVar bool // text is a variable name
}

// compileTemplate splits s as substitute would read it.
func compileTemplate(s string) template {
	var t template
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		if i > 0 {
			t = append(t, templatePart{text: s[:i]})
		}
		t = append(t, templatePart{text: strings.TrimSpace(s[i+2 : i+j]), isVar: true})
		s = s[i+j+2:]
	}
	if s != "" {
		t = append(t, templatePart{text: s})
	}
	return t
}

// scope is the values {{name}} may take: a client's own captures first,
// then, in a race, those made before it, which every client shares
// without a copy.
type scope struct {
	own, outer map[string]string
}

func (s scope) get(name string) string {
	if v, ok := s.own[name]; ok {
		return v
	}
	return s.outer[name]
}

// size is the length of the template's text with vars substituted.
func (t template) size(vars scope) int {
	n := 0
	for _, p := range t {
		if p.isVar {
			n += len(vars.get(p.text))
		} else {
			n += len(p.text)
		}
	}
	return n
}

// expand substitutes vars; n is what size returned.
func (t template) expand(vars scope, n int) string {
	var b strings.Builder
	b.Grow(n)
	for _, p := range t {
		if p.isVar {
			b.WriteString(vars.get(p.text))
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

type headerSpec struct {
	name, value string
}

// capture is a let line: it names a value of the response for later use.
type capture struct {
	line, col int
	name      string
	kind      string // header, body or status
	arg       string
}

// pattern is a collection path in which "*" matches any one segment.
type pattern []string

func parsePattern(s string) (pattern, bool) {
	if !strings.HasPrefix(s, "/") || len(s) < 2 {
		return nil, false
	}
	segs := strings.Split(strings.Trim(s, "/"), "/")
	for _, seg := range segs {
		if seg == "" {
			return nil, false
		}
	}
	return pattern(segs), true
}

// match reports whether the path segments match the pattern and returns
// what each "*" stood for.
func (p pattern) match(segs []string) ([]string, bool) {
	if len(segs) != len(p) {
		return nil, false
	}
	var stars []string
	for i, seg := range p {
		if seg == "*" {
			stars = append(stars, segs[i])
		} else if seg != segs[i] {
			return nil, false
		}
	}
	return stars, true
}

// fill replaces the pattern's stars, in order, with the given values; stars
// left over (when the target has more than the source) stay unmatched.
func (p pattern) fill(stars []string) (string, bool) {
	var b strings.Builder
	for _, seg := range p {
		b.WriteByte('/')
		if seg == "*" {
			if len(stars) == 0 {
				return "", false
			}
			seg, stars = stars[0], stars[1:]
		}
		b.WriteString(seg)
	}
	return b.String(), true
}

func (p pattern) String() string {
	return "/" + strings.Join(p, "/")
}
