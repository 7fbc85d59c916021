package simulator

import (
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
