package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// jsonMember is a member of an object in JSON text: the names from the
// root down to it, and the byte offset of its name's opening quote.
type jsonMember struct {
	path []string
	off  int
}

// jsonMembers lists the members of every object in valid JSON text, in
// the order they appear, in one pass. A member whose name its object
// already has is returned as dup: gjson would silently read the first.
func jsonMembers(text string) (members []jsonMember, dup *jsonMember) {
	type frame struct {
		obj       bool
		expectKey bool
		key       string // the member whose value is being read
		path      []string
		names     map[string]bool
	}
	var stack []*frame
	push := func(obj bool) {
		var path []string
		if n := len(stack); n > 0 {
			top := stack[n-1]
			name := top.key
			if !top.obj {
				name = "[]"
			}
			path = append(append([]string(nil), top.path...), name)
		}
		stack = append(stack, &frame{obj: obj, expectKey: obj, path: path, names: map[string]bool{}})
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '{', '[':
			push(c == '{')
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case '"':
			start := i
			for i++; i < len(text) && text[i] != '"'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
			n := len(stack)
			if n == 0 || !stack[n-1].obj || !stack[n-1].expectKey {
				continue
			}
			top := stack[n-1]
			name, err := strconv.Unquote(text[start:min(i+1, len(text))])
			if err != nil {
				name = text[start+1 : min(i, len(text))]
			}
			m := jsonMember{path: append(append([]string(nil), top.path...), name), off: start}
			if top.names[name] && dup == nil {
				dup = &m
			}
			top.names[name] = true
			top.expectKey, top.key = false, name
			members = append(members, m)
		}
	}
	return members, dup
}

// lineCol turns a byte offset of text into a line and a column (in
// runes), both counted from 1.
func lineCol(text string, off int) (line, col int) {
	off = min(max(0, off), len(text))
	before := text[:off]
	line = 1 + strings.Count(before, "\n")
	if nl := strings.LastIndexByte(before, '\n'); nl >= 0 {
		before = before[nl+1:]
	}
	return line, utf8.RuneCountInString(before) + 1
}

// blameMember finds the member a policy error is about: the deepest one
// whose every name the message mentions (quoted or as a word), the first
// of those in the text. The errors of parsePolicyJSON name the members
// they are about this way ("rules: duplicate/POST: status must be ...").
func blameMember(members []jsonMember, msg string) (jsonMember, bool) {
	// A list of what is allowed, "(known: status, headers, ...)", names no
	// member of this definition.
	if i := strings.Index(msg, " (known: "); i >= 0 {
		if j := strings.IndexByte(msg[i:], ')'); j >= 0 {
			msg = msg[:i] + msg[i+j+1:]
		}
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(msg, func(r rune) bool { return r == ' ' || r == ':' || r == ',' || r == '(' || r == ')' }) {
		words[w] = true
		if u, err := strconv.Unquote(w); err == nil {
			words[u] = true
		}
	}
	for rest := msg; ; {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		q, err := strconv.QuotedPrefix(rest[i:])
		if err != nil {
			break
		}
		if u, err := strconv.Unquote(q); err == nil {
			words[u] = true
		}
		rest = rest[i+len(q):]
	}
	mentioned := func(name string) bool {
		if words[name] {
			return true
		}
		base, _, qualified := strings.Cut(name, "/")
		return qualified && words[base]
	}
	var best jsonMember
	found := false
	for _, m := range members {
		all := true
		for _, name := range m.path {
			if name != "[]" && !mentioned(name) {
				all = false
				break
			}
		}
		if all && len(m.path) > len(best.path) {
			best, found = m, true
		}
	}
	return best, found
}

// policyTextError is a problem with a custom policy's JSON, with the byte
// offset, line and column (from 1) it is about.
type policyTextError struct {
	off, line, col int
	err            error
}

func (e *policyTextError) Error() string {
	return fmt.Sprintf("line %d, column %d: %v", e.line, e.col, e.err)
}

func (e *policyTextError) Unwrap() error { return e.err }

// parsePolicyText is parsePolicyJSON with the position of the problem:
// the first syntax error, a duplicate member, or the member the error of
// parsePolicyJSON names (the start of the text when it names none).
func parsePolicyText(text, id string) (*Policy, *policyTextError) {
	at := func(off int, err error) *policyTextError {
		line, col := lineCol(text, off)
		return &policyTextError{off: off, line: line, col: col, err: err}
	}
	if !gjson.Valid(text) {
		line, col := jsonErrorPos(text)
		return nil, &policyTextError{off: offsetOf(text, line, col), line: line, col: col, err: errors.New("not valid JSON")}
	}
	members, dup := jsonMembers(text)
	if dup != nil {
		return nil, at(dup.off, fmt.Errorf("the member %q appears twice in its object; give each member once", strings.Join(dup.path, ".")))
	}
	p, err := parsePolicyJSON(text, id, nil)
	if err != nil {
		off := len(text) - len(strings.TrimLeft(text, " \t\r\n"))
		if m, ok := blameMember(members, err.Error()); ok {
			off = m.off
		}
		return nil, at(off, err)
	}
	return p, nil
}

// offsetOf is the byte offset of a line and column (in runes) of text.
func offsetOf(text string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		nl := strings.IndexByte(text[off:], '\n')
		if nl < 0 {
			return len(text)
		}
		off += nl + 1
	}
	for c := 1; c < col && off < len(text); c++ {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	return off
}
