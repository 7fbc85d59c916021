package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parser turns scenario text into a scenario. It reads line by line and
// reports the first problem with its line and column; it never panics.
type parser struct {
	file  string
	lines []string
	i     int // index of the next line
	sc    *scenario
	vars  varSet // names defined by let so far, outside races
	count int    // requests so far, for MaxSteps
	// policyLines maps each @policy id declared so far to its line.
	policyLines map[string]int
	// budget, when set, is checked every checkEvery lines, so that a very
	// long text (the page takes any size) stops at the run's deadline.
	budget *budget
	read   int // lines read since the last check
	// constraints counts the declared constraints, for MaxConstraints.
	constraints int
}

// checkEvery is how many lines the parser reads between deadline checks.
const checkEvery = 1024

// tick counts a line read and checks the deadline now and then.
func (p *parser) tick() error {
	p.read++
	if p.budget == nil || p.read < checkEvery {
		return nil
	}
	p.read = 0
	if err := p.budget.check(); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return limitAt(p.file, min(p.i+1, len(p.lines)), 1, le)
		}
		return err
	}
	return nil
}

// parse reads a scenario.
func parse(file, src string) (*scenario, error) {
	return parseWithin(file, src, nil)
}

// parseWithin reads a scenario within a run's budget.
func parseWithin(file, src string, b *budget) (*scenario, error) {
	src = strings.TrimPrefix(src, "\uFEFF")
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	p := &parser{file: file, lines: lines, sc: &scenario{}, vars: varSet{own: map[string]bool{}}, budget: b}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.sc, nil
}

func (p *parser) errorf(line, col int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{File: p.file, Line: line, Col: col, Msg: msg}
}

// token is a word of a line with its 1-based column in runes.
type token struct {
	text string
	col  int
}

func tokens(line string) []token {
	var out []token
	col := 1
	start, startCol := -1, 0
	for i, r := range line {
		if r == ' ' || r == '\t' {
			if start >= 0 {
				out = append(out, token{line[start:i], startCol})
				start = -1
			}
		} else if start < 0 {
			start, startCol = i, col
		}
		col++
	}
	if start >= 0 {
		out = append(out, token{line[start:], startCol})
	}
	return out
}

// indent is the column of the first non-blank rune of a line.
func indent(line string) int {
	return utf8.RuneCountInString(line) - utf8.RuneCountInString(strings.TrimLeft(line, " \t")) + 1
}

// bracketScanner follows the bracket depth of JSON text character by
// character, skipping brackets inside strings.
type bracketScanner struct {
	depth    int
	inString bool
	escaped  bool
}

func (b *bracketScanner) step(c rune) {
	switch {
	case b.escaped:
		b.escaped = false
	case b.inString && c == '\\':
		b.escaped = true
	case c == '"':
		b.inString = !b.inString
	case b.inString:
	case c == '{' || c == '[':
		b.depth++
	case c == '}' || c == ']':
		b.depth--
	}
}

// valueColumn is the 1-based column where a header line's value starts.
func valueColumn(raw string) int {
	colon := strings.IndexByte(raw, ':')
	rest := raw[colon+1:]
	start := colon + 1 + len(rest) - len(strings.TrimLeft(rest, " \t"))
	return utf8.RuneCountInString(raw[:start]) + 1
}

// dedent removes up to n leading blanks, so that a body indented with its
// request (inside a race block) is stored as if written at the margin.
func dedent(line string, n int) string {
	i := 0
	for i < len(line) && i < n && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return line[i:]
}

func blank(line string) bool { return strings.TrimSpace(line) == "" }

func (p *parser) run() error {
	seenContent := false
	for p.i < len(p.lines) {
		if err := p.tick(); err != nil {
			return err
		}
		lineNo := p.i + 1
		raw := p.lines[p.i]
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			p.i++
		case strings.HasPrefix(line, "#"):
			if !seenContent && p.sc.title == "" {
				p.sc.title = strings.TrimSpace(strings.TrimLeft(line, "#"))
				p.i++
				var desc []string
				for p.i < len(p.lines) {
					l := strings.TrimSpace(p.lines[p.i])
					if !strings.HasPrefix(l, "#") {
						break
					}
					desc = append(desc, strings.TrimSpace(strings.TrimPrefix(l, "#")))
					p.i++
				}
				p.sc.description = strings.TrimSpace(strings.Join(desc, " "))
			} else {
				p.i++
			}
			seenContent = true
		case strings.HasPrefix(line, "@"):
			seenContent = true
			if len(p.sc.steps) > 0 {
				return p.errorf(lineNo, indent(raw), "declarations must come before the first request")
			}
			if err := p.declaration(); err != nil {
				return err
			}
		case strings.HasPrefix(line, "let ") || line == "let":
			seenContent = true
			last := p.lastRequest()
			if last == nil {
				return p.errorf(lineNo, indent(raw), "let needs a request before it to capture from")
			}
			if err := p.lets(last, p.vars); err != nil {
				return err
			}
		case isRaceOpen(line):
			seenContent = true
			if err := p.race(); err != nil {
				return err
			}
		case line == "}":
			return p.errorf(lineNo, indent(raw), "unexpected \"}\": no race or client block is open")
		default:
			seenContent = true
			req, err := p.request(p.vars)
			if err != nil {
				return err
			}
			p.sc.steps = append(p.sc.steps, stepSpec{line: req.line, req: req})
		}
	}
	if len(p.sc.steps) == 0 {
		return p.errorf(len(p.lines), 1, "the scenario has no request: write one as \"METHOD /path\", e.g. \"GET /users\"")
	}
	return nil
}

// lastRequest is the request that a following let line captures from.
func (p *parser) lastRequest() *requestSpec {
	if n := len(p.sc.steps); n > 0 {
		return p.sc.steps[n-1].req
	}
	return nil
}

func isRaceOpen(line string) bool {
	rest, ok := strings.CutPrefix(line, "race")
	return ok && strings.TrimSpace(rest) == "{"
}

var declUsage = map[string]string{
	"@unique":    "@unique COLLECTION FIELD",
	"@immutable": "@immutable COLLECTION",
	"@min":       "@min COLLECTION N",
	"@ref":       "@ref COLLECTION FIELD TARGET-COLLECTION",
	"@required":  "@required COLLECTION FIELD[:TYPE]...",
	"@isolation": "@isolation atomic|check-then-act [the other]",
	"@policy":    "@policy ID, followed by the policy's JSON on the next lines",
}

var fieldTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true,
	"object": true, "array": true, "email": true,
}

func (p *parser) declaration() error {
	lineNo := p.i + 1
	toks := tokens(p.lines[p.i])
	p.i++
	name, args := toks[0], toks[1:]
	if handled, err := p.accessDeclaration(lineNo, name, args); handled {
		return err
	}
	usage, known := declUsage[name.text]
	if !known {
		return p.errorf(lineNo, name.col, "unknown declaration %q: expected @unique, @immutable, @min, @ref, @required, @isolation, @policy, @users, @auth, @owner, @acl or @private", name.text)
	}
	// Every request is checked against every constraint, so their number
	// bounds the work of each step; @policy declarations are columns,
	// bounded apart. Each field of @required counts as one.
	if name.text != "@policy" {
		p.constraints += max(1, len(args)-1)
		if p.constraints > MaxConstraints {
			return limitAt(p.file, lineNo, name.col, &LimitError{Limit: LimitConstraints, Max: MaxConstraints,
				Msg: fmt.Sprintf("too many declarations: a scenario may declare at most %d constraints (each field of @required counts as one)", MaxConstraints)})
		}
	}
	wantArgs := map[string]int{"@unique": 2, "@immutable": 1, "@min": 2, "@ref": 3, "@policy": 1}
	if n, fixed := wantArgs[name.text]; fixed && len(args) != n {
		return p.errorf(lineNo, name.col, "%s takes %d argument(s): %s", name.text, n, usage)
	}
	if name.text == "@isolation" && (len(args) < 1 || len(args) > 2) {
		return p.errorf(lineNo, name.col, "@isolation takes one or two of atomic and check-then-act: %s", usage)
	}
	if name.text == "@required" && len(args) < 2 {
		return p.errorf(lineNo, name.col, "@required needs a collection and at least one field: %s", usage)
	}
	coll := func(t token) (pattern, error) {
		pt, ok := parsePattern(t.text)
		if !ok {
			return nil, p.errorf(lineNo, t.col, "%q is not a collection path: write it as /name or /name/*/sub", t.text)
		}
		return pt, nil
	}
	d := &p.sc.decls
	switch name.text {
	case "@unique":
		c, err := coll(args[0])
		if err != nil {
			return err
		}
		d.unique = append(d.unique, uniqueDecl{c, args[1].text})
	case "@immutable":
		c, err := coll(args[0])
		if err != nil {
			return err
		}
		d.immutable = append(d.immutable, c)
	case "@min":
		c, err := coll(args[0])
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(args[1].text)
		if err != nil || n < 0 || n > 1000000 {
			return p.errorf(lineNo, args[1].col, "%q is not a count: @min takes a whole number from 0 to 1000000", args[1].text)
		}
		d.min = append(d.min, minDecl{c, n})
	case "@ref":
		c, err := coll(args[0])
		if err != nil {
			return err
		}
		t, err := coll(args[2])
		if err != nil {
			return err
		}
		d.ref = append(d.ref, refDecl{c, args[1].text, t})
	case "@required":
		c, err := coll(args[0])
		if err != nil {
			return err
		}
		rd := requiredDecl{coll: c}
		for _, a := range args[1:] {
			f, typ, hasType := strings.Cut(a.text, ":")
			if f == "" {
				return p.errorf(lineNo, a.col, "empty field name in @required")
			}
			if hasType && !fieldTypes[typ] {
				return p.errorf(lineNo, a.col, "unknown type %q: use string, number, integer, boolean, object, array or email", typ)
			}
			rd.fields = append(rd.fields, fieldRule{f, typ})
		}
		d.required = append(d.required, rd)
	case "@isolation":
		d.isolations = nil
		for _, a := range args {
			iso, ok := parseIsolation(a.text)
			if !ok {
				return p.errorf(lineNo, a.col, "unknown isolation %q: use atomic or check-then-act", a.text)
			}
			d.isolations = append(d.isolations, iso)
		}
		d.isolation = d.isolations[0]
	case "@policy":
		return p.policyDecl(lineNo, args[0])
	}
	return nil
}

// policyDecl reads the JSON that follows "@policy ID", up to a blank line.
func (p *parser) policyDecl(lineNo int, id token) error {
	if !validPolicyID(id.text) {
		return p.errorf(lineNo, id.col, "policy id %q: use lower-case letters, digits and dashes", id.text)
	}
	start := p.i
	for p.i < len(p.lines) && !blank(p.lines[p.i]) {
		p.i++
	}
	text := strings.Join(p.lines[start:p.i], "\n")
	if strings.TrimSpace(text) == "" {
		return p.errorf(lineNo, id.col, "@policy %s needs its JSON definition on the following lines", id.text)
	}
	pol, perr := parsePolicyCached(text, id.text)
	if perr != nil {
		// The position is the member to blame inside the definition, which
		// starts at the margin of line start+1.
		return p.errorf(start+perr.line, perr.col, "policy %s: %s", id.text, perr.err.Error())
	}
	if first, dup := p.policyLines[id.text]; dup {
		return p.errorf(lineNo, id.col, "policy %s is declared twice (first on line %d)", id.text, first)
	}
	if p.policyLines == nil {
		p.policyLines = map[string]int{}
	}
	p.policyLines[id.text] = lineNo
	p.sc.policies = append(p.sc.policies, policyDecl{line: lineNo, col: id.col, id: id.text, json: text, policy: pol})
	return nil
}

// jsonErrorPos guesses where invalid JSON goes wrong: the first position at
// which a prefix stops being completable is hard to know without a full
// parser, so it points at the end of the longest valid-looking prefix of
// balanced lines, which is where editors show such errors too.
func jsonErrorPos(text string) (line, col int) {
	var b bracketScanner
	line, col = 1, 0
	lastLine, lastCol := 1, 1
	for _, r := range text {
		col++
		b.step(r)
		if b.depth < 0 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 0
			if b.inString {
				return line - 1, lastCol
			}
		} else if r != ' ' && r != '\t' {
			lastLine, lastCol = line, col
		}
	}
	return lastLine, lastCol
}

func validPolicyID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// request reads a request block: the request line, header lines, a body up
// to a blank line, and let lines.
func (p *parser) request(vars varSet) (*requestSpec, error) {
	lineNo := p.i + 1
	raw := p.lines[p.i]
	toks := tokens(raw)
	method := toks[0]
	if !isToken(method.text) {
		return nil, p.errorf(lineNo, method.col, "expected a request line \"METHOD /path\", a declaration (@...), let, race { or a # comment")
	}
	if up := strings.ToUpper(method.text); up != method.text {
		if knownMethods[up] {
			return nil, p.errorf(lineNo, method.col, "methods are case-sensitive: write %s", up)
		}
		return nil, p.errorf(lineNo, method.col, "expected a request line \"METHOD /path\" with an upper-case method, got %q", method.text)
	}
	if len(toks) < 2 {
		return nil, p.errorf(lineNo, method.col+len(method.text), "%s needs a path, e.g. \"%s /users\"", method.text, method.text)
	}
	path := toks[1]
	// A path may also be a captured value, such as a Location header.
	if !strings.HasPrefix(path.text, "/") && !strings.HasPrefix(path.text, "{{") {
		return nil, p.errorf(lineNo, path.col, "the path must start with \"/\" (or be a captured {{name}})")
	}
	if len(toks) > 3 || len(toks) == 3 && !strings.HasPrefix(toks[2].text, "HTTP/") {
		return nil, p.errorf(lineNo, toks[2].col, "unexpected %q after the path: write one request per line as \"METHOD /path\"", toks[2].text)
	}
	p.count++
	if p.count > MaxSteps {
		err := p.errorf(lineNo, method.col, "too many requests: a scenario may have at most %d", MaxSteps)
		err.Err = ErrTooManySteps
		return nil, err
	}
	req := &requestSpec{line: lineNo, col: method.col, method: method.text, path: path.text}
	if err := p.checkVars(path.text, lineNo, path.col, vars); err != nil {
		return nil, err
	}
	p.i++
	var body []string
	var brackets bracketScanner // open JSON brackets in the body so far
	for p.i < len(p.lines) {
		if err := p.tick(); err != nil {
			return nil, err
		}
		raw := p.lines[p.i]
		line := strings.TrimSpace(raw)
		n := p.i + 1
		// A "}" line closes a race or client block only when the body's
		// own brackets are balanced; otherwise it ends a pretty-printed
		// JSON body.
		if line == "" || line == "}" && brackets.depth <= 0 || isRaceOpen(line) && body == nil {
			break
		}
		if strings.HasPrefix(line, "let ") || line == "let" {
			break
		}
		if body == nil && strings.HasPrefix(line, "#") {
			p.i++
			continue
		}
		if body == nil {
			if name, value, ok := headerLine(line); ok {
				if err := p.checkVars(value, n, valueColumn(raw), vars); err != nil {
					return nil, err
				}
				if k := strings.IndexAny(value, "\r\x00"); k >= 0 {
					return nil, p.errorf(n, valueColumn(raw)+utf8.RuneCountInString(value[:k]),
						"the value of %s holds a %s, which no header value may (RFC 9110 §5.5)", canonicalHeader(name), ctlName(value[k]))
				}
				req.headers = append(req.headers, headerSpec{canonicalHeader(name), value})
				p.i++
				continue
			}
			if isRequestLine(line) {
				return nil, p.errorf(n, indent(raw), "a blank line must separate two requests")
			}
			if m, ok := looksLikeRequestLine(line); ok && !textBody(req.headers) {
				// A body that starts like "post /b" or "BREW /b" is far more
				// likely a request missing its blank line than content.
				hint := "methods are case-sensitive: write " + strings.ToUpper(m)
				if strings.ToUpper(m) == m {
					hint = "a body cannot start with a line that is a request"
				}
				return nil, p.errorf(n, indent(raw), "a blank line must separate two requests (%s)", hint)
			}
			if msg := misspeltHeader(line); msg != "" && !textBody(req.headers) {
				return nil, p.errorf(n, indent(raw), "%s", msg)
			}
		}
		if body != nil && brackets.depth <= 0 && !brackets.inString && isRequestLine(line) {
			// The body so far is complete, so this line starts the next
			// request rather than continuing the body.
			return nil, p.errorf(n, indent(raw), "a blank line must separate two requests: add one before %q, or the body of line %d swallows it", line, req.line)
		}
		if err := p.checkVars(raw, n, 1, vars); err != nil {
			return nil, err
		}
		body = append(body, dedent(raw, req.col-1))
		for _, c := range line {
			brackets.step(c)
		}
		p.i++
	}
	if body != nil {
		req.body = strings.Join(body, "\n")
	}
	req.vars = strings.Contains(req.path, "{{") || strings.Contains(req.body, "{{")
	for _, h := range req.headers {
		req.vars = req.vars || strings.Contains(h.value, "{{")
	}
	if req.vars {
		req.tpath, req.tbody = compileTemplate(req.path), compileTemplate(req.body)
		for _, h := range req.headers {
			req.theaders = append(req.theaders, compileTemplate(h.value))
		}
	}
	if p.i < len(p.lines) && strings.HasPrefix(strings.TrimSpace(p.lines[p.i]), "let") {
		if err := p.lets(req, vars); err != nil {
			return nil, err
		}
	}
	return req, nil
}

var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true, "TRACE": true, "CONNECT": true,
}

// looksLikeRequestLine reports whether a line has the shape of a request
// line whose method is not one knownMethods has: a word of letters, then a
// path.
func looksLikeRequestLine(line string) (string, bool) {
	toks := tokens(line)
	if len(toks) < 2 || len(toks) > 3 || !strings.HasPrefix(toks[1].text, "/") || knownMethods[toks[0].text] {
		return "", false
	}
	for _, c := range toks[0].text {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return "", false
		}
	}
	return toks[0].text, true
}

func isRequestLine(line string) bool {
	toks := tokens(line)
	return len(toks) >= 2 && knownMethods[toks[0].text] && strings.HasPrefix(toks[1].text, "/")
}

// isToken reports whether s is an RFC 9110 token (method names are tokens).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar(s[i]) {
			return false
		}
	}
	return true
}

func tchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// headerLine splits "Name: value" when the name is a token.
func headerLine(line string) (name, value string, ok bool) {
	name, value, found := strings.Cut(line, ":")
	if !found || !isToken(name) {
		return "", "", false
	}
	return name, strings.TrimSpace(value), true
}

// ctlName names a control character for an error message.
func ctlName(c byte) string {
	switch c {
	case '\r':
		return "carriage return (CR)"
	case '\n':
		return "line feed (LF)"
	case 0:
		return "NUL byte"
	}
	return fmt.Sprintf("control character %q", c)
}

// commonHeaders are request header names a scenario is likely to send,
// in canonical form. misspeltHeader only objects to these, because a body
// need not be JSON and may well start with "word word: text".
var commonHeaders = map[string]bool{
	"Accept": true, "Accept-Language": true, "Authorization": true, "Cache-Control": true,
	"Content-Language": true, "Content-Length": true, "Content-Type": true, "Cookie": true,
	"Idempotency-Key": true, "If-Match": true, "If-Modified-Since": true, "If-None-Match": true,
	"If-Range": true, "If-Unmodified-Since": true, "Origin": true, "Prefer": true, "Range": true,
	"User-Agent": true,
}

// misspeltHeader explains why a line that would start the body looks like
// a header line gone wrong: a well-known name written with spaces for its
// hyphens, or with space before the colon, which RFC 9112 §5.1 forbids.
// Taken as the body, it would silently turn the request into another.
func misspeltHeader(line string) string {
	name, _, found := strings.Cut(line, ":")
	if !found || strings.ContainsAny(name, "{[\"") {
		return ""
	}
	trimmed := strings.TrimRight(name, " \t")
	words := strings.Fields(trimmed)
	if len(words) == 0 {
		return ""
	}
	for _, w := range words {
		if !isToken(w) {
			return ""
		}
	}
	joined := canonicalHeader(strings.Join(words, "-"))
	if !commonHeaders[joined] {
		return ""
	}
	const textHint = " (a text body that starts like this needs a Content-Type header that is not JSON before it)"
	if len(words) > 1 {
		return fmt.Sprintf("%q is not a header name: names have no spaces (RFC 9110 §5.1); write %s:%s", trimmed, joined, textHint)
	}
	return fmt.Sprintf("no space is allowed between a header name and its colon (RFC 9112 §5.1); write %s:%s", joined, textHint)
}

// textBody tells whether the headers so far declare a body that is not
// JSON, where a line like "User agent: curl" is plausible text.
func textBody(headers []headerSpec) bool {
	for _, h := range headers {
		if h.name == "Content-Type" && !strings.Contains(strings.ToLower(h.value), "json") {
			return true
		}
	}
	return false
}

// headerSpellings keeps the registered spelling of names whose
// registered form is not plain title case.
var headerSpellings = map[string]string{"Etag": "ETag", "Www-Authenticate": "WWW-Authenticate"}

// canonicalHeader writes a header name in title case (Content-Type,
// Idempotency-Key), with the registered spelling of ETag and
// WWW-Authenticate, without importing net/http.
func canonicalHeader(name string) string {
	b := []byte(strings.ToLower(name))
	upper := true
	for i, c := range b {
		if upper && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		upper = c == '-'
	}
	if s, ok := headerSpellings[string(b)]; ok {
		return s
	}
	return string(b)
}

// lets reads consecutive let lines and attaches them to req.
func (p *parser) lets(req *requestSpec, vars varSet) error {
	for p.i < len(p.lines) {
		if err := p.tick(); err != nil {
			return err
		}
		raw := p.lines[p.i]
		line := strings.TrimSpace(raw)
		if !strings.HasPrefix(line, "let ") && line != "let" {
			return nil
		}
		n := p.i + 1
		toks := tokens(raw)
		usage := "write let NAME = header Header-Name, let NAME = body PATH or let NAME = status"
		if len(toks) < 4 || toks[2].text != "=" {
			return p.errorf(n, toks[0].col, "incomplete let: %s", usage)
		}
		name := toks[1]
		if !validVarName(name.text) {
			return p.errorf(n, name.col, "%q is not a name: use letters, digits and _, starting with a letter", name.text)
		}
		c := capture{line: n, col: name.col, name: name.text, kind: toks[3].text}
		switch c.kind {
		case "header":
			if len(toks) != 5 || !isToken(toks[4].text) {
				return p.errorf(n, toks[3].col, "let %s = header needs one header name, e.g. header ETag", name.text)
			}
			c.arg = canonicalHeader(toks[4].text)
		case "body":
			if len(toks) < 5 {
				return p.errorf(n, toks[3].col, "let %s = body needs a path into the JSON body, e.g. body id", name.text)
			}
			c.arg = strings.TrimSpace(raw[strings.Index(raw, "body")+4:])
		case "status":
			if len(toks) != 4 {
				return p.errorf(n, toks[4].col, "let %s = status takes nothing after status", name.text)
			}
		default:
			return p.errorf(n, toks[3].col, "unknown capture %q: %s", c.kind, usage)
		}
		req.lets = append(req.lets, c)
		vars.own[c.name] = true
		p.i++
	}
	return nil
}

func validVarName(s string) bool {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !(letter || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// varSet is the names a request may use: its client's own captures and,
// inside a race, those made before it. A client's names are kept apart
// from the outer ones rather than copied with them, so that a race after
// many let lines costs its own requests only.
type varSet struct {
	own, outer map[string]bool
}

func (v varSet) has(name string) bool { return v.own[name] || v.outer[name] }

// inner is the set for a client of a race: the names so far, and its own.
func (v varSet) inner() varSet {
	return varSet{own: map[string]bool{}, outer: v.own}
}

// checkVars verifies that every {{name}} in text was defined by a let.
// The column is counted as it goes, so that a line of many references
// costs its length once rather than once per reference.
func (p *parser) checkVars(text string, line, col int, vars varSet) error {
	rest := text
	at := col
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return nil
		}
		at += utf8.RuneCountInString(rest[:i])
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return p.errorf(line, at, "unclosed {{: write {{name}}")
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		if !vars.has(name) {
			if !validVarName(name) {
				return p.errorf(line, at, "{{%s}} is not a variable name", name)
			}
			return p.errorf(line, at, "{{%s}} is not defined: capture it first with let %s = ...", name, name)
		}
		at += utf8.RuneCountInString(rest[i : i+j+2])
		rest = rest[i+j+2:]
	}
}

// race reads a race block: single requests (each its own client) and
// client NAME { ... } sequences, closed by a line "}".
func (p *parser) race() error {
	open := p.i + 1
	raw := p.lines[p.i]
	p.i++
	rs := &raceSpec{line: open, col: indent(raw)}
	names := map[string]int{}
	for {
		if p.i >= len(p.lines) {
			return p.errorf(open, indent(raw), "race { is never closed: end it with a line \"}\"")
		}
		lraw := p.lines[p.i]
		line := strings.TrimSpace(lraw)
		n := p.i + 1
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			p.i++
		case line == "}":
			p.i++
			if len(rs.clients) < 2 {
				return p.errorf(open, indent(raw), "a race needs at least two requests or clients")
			}
			p.sc.steps = append(p.sc.steps, stepSpec{line: open, race: rs})
			return nil
		case isRaceOpen(line):
			return p.errorf(n, indent(lraw), "races cannot be nested")
		case strings.HasPrefix(line, "@"):
			return p.errorf(n, indent(lraw), "declarations must come before the first request")
		case strings.HasPrefix(line, "let ") || line == "let":
			return p.errorf(n, indent(lraw), "let inside a race must belong to a client: use client NAME { ... }")
		case strings.HasPrefix(line, "client ") || line == "client":
			toks := tokens(lraw)
			if len(toks) != 3 || toks[2].text != "{" || !validVarName(toks[1].text) {
				return p.errorf(n, indent(lraw), "write a client as \"client NAME {\", its requests, then \"}\"")
			}
			if first, dup := names[toks[1].text]; dup {
				return p.errorf(n, toks[1].col, "client %s is already declared on line %d", toks[1].text, first)
			}
			names[toks[1].text] = n
			c, err := p.client(toks[1].text, n, indent(lraw))
			if err != nil {
				return err
			}
			rs.clients = append(rs.clients, c)
		default:
			// Each lone request is its own client; its captures stay its own.
			local := p.vars.inner()
			req, err := p.request(local)
			if err != nil {
				return err
			}
			name := "c" + strconv.Itoa(len(rs.clients)+1)
			rs.clients = append(rs.clients, clientSpec{line: req.line, name: name, reqs: []*requestSpec{req}})
		}
	}
}

// client reads the requests of one client of a race, up to its "}".
func (p *parser) client(name string, open, col int) (clientSpec, error) {
	p.i++
	c := clientSpec{line: open, name: name}
	local := p.vars.inner()
	for {
		if p.i >= len(p.lines) {
			return c, p.errorf(open, col, "client %s { is never closed: end it with a line \"}\"", name)
		}
		raw := p.lines[p.i]
		line := strings.TrimSpace(raw)
		n := p.i + 1
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			p.i++
		case line == "}":
			p.i++
			if len(c.reqs) == 0 {
				return c, p.errorf(open, col, "client %s has no request", name)
			}
			return c, nil
		case strings.HasPrefix(line, "let ") || line == "let":
			if len(c.reqs) == 0 {
				return c, p.errorf(n, indent(raw), "let needs a request before it to capture from")
			}
			if err := p.lets(c.reqs[len(c.reqs)-1], local); err != nil {
				return c, err
			}
		case isRaceOpen(line) || strings.HasPrefix(line, "client ") || strings.HasPrefix(line, "@"):
			return c, p.errorf(n, indent(raw), "only requests and let lines may stand inside a client block")
		default:
			req, err := p.request(local)
			if err != nil {
				return c, err
			}
			p.implyCredential(req, name)
			c.reqs = append(c.reqs, req)
		}
	}
}
