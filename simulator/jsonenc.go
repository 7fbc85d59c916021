package simulator

import (
	"encoding/json"
	"runtime"
	"strconv"
	"unicode/utf8"
)

// mustJSON encodes the decoded-JSON values the simulator works with (maps,
// slices, strings, numbers, booleans, nil) with sorted keys, like
// encoding/json but without reflection: bodies are encoded for every
// policy and every request, and this is the hot path of a run.
func mustJSON(v any) string {
	// A buffer on the stack holds most bodies: grown from nothing, each
	// doubling was an allocation.
	var buf [256]byte
	return string(appendJSON(buf[:0], v))
}

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case json.Number:
		return append(b, x...)
	case map[string]any:
		return appendObject(b, x, appendJSON)
	case map[string]string:
		return appendObject(b, x, appendJSONString)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

// appendObject writes a map as a JSON object with sorted keys.
func appendObject[V any](b []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	b = append(b, '{')
	var keys [8]string
	for i, k := range appendSortedKeys(keys[:0], m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = value(b, m[k])
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// plainEnd returns the index of the first byte of s from i on that is not
// plain (jsonPlain), or len(s).
//
// In WebAssembly it first tests eight bytes at a time in one uint64, which
// is three times faster there than a byte at a time (BenchmarkPlainEnd),
// for 8.6% of a run's time in a Worker; natively the lookup table alone is
// faster. The eight loads are written out because there is no load of a
// uint64 from a string without package unsafe; in WebAssembly they cost
// about the same as one.
func plainEnd(s string, i int) int {
	if runtime.GOARCH == "wasm" {
		i = plainWordsEnd(s, i)
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	return i
}

// plainWordsEnd skips, from i on, whole groups of eight plain bytes.
func plainWordsEnd(s string, i int) int {
	for i+8 <= len(s) {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if notPlain8(x) {
			break
		}
		i += 8
	}
	return i
}

// notPlain8 reports whether one of the eight bytes of x is not plain: a
// control character, a byte of a multi-byte character, or one of " \ < >
// &. It is the classic test for a zero byte ((v - 0x01..) &^ v & 0x80..),
// applied to x itself for the bytes under 0x20 and to x xor each of the
// five bytes for those.
func notPlain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b, l, g, a := x^(ones*'"'), x^(ones*'\\'), x^(ones*'<'), x^(ones*'>'), x^(ones*'&')
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b|(l-ones)&^l|(g-ones)&^g|(a-ones)&^a)&highs != 0
}

// jsonPlain marks the bytes a JSON string holds as they are: ASCII but
// for control characters, quote, backslash and the three encoding/json
// escapes for HTML. Bytes of multi-byte characters are not plain, so that
// they are decoded and checked.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonEscapes holds, for each ASCII byte that is not plain, what
// encoding/json writes for it.
var jsonEscapes = func() (t [utf8.RuneSelf]string) {
	for c := range utf8.RuneSelf {
		switch {
		case jsonPlain[c]:
		case c == '"' || c == '\\':
			t[c] = `\` + string(rune(c))
		case c == '\n':
			t[c] = `\n`
		case c == '\r':
			t[c] = `\r`
		case c == '\t':
			t[c] = `\t`
		case c == '\b':
			t[c] = `\b`
		case c == '\f':
			t[c] = `\f`
		default:
			t[c] = `\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xF])
		}
	}
	return t
}()

// appendJSONString quotes s the way encoding/json does, escaping <, > and
// & too, so that output does not change when either encoder is used.
//
// Runs of plain bytes are skipped by plainEnd, apart from the appends:
// most strings of a result need no escape at all, and Go compiles a loop
// that may append to WebAssembly far less tightly (four times slower
// there, the same natively).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start, i := 0, 0
	for {
		i = plainEnd(s, i)
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = append(b, jsonEscapes[c]...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
