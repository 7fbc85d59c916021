package simulator

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// patchFormat is the patch document format a PATCH was sent in.
type patchFormat uint8

const (
	mergePatchFormat patchFormat = iota // RFC 7396, application/merge-patch+json
	jsonPatchFormat                     // RFC 6902, application/json-patch+json
)

// checkJSONPatch checks the structure of a JSON Patch document (RFC 6902
// §3, §4): an array of operation objects, each with a known op, a path
// that is a JSON Pointer, and the members its op needs. It returns a
// sentence saying what is wrong, or "".
func checkJSONPatch(doc any) string {
	ops, ok := doc.([]any)
	if !ok {
		return "a JSON Patch document must be an array of operations"
	}
	for i, raw := range ops {
		op, ok := raw.(map[string]any)
		if !ok {
			return fmt.Sprintf("operation %d is not an object", i)
		}
		name, _ := op["op"].(string)
		switch name {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return fmt.Sprintf("operation %d: op must be add, remove, replace, move, copy or test", i)
		}
		if p, ok := op["path"].(string); !ok || !validPointer(p) {
			return fmt.Sprintf("operation %d: path must be a JSON Pointer", i)
		}
		switch name {
		case "add", "replace", "test":
			if _, ok := op["value"]; !ok {
				return fmt.Sprintf("operation %d: %s needs a value", i, name)
			}
		case "move", "copy":
			if f, ok := op["from"].(string); !ok || !validPointer(f) {
				return fmt.Sprintf("operation %d: %s needs from, a JSON Pointer", i, name)
			}
		}
	}
	return ""
}

// validPointer reports whether p is a JSON Pointer (RFC 6901 §3).
func validPointer(p string) bool {
	if p != "" && !strings.HasPrefix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return false
		}
	}
	return true
}

// applyJSONPatch applies the operations in order to a copy of doc (RFC
// 6902 §4). An operation that cannot be applied to the document, or a
// test that fails, stops the whole patch (§5): it returns a sentence
// saying which, and the document is left as it was.
func applyJSONPatch(doc any, ops []any) (any, string) {
	doc = deepCopy(doc)
	for i, raw := range ops {
		op := raw.(map[string]any)
		name, path := op["op"].(string), op["path"].(string)
		var err error
		switch name {
		case "add":
			doc, err = pointerAdd(doc, path, deepCopy(op["value"]))
		case "remove":
			doc, _, err = pointerRemove(doc, path)
		case "replace":
			if doc, _, err = pointerRemove(doc, path); err == nil {
				doc, err = pointerAdd(doc, path, deepCopy(op["value"]))
			}
		case "move", "copy":
			from := op["from"].(string)
			var v any
			if name == "move" {
				if path == from {
					continue // moving a value onto itself changes nothing
				}
				if strings.HasPrefix(path, from+"/") {
					err = fmt.Errorf("cannot move %s into itself", from)
					break
				}
				doc, v, err = pointerRemove(doc, from)
			} else {
				v, err = pointerGet(doc, from)
				v = deepCopy(v)
			}
			if err == nil {
				doc, err = pointerAdd(doc, path, v)
			}
		case "test":
			var v any
			if v, err = pointerGet(doc, path); err == nil && !jsonEqual(v, op["value"]) {
				err = fmt.Errorf("test failed: %s is %s, not %s", pointerName(path), mustJSON(v), mustJSON(op["value"]))
			}
		}
		if err != nil {
			return nil, fmt.Sprintf("JSON Patch operation %d (%s): %v", i, name, err)
		}
	}
	return doc, ""
}

func pointerName(p string) string {
	if p == "" {
		return "the document"
	}
	return p
}

// pointerTokens splits a JSON Pointer into its unescaped reference tokens.
func pointerTokens(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(p[1:], "/")
	for i, t := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts
}

// pointerGet resolves a JSON Pointer in doc.
func pointerGet(doc any, p string) (any, error) {
	cur := doc
	for _, tok := range pointerTokens(p) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("%s does not exist", p)
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok, len(c))
			if !ok || i == len(c) {
				return nil, fmt.Errorf("%s does not exist", p)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%s does not exist", p)
		}
	}
	return cur, nil
}

// arrayIndex reads an array reference token; "-" is the index after the
// last element (RFC 6902 §4.1).
func arrayIndex(tok string, n int) (int, bool) {
	if tok == "-" {
		return n, true
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || i > n {
		return 0, false
	}
	return i, true
}

// pointerAdd adds value at p (RFC 6902 §4.1): the parent must exist; an
// object member is set, an array element is inserted.
func pointerAdd(doc any, p string, value any) (any, error) {
	toks := pointerTokens(p)
	if len(toks) == 0 {
		return value, nil
	}
	parentPtr := p[:strings.LastIndexByte(p, '/')]
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, fmt.Errorf("the parent of %s does not exist", p)
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = value
		return doc, nil
	case []any:
		i, ok := arrayIndex(last, len(c))
		if !ok {
			return nil, fmt.Errorf("%s is not an index of the array", p)
		}
		grown := append(c[:i:i], append([]any{value}, c[i:]...)...)
		return pointerSet(doc, parentPtr, grown)
	}
	return nil, fmt.Errorf("the parent of %s is not an object or array", p)
}

// pointerRemove removes the value at p and returns it (RFC 6902 §4.2).
func pointerRemove(doc any, p string) (any, any, error) {
	v, err := pointerGet(doc, p)
	if err != nil {
		return nil, nil, err
	}
	toks := pointerTokens(p)
	if len(toks) == 0 {
		return nil, v, nil
	}
	parentPtr := p[:strings.LastIndexByte(p, '/')]
	parent, _ := pointerGet(doc, parentPtr)
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		delete(c, last)
		return doc, v, nil
	case []any:
		i, _ := arrayIndex(last, len(c))
		shrunk := append(c[:i:i], c[i+1:]...)
		doc, err = pointerSet(doc, parentPtr, shrunk)
		return doc, v, err
	}
	return nil, nil, fmt.Errorf("%s does not exist", p)
}

// pointerSet replaces the value at an existing p, for arrays that change
// length.
func pointerSet(doc any, p string, value any) (any, error) {
	toks := pointerTokens(p)
	if len(toks) == 0 {
		return value, nil
	}
	parent, err := pointerGet(doc, p[:strings.LastIndexByte(p, '/')])
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = value
	case []any:
		i, _ := arrayIndex(last, len(c))
		c[i] = value
	}
	return doc, nil
}

// deepCopy copies a decoded JSON value, which the run cache shares.
func deepCopy(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, x := range c {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		a := make([]any, len(c))
		for i, x := range c {
			a[i] = deepCopy(x)
		}
		return a
	}
	return v
}

// jsonEqual compares two decoded JSON values as RFC 6902 §4.6 does:
// numbers by their value (1.0 equals 1), objects regardless of member
// order, arrays element by element.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if na, ok := numberOf(a); ok {
		nb, ok := numberOf(b)
		return ok && na.Cmp(nb) == 0
	}
	return reflect.DeepEqual(a, b)
}

// numberOf reads a decoded JSON number exactly, whatever its spelling.
func numberOf(v any) (*big.Float, bool) {
	s, ok := v.(interface{ String() string })
	if !ok {
		return nil, false
	}
	if _, isNum := v.(json.Number); !isNum {
		return nil, false
	}
	f, _, err := big.ParseFloat(s.String(), 10, 256, big.ToNearestEven)
	return f, err == nil
}
