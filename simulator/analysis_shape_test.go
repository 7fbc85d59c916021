package simulator

import "testing"

// shapePairs are bodies whose shapes sameShape must compare as the
// descriptions of jsonShape do.
var shapePairs = [][2]string{
	{`{"a":1,"b":"x"}`, `{"b":"y","a":2}`},
	{`{"a":1}`, `{"a":"1"}`},
	{`{"a":[1,2]}`, `{"a":[3]}`},
	{`{"a":[]}`, `{"a":[1]}`},
	{`{"a":{"b":null}}`, `{"a":{"b":true}}`},
	{`{"a":true}`, `{"a":false}`},
	{`{"a:Null,b":1}`, `{"a":null,"b":1}`},
	{`{"a":1,"a":"x"}`, `{"a":"x","a":1}`},
	{`{"a":1,"a":1}`, `{"a":1,"b":1}`},
	{``, ` `}, {``, `{}`}, {`not json`, `{`}, {`not json`, `{}`},
	{`[{"x":1},{"y":2}]`, `[{"x":5}]`}, {`1`, `2`}, {`"s"`, `1`},
}

func TestSameShapeMatchesDescriptions(t *testing.T) {
	t.Parallel()
	for _, p := range shapePairs {
		for _, ab := range [][2]string{p, {p[1], p[0]}} {
			want := jsonShape(ab[0]) == jsonShape(ab[1])
			if got := sameShape(ab[0], ab[1]); got != want {
				t.Errorf("sameShape(%q, %q) = %v, but the shapes are %s and %s", ab[0], ab[1], got, jsonShape(ab[0]), jsonShape(ab[1]))
			}
		}
	}
}

func FuzzSameShape(f *testing.F) {
	for _, p := range shapePairs {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := sameShape(a, b), jsonShape(a) == jsonShape(b); got != want {
			t.Fatalf("sameShape(%q, %q) = %v, but the shapes are %s and %s", a, b, got, jsonShape(a), jsonShape(b))
		}
	})
}
