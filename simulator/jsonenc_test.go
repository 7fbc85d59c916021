package simulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestMustJSONMatchesEncodingJSON holds the fast encoder to the bytes of
// encoding/json, which the golden files were first written with.
func TestMustJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	inputs := []string{
		`{"b":1,"a":[true,false,null,"x"],"c":{"z":"<&>","y":"\u2028\n\t\"\\"}}`,
		`"\u0001\u001f é 日本"`, `[1.5e10,-0,0.1]`, `{}`, `[]`, `"\ud800"`,
	}
	for _, in := range inputs {
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		if got := mustJSON(v); got != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
	m := map[string]string{"b": "<", "a": "x"}
	want, _ := json.Marshal(m)
	if got := mustJSON(m); got != string(want) {
		t.Errorf("map[string]string: got %s want %s", got, want)
	}
}

func FuzzMustJSON(f *testing.F) {
	f.Add(`{"a":"b"}`)
	f.Add("\"\xff\"")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := mustJSON(s); got != string(want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

// TestWithIDMatchesEncoding holds withID, which edits canonical text, to
// the canonical encoding of the object with the id set.
func TestWithIDMatchesEncoding(t *testing.T) {
	t.Parallel()
	inputs := []string{
		`{}`, `{"a":1}`, `{"z":1}`, `{"id":7}`, `{"id":"x","name":"n"}`, `{"a":{"id":1},"b":[{"id":2}]}`,
		`{"i":1,"ia":2,"id0":3,"idx":4}`, `{"\u003cid":1,"é":"\u2028"}`, `{"a":"}","q":"\"id\":"}`,
	}
	for _, in := range inputs {
		for _, id := range []string{"1", "a/b<c>", ""} {
			canon, v, ok := canonicalJSON(in)
			if !ok {
				t.Fatalf("%s does not parse", in)
			}
			m := map[string]any{"id": id}
			for k, x := range v.(map[string]any) {
				if k != "id" {
					m[k] = x
				}
			}
			if got, want := withID(canon, id), mustJSON(m); got != want {
				t.Errorf("withID(%s, %q):\n got %s\nwant %s", canon, id, got, want)
			}
		}
	}
}

func FuzzWithID(f *testing.F) {
	f.Add(`{"b":1,"a":2}`, "7")
	f.Add(`{"id":{"id":1},"z":[]}`, "x")
	f.Fuzz(func(t *testing.T, body, id string) {
		canon, v, ok := canonicalJSON(body)
		obj, isObj := v.(map[string]any)
		if !ok || !isObj {
			return
		}
		m := map[string]any{"id": id}
		for k, x := range obj {
			if k != "id" {
				m[k] = x
			}
		}
		if got, want := withID(canon, id), mustJSON(m); got != want {
			t.Fatalf("withID(%s, %q):\n got %s\nwant %s", canon, id, got, want)
		}
	})
}

// TestIndentJSONMatchesIndent holds the result's indenter to json.Indent
// over every preset's result and a few edge cases.
func TestIndentJSONMatchesIndent(t *testing.T) {
	t.Parallel()
	srcs := []string{`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[{}]}`, `"x"`, `[1,"a\"b\\\\",{"c:d":"{[,]}"}]`}
	for _, p := range Presets() {
		res, err := Run(p.Text, Options{Policies: []string{"all"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		srcs = append(srcs, string(b))
	}
	for _, src := range srcs {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(src), "", "  "); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := indentJSON(nil, []byte(src), 0); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indentJSON(%.60q) differs from json.Indent:\n got %.200s\nwant %.200s", src, got, want.Bytes())
		}
	}
}

func FuzzIndentJSON(f *testing.F) {
	f.Add(`{"a":[1,{"b":"}\""}],"c":{}}`, uint8(0))
	f.Add(`[[],{"x":[null]}]`, uint8(2))
	f.Fuzz(func(t *testing.T, s string, depth uint8) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		src, _ := json.Marshal(v)
		d := int(depth % 40)
		var want bytes.Buffer
		if err := json.Indent(&want, src, strings.Repeat("  ", d), "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, src, d); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("indentJSON(%q, %d):\n got %s\nwant %s", src, d, got, want.Bytes())
		}
	})
}

// withoutIDByMap is what the run cache's withoutID must return: the
// decoded object without its id, encoded again.
func withoutIDByMap(body string) string {
	c, v, ok := canonicalJSON(body)
	if !ok {
		return body
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "id")
		return mustJSON(m)
	}
	return c
}

// TestWithoutIDMatchesEncoding holds the run cache's withoutID, which
// edits canonical text, to the encoding of the object without its id.
func TestWithoutIDMatchesEncoding(t *testing.T) {
	t.Parallel()
	c := newRunCache()
	for _, in := range []string{
		`{}`, `{"id":1}`, `{"a":1,"id":"x"}`, `{"id":"x","z":1}`, `{"a":1,"id":2,"z":3}`, `{"a":{"id":1}}`,
		`{"i":1,"ia":2,"id0":3}`, `[{"id":1}]`, `"id"`, `not json`, ` {"id" : 1, "b" : 2} `,
	} {
		if got, want := c.withoutID(in), withoutIDByMap(in); got != want {
			t.Errorf("withoutID(%s) = %s, want %s", in, got, want)
		}
	}
}

func FuzzWithoutID(f *testing.F) {
	f.Add(`{"b":1,"id":2,"a":3}`)
	f.Fuzz(func(t *testing.T, body string) {
		if got, want := newRunCache().withoutID(body), withoutIDByMap(body); got != want {
			t.Fatalf("withoutID(%q) = %s, want %s", body, got, want)
		}
	})
}

// responseJSONCases are responses whose JSON takes every branch of
// indentWriter.response: nil and empty maps and slices, omitted fields,
// strings encoding/json escapes, and a race.
var responseJSONCases = map[string]Response{
	"zero":  {},
	"empty": {Headers: map[string]string{}, Trace: []TraceEntry{}, Lint: []Finding{}, Unfilled: []string{}},
	"full": {
		Sent:      &Request{Method: "PUT", Path: "/a/<b>", Headers: map[string]string{"X-B": "2", "A": "1 & 2"}, Body: "{\"x\":\"\u2028\"}"},
		Status:    409,
		Reason:    "Conflict",
		Headers:   map[string]string{"Content-Type": "application/json", "ETag": "\"1\""},
		Body:      "line\nbreak\t\x00\xff",
		Situation: "already-present",
		Trace:     []TraceEntry{{Step: "create", Detail: "exists"}, {Step: "x", Detail: "y", Cite: "RFC 9110 §15.5.10", URL: "https://example.org/#x"}},
		Lint:      []Finding{{Level: "info", Message: "m", Cite: "c"}, {Level: "warn", Message: "<m>", Cite: "", URL: "u"}},
		Unfilled:  []string{"id"},
	},
	"request without headers or body": {Sent: &Request{Method: "GET", Path: "/", Headers: map[string]string{}}},
	"race":                            {Race: &RaceResult{Isolation: "atomic", Orders: "2", Outcomes: []Outcome{}}, RaceSent: []RaceRequest{{Client: "A", Request: Request{Method: "GET", Path: "/"}}}},
}

// TestResponseJSONMatchesMarshal holds the hand-written encoder of a
// response to its MarshalJSON, which encoding/json writes, indented.
func TestResponseJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	for name, r := range responseJSONCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var w indentWriter
			if w.response(&r); !bytes.Equal(w.b, want) {
				t.Errorf("indentWriter.response:\n got %s\nwant %s", w.b, want)
			}
		})
	}
}

func FuzzResponseJSON(f *testing.F) {
	f.Add("Conflict", "ETag", "\"1\"", "{\"a\":1}", "step", "<detail>", "cite", true, false)
	f.Fuzz(func(t *testing.T, reason, key, value, body, step, detail, cite string, sent, nilTrace bool) {
		r := Response{Status: 200, Reason: reason, Headers: map[string]string{key: value, "": body}, Body: body,
			Situation: step, Lint: []Finding{{Level: "info", Message: detail, Cite: cite, URL: value}}}
		if !nilTrace {
			r.Trace = []TraceEntry{{Step: step, Detail: detail, Cite: cite}}
		}
		if sent {
			r.Sent = &Request{Method: step, Path: key, Headers: map[string]string{value: key}, Body: body}
			r.Unfilled = []string{key, value}
		}
		want, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var w indentWriter
		if w.response(&r); !bytes.Equal(w.b, want) {
			t.Fatalf("indentWriter.response:\n got %s\nwant %s", w.b, want)
		}
	})
}

// TestColumnAndPropertiesJSONMatchMarshal holds the hand-written encoders
// of a column and of a column's properties to encoding/json, indented,
// over every optional field set and unset.
func TestColumnAndPropertiesJSONMatchMarshal(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	cases := map[string]any{
		"column":                 Column{ID: "strict", Policy: "strict", Isolation: "atomic", Name: "<Strict>", Summary: "s & t"},
		"column with url":        Column{ID: "a", URL: "https://example.org/#a", Guideline: true, Custom: true},
		"properties, zero":       Properties{},
		"properties, every kind": Properties{RetrySafe: Property{Value: &yes, Summary: "ok", Lines: []int{3, 10}, Details: []string{"d\n"}, Cite: "RFC 9110 §9.2.2", URL: "https://www.rfc-editor.org/rfc/rfc9110#section-9.2.2"}, LeaksExistence: Property{Value: &no, Lines: []int{}, Details: []string{}}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var w indentWriter
			switch x := v.(type) {
			case Column:
				w.column(&x)
			case Properties:
				w.properties(&x)
			}
			if !bytes.Equal(w.b, want) {
				t.Errorf("hand-written JSON:\n got %s\nwant %s", w.b, want)
			}
		})
	}
}

// TestPlainWordsEnd holds the eight-byte test of WebAssembly's plainEnd to
// the lookup table, for every byte value at every place of a word, on
// every platform (natively plainEnd does not use it).
func TestPlainWordsEnd(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for at := range 8 {
			word := []byte("abcdefgh" + "ijklmnop")
			word[at] = byte(c)
			want := 16
			if !jsonPlain[c] {
				want = 0
			}
			if got := plainWordsEnd(string(word), 0); got != want {
				t.Errorf("byte %#x at %d: plainWordsEnd = %d, want %d", c, at, got, want)
			}
		}
	}
	for _, tc := range []struct {
		s    string
		from int
		want int
	}{
		{"", 0, 0},
		{"short", 0, 0},
		{"0123456789abcdef", 0, 16},
		{"0123456789abcdef", 3, 11},
		{"0123456789abcde\"", 0, 8},
		{"01234567\u00a7abcdefgh", 0, 8},
		{"0123456789abcdefgh\x1f", 0, 16},
	} {
		if got := plainWordsEnd(tc.s, tc.from); got != tc.want {
			t.Errorf("plainWordsEnd(%q, %d) = %d, want %d", tc.s, tc.from, got, tc.want)
		}
	}
}

// BenchmarkPlainEnd scans a trace line with no escape in it, as most
// strings of a result are: in WebAssembly, where plainEnd tests eight
// bytes at a time, against the lookup table alone.
func BenchmarkPlainEnd(b *testing.B) {
	line := strings.Repeat("no member of /users/alice/following has this identity ", 4)
	b.Run("plainEnd", func(b *testing.B) {
		for b.Loop() {
			if plainEnd(line, 0) != len(line) {
				b.Fatal("stopped early")
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			i := 0
			for i < len(line) && jsonPlain[line[i]] {
				i++
			}
			if i != len(line) {
				b.Fatal("stopped early")
			}
		}
	})
}

// plainWordsEndByTable is plainWordsEnd written with the lookup table: the
// index after the last whole group of eight plain bytes from i on.
func plainWordsEndByTable(s string, i int) int {
	for i+8 <= len(s) {
		for _, c := range []byte(s[i : i+8]) {
			if !jsonPlain[c] {
				return i
			}
		}
		i += 8
	}
	return i
}

// TestNotPlain8Pairs tries every pair of byte values at every pair of
// places in a word of plain bytes: a borrow from one byte into the next is
// where a word test like notPlain8 would go wrong, if anywhere.
func TestNotPlain8Pairs(t *testing.T) {
	t.Parallel()
	for a := range 256 {
		for b := range 256 {
			for i := range 8 {
				for j := i + 1; j < 8; j++ {
					word := []byte("abcdefgh")
					word[i], word[j] = byte(a), byte(b)
					var x uint64
					for k := range 8 {
						x |= uint64(word[k]) << (8 * k)
					}
					if want := !jsonPlain[a] || !jsonPlain[b]; notPlain8(x) != want {
						t.Fatalf("bytes %#x at %d and %#x at %d: notPlain8 = %v, want %v", a, i, b, j, !want, want)
					}
				}
			}
		}
	}
}

// FuzzPlainWordsEnd holds WebAssembly's eight-byte scan to the lookup
// table natively, where plainEnd itself does not use it.
func FuzzPlainWordsEnd(f *testing.F) {
	for _, s := range []string{"", "0123456789abcdef", "0123456789abcde\"", "01234567\u00a7abcdefgh", "<>&\\\"\x00\x1f\x7f\x80\xff  ~~~~~~~~"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, from int) {
		from = min(max(from, 0), len(s))
		if got, want := plainWordsEnd(s, from), plainWordsEndByTable(s, from); got != want {
			t.Errorf("plainWordsEnd(%q, %d) = %d, want %d", s, from, got, want)
		}
	})
}
