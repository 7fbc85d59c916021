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
		if got := indentJSON(nil, []byte(src)); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indentJSON(%.60q) differs from json.Indent:\n got %.200s\nwant %.200s", src, got, want.Bytes())
		}
	}
}

func FuzzIndentJSON(f *testing.F) {
	f.Add(`{"a":[1,{"b":"}\""}],"c":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		src, _ := json.Marshal(v)
		var want bytes.Buffer
		if err := json.Indent(&want, src, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, src); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("indentJSON(%q):\n got %s\nwant %s", src, got, want.Bytes())
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
