package simulator

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestColumns(t *testing.T) {
	t.Parallel()
	custom := "# Custom\n@isolation atomic check-then-act\n@policy mine\n{\"base\": \"strict\", \"name\": \"Mine\", \"summary\": \"Like strict, but mine.\"}\n\nDELETE /a/1\n"
	tests := map[string]struct {
		src      string
		policies []string
		want     []Column
	}{
		"built-in": {
			src: "GET /a\n", policies: []string{"strict"},
			want: []Column{{ID: "strict", Policy: "strict", Isolation: "atomic", Name: "Strict"}},
		},
		"custom under both isolations": {
			src: custom, policies: []string{"strict"},
			want: []Column{
				{ID: "strict", Policy: "strict", Isolation: "atomic", Name: "Strict"},
				{ID: "strict@check-then-act", Policy: "strict", Isolation: "check-then-act", Name: "Strict"},
				{ID: "mine", Policy: "mine", Isolation: "atomic", Name: "Mine", Summary: "Like strict, but mine.", Custom: true},
				{ID: "mine@check-then-act", Policy: "mine", Isolation: "check-then-act", Name: "Mine", Summary: "Like strict, but mine.", Custom: true},
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(tt.src, Options{Policies: tt.policies})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]Column, len(res.Columns))
			for i, c := range res.Columns {
				if c.ID != res.Policies[i] {
					t.Errorf("column %d is %q, policies say %q", i, c.ID, res.Policies[i])
				}
				// Built-in summaries and URLs are the catalog's, checked there.
				if !c.Custom {
					c.Summary, c.URL = "", ""
				}
				got[i] = c
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("columns = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDiffers(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want []bool
	}{
		"same status":    {"GET /a/1\n", []bool{false}},
		"second delete":  {"PUT /a/1\nContent-Type: application/json\n{}\n\nDELETE /a/1\n\nDELETE /a/1\n", []bool{false, false, true}},
		"race same sets": {"race {\n  GET /a/1\n\n  GET /a/1\n}\n", []bool{false}},
		"race differs":   {"PUT /a/1\nContent-Type: application/json\n{}\n\nrace {\n  DELETE /a/1\n\n  DELETE /a/1\n}\n", []bool{false, true}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(tt.src, Options{Policies: []string{"strict", "idempotent"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []bool
			for _, st := range res.Steps {
				got = append(got, st.Differs)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("differs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnfilledAndRaceSent(t *testing.T) {
	t.Parallel()
	src := `# Captures
PUT /docs/1
Content-Type: application/json
{"a": 1}
let v = header ETag
let none = header X-Nothing

GET /docs/{{none}}

GET /docs/1
If-Match: {{v}}

race {
  client a {
    PUT /docs/1
    If-Match: {{v}}
    Content-Type: application/json
    {"a": 2}
    let w = header ETag

    GET /docs/{{w}}{{none}}
  }
  PUT /docs/1
  If-Match: {{v}}
  Content-Type: application/json
  {"a": 3}
}
`
	res, err := Run(src, Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	var unfilled [][]string
	for _, st := range res.Steps {
		unfilled = append(unfilled, st.Results["strict"].Unfilled)
	}
	if want := [][]string{nil, {"none"}, nil, {"none"}}; !reflect.DeepEqual(unfilled, want) {
		t.Errorf("unfilled = %q, want %q", unfilled, want)
	}
	if tr := res.Steps[1].Results["strict"].Trace; len(tr) == 0 || tr[0] != (TraceEntry{Step: "substitute", Detail: "{{none}} is empty: the capture at line 6 found nothing, so the request was sent without it"}) {
		t.Errorf("the trace of the request that used the empty capture starts with %+v", tr)
	}
	race := res.Steps[3].Results["strict"]
	var paths, matches []string
	for _, r := range race.RaceSent {
		paths = append(paths, r.Path)
		matches = append(matches, r.Headers["If-Match"])
	}
	if want := []string{"/docs/1", "/docs/{{w}}", "/docs/1"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("race sent paths = %q, want %q (a name the race captures stays a placeholder)", paths, want)
	}
	if want := []string{`"v1"`, "", `"v1"`}; !reflect.DeepEqual(matches, want) {
		t.Errorf("race sent If-Match = %q, want %q", matches, want)
	}
	b, err := json.Marshal(race)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"outcomes":`, `"sent":[{"client":"a","method":"PUT","path":"/docs/1"`, `"unfilled":["none"]`} {
		if !strings.Contains(string(b), part) {
			t.Errorf("race JSON %s lacks %s", b, part)
		}
	}
	plain, _ := Run("GET /a\n\nrace {\n  GET /a\n\n  GET /a\n}\n", Options{Policies: []string{"strict"}})
	if out := string(plain.JSON()); strings.Contains(out, `"sent"`) || strings.Contains(out, `"unfilled"`) || strings.Contains(out, `"differs"`) {
		t.Errorf("a scenario without captures or disagreement gained fields:\n%s", out)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	res, err := Run("# A | b *c*\nPUT /a/1\nContent-Type: application/json\n{}\n\nDELETE /a/1\n\nDELETE /a/1\n", Options{Policies: []string{"strict", "idempotent"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "**A \\| b \\*c\\***\n\n" +
		"| Line | Request | strict | idempotent |\n|---:|---|---|---|\n" +
		"| 2 | `PUT /a/1` | 201 Created | 201 Created |\n" +
		"| 6 | `DELETE /a/1` | 204 No Content | 204 No Content |\n" +
		"| 8 | `DELETE /a/1` ≠ | 404 Not Found | 204 No Content |\n"
	if got := res.Markdown(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "\n≠ marks requests the policies answer differently.\n") {
		t.Errorf("Markdown() =\n%s\nwant it to start with\n%s", got, want)
	}
}

func ExampleResult_Markdown() {
	res, _ := Run("# Delete twice\nDELETE /a/1\n", Options{Policies: []string{"strict", "idempotent"}})
	fmt.Print(res.Markdown())
	// Output:
	// **Delete twice**
	//
	// | Line | Request | strict | idempotent |
	// |---:|---|---|---|
	// | 2 | `DELETE /a/1` ≠ | 404 Not Found | 204 No Content |
	//
	// | Property | strict | idempotent |
	// |---|---|---|
	// | retry-safe | – | yes |
	// | idempotent effect | yes | yes |
	// | cacheable refusals | no | no |
	//
	// ≠ marks requests the policies answer differently.
}

func ExampleResponse_Brief() {
	res, err := Run("# Read what is not there\nGET /notes/1", Options{Policies: []string{"strict", "google-aip"}})
	if err != nil {
		panic(err)
	}
	for _, id := range res.Policies {
		fmt.Println(id, res.Steps[0].Results[id].Brief())
	}
	// Output:
	// strict 404 Not Found
	// google-aip 404 Not Found
}
