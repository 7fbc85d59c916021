package simulator

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // FILE:LINE:COL: prefix and a fragment of the message
	}{
		{"empty", "", "t:1:1: the scenario has no request"},
		{"only comments", "# title\n# more\n", "t:3:1: the scenario has no request"},
		{"lower-case method", "post /users", "t:1:1: methods are case-sensitive: write POST"},
		{"not a request", "hello there", "t:1:1: expected a request line"},
		{"no path", "GET", "t:1:4: GET needs a path"},
		{"relative path", "GET users", "t:1:5: the path must start with \"/\""},
		{"junk after path", "GET /a b", "t:1:8: unexpected \"b\" after the path"},
		{"http version is fine", "GET /a HTTP/1.1\n\nGET /b c d", "t:3:8: unexpected \"c\""},
		{"unknown declaration", "@uniq /u email\nGET /u", "t:1:1: unknown declaration \"@uniq\""},
		{"declaration arity", "@unique /u\nGET /u", "t:1:1: @unique takes 2 argument(s)"},
		{"bad collection", "@immutable users\nGET /u", "t:1:12: \"users\" is not a collection path"},
		{"bad count", "@min /c x\nGET /c", "t:1:9: \"x\" is not a count"},
		{"bad type", "@required /u email:mail\nGET /u", "t:1:14: unknown type \"mail\""},
		{"bad isolation", "@isolation sometimes\nGET /u", "t:1:12: unknown isolation"},
		{"declaration after request", "GET /a\n\n@immutable /a", "t:3:1: declarations must come before the first request"},
		{"let without request", "let x = status\nGET /a", "t:1:1: let needs a request before it"},
		{"let incomplete", "GET /a\nlet x", "t:2:1: incomplete let"},
		{"let bad name", "GET /a\nlet 9x = status", "t:2:5: \"9x\" is not a name"},
		{"let unknown kind", "GET /a\nlet x = cookie y", "t:2:9: unknown capture \"cookie\""},
		{"let header needs name", "GET /a\nlet x = header", "t:2:9: let x = header needs one header name"},
		{"undefined variable", "GET /a/{{id}}", "t:1:8: {{id}} is not defined"},
		{"undefined in header", "GET /a\nIf-Match: {{etag}}", "t:2:11: {{etag}} is not defined"},
		{"undefined later in a header", "GET /a\nIf-Match: \"a\", {{etag}}", "t:2:16: {{etag}} is not defined"},
		{"path that is not a capture", "GET users/{{x}}", "t:1:5: the path must start with"},
		{"undefined in body", "POST /a\n{\"x\": \"{{v}}\"}", "t:2:8: {{v}} is not defined"},
		{"unclosed braces", "GET /a\nlet v = status\n\nGET /a/{{v", "t:4:8: unclosed {{"},
		{"requests need a blank line", "GET /a\nGET /b", "t:2:1: a blank line must separate two requests"},
		{"a lower-case request line where a body would start", "GET /a\npost /b", "t:2:1: a blank line must separate two requests (methods are case-sensitive: write POST)"},
		{"an unknown method where a body would start", "GET /a\nBREW /b", "t:2:1: a blank line must separate two requests (a body cannot start with a line that is a request)"},
		{"a request line after a body", "POST /a\n{\"id\":\"1\"}\nDELETE /a/1", "t:3:1: a blank line must separate two requests: add one before \"DELETE /a/1\", or the body of line 1 swallows it"},
		{"a request line after a multi-line body", "POST /a\n{\"note\":\n\"x\"}\nDELETE /a/1", "t:4:1: a blank line must separate two requests: add one before \"DELETE /a/1\", or the body of line 1 swallows it"},
		{"header name with a space", "PUT /a\nContent Type: application/json\n{}", "t:2:1: \"Content Type\" is not a header name: names have no spaces (RFC 9110 §5.1); write Content-Type:"},
		{"header name in lower case with spaces", "DELETE /a\n  if none match: *", "t:2:3: \"if none match\" is not a header name"},
		{"space before the colon", "PUT /a\nIf-Match : \"v1\"\n{}", "t:2:1: no space is allowed between a header name and its colon (RFC 9112 §5.1); write If-Match:"},
		{"tab before the colon", "PUT /a\nIf-Match\t: \"v1\"\n{}", "t:2:1: no space is allowed between a header name and its colon"},
		{"spaces after a JSON content type", "PUT /a\nContent-Type: application/merge-patch+json\nIf Match: *\n{}", "t:3:1: \"If Match\" is not a header name"},
		{"stray brace", "GET /a\n\n}", "t:3:1: unexpected \"}\""},
		{"race never closed", "race {\n  GET /a", "t:1:1: race { is never closed"},
		{"race needs two", "race {\n  GET /a\n}", "t:1:1: a race needs at least two"},
		{"nested race", "race {\n race {", "t:2:2: races cannot be nested"},
		{"client syntax", "race {\n  client {\n}", "t:2:3: write a client as"},
		{"duplicate client", "race {\n client a {\n  GET /x\n }\n client a {\n  GET /y\n }\n}", "t:5:9: client a is already declared"},
		{"empty client", "race {\n client a {\n }\n GET /x\n}", "t:2:2: client a has no request"},
		{"policy without json", "@policy p\n\nGET /a", "t:1:9: @policy p needs its JSON"},
		{"policy invalid json", "@policy p\n{\"rules\": {\n\nGET /a", "t:2:"},
		{"policy bad id", "@policy P!\n{}\n\nGET /a", "t:1:9: policy id \"P!\""},
		{"policy unknown situation", "@policy p\n{\"rules\": {\"dupe\": {\"status\": 409}}}\n\nGET /a", "t:2:12: policy p: rules: unknown situation \"dupe\""},
		{"policy bad status", "@policy p\n{\"rules\": {\"duplicate\": {\"status\": 42}}}\n\nGET /a", "t:2:26: policy p: rules: duplicate: status must be a whole number"},
		{"policy unknown base", "@policy p\n{\"base\": \"lenient\"}\n\nGET /a", "t:2:2: policy p: unknown base policy \"lenient\""},
		{"policy member on a later line", "@policy p\n{\n  \"name\": \"P\",\n  \"rules\": {\n    \"missing\": {\"status\": 404, \"colour\": 1}\n  }\n}\n\nGET /a", "t:5:32: policy p: rules: missing: unknown member \"colour\""},
		{"policy duplicate member", "@policy p\n{\"name\": \"a\",\n \"name\": \"b\"}\n\nGET /a", "t:3:2: policy p: the member \"name\" appears twice"},
		{"policy invalid JSON", "@policy p\n{\"name\": \"a\",\n \"rules\": }\n\nGET /a", "t:3:"},
		{"CR in a header value", "GET /a\nIf-Match: \"x\"\r\"y\"", "t:2:14: the value of If-Match holds a carriage return (CR)"},
		{"NUL in a header value", "GET /a\nX-Id: a\x00b", "t:2:8: the value of X-Id holds a NUL byte"},
		{"policy twice", "@policy p\n{}\n\n@policy p\n{}\n\nGET /a", "t:4:9: policy p is declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse("t", tc.src)
			if err == nil {
				t.Fatalf("parse succeeded, want error %q", tc.want)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T, want *Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err.Error(), tc.want)
			}
		})
	}
}

func TestParseScenario(t *testing.T) {
	t.Parallel()
	src := "\uFEFF# Title here\r\n# A description\r\n# over two lines.\r\n@unique /users email\r\n@required /users email:email name\r\n\r\n" +
		"POST /users?verbose=1\r\ncontent-type: application/json\r\nIf-Match: \"a\"\r\nif-match: \"b\"\r\n{\"email\":\r\n \"a@b.c\"}\r\nlet id = body id\r\nlet loc = header location\r\n\r\nlet s = status\r\n\r\n" +
		"GET /users/{{id}}\r\n\r\nrace {\r\n  GET /x\r\n\r\n  client writer {\r\n    GET /y\r\n    let e = header ETag\r\n\r\n    PUT /y\r\n    If-Match: {{e}}\r\n  }\r\n}\r\n"
	sc, err := parse("t", src)
	if err != nil {
		t.Fatal(err)
	}
	if sc.title != "Title here" || sc.description != "A description over two lines." {
		t.Errorf("title %q, description %q", sc.title, sc.description)
	}
	if len(sc.decls.unique) != 1 || len(sc.decls.required) != 1 || len(sc.decls.required[0].fields) != 2 {
		t.Errorf("declarations: %+v", sc.decls)
	}
	if len(sc.steps) != 3 {
		t.Fatalf("%d steps, want 3", len(sc.steps))
	}
	post := sc.steps[0].req
	if post.line != 7 || post.method != "POST" || post.path != "/users?verbose=1" {
		t.Errorf("request line: %+v", post)
	}
	w := post.written()
	if w.Headers["Content-Type"] != "application/json" || w.Headers["If-Match"] != `"a", "b"` {
		t.Errorf("headers: %v", w.Headers)
	}
	if post.body != "{\"email\":\n \"a@b.c\"}" {
		t.Errorf("body %q", post.body)
	}
	if len(post.lets) != 3 || post.lets[1].arg != "Location" || post.lets[2].kind != "status" {
		t.Errorf("lets: %+v", post.lets)
	}
	if !sc.steps[1].req.vars {
		t.Error("GET /users/{{id}} should be marked as using variables")
	}
	race := sc.steps[2].race
	if race == nil || len(race.clients) != 2 || race.clients[1].name != "writer" || len(race.clients[1].reqs) != 2 {
		t.Fatalf("race: %+v", race)
	}
}

func TestPrettyBodyAndCapturedPath(t *testing.T) {
	t.Parallel()
	src := "POST /users\n{\n  \"name\": \"ann\",\n  \"tags\": [\"}\", \"{\"]\n}\nlet ann = header Location\n\nGET {{ann}}\n\n" +
		"race {\n  client a {\n    PUT /x\n    {\n      \"v\": 1\n    }\n  }\n  PUT /x\n  {\"v\": 2}\n}\n"
	res, err := Run(src, Options{Policies: []string{"strict"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Steps[0].Results["strict"].Body; got != `{"id":"1","name":"ann","tags":["}","{"]}` {
		t.Errorf("pretty body stored as %s", got)
	}
	if r := res.Steps[1].Results["strict"]; r.Status != 200 || r.Sent.Path != "/users/1" {
		t.Errorf("GET {{ann}}: %d %s", r.Status, r.Sent.Path)
	}
	if race := res.Steps[2].Race; len(race) != 2 || race[0].Body != "{\n  \"v\": 1\n}" {
		t.Errorf("race requests %+v", race)
	}
}

func TestMaxSteps(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i <= MaxSteps; i++ {
		b.WriteString("GET /a\n\n")
	}
	_, err := parse("t", b.String())
	want := "t:401:1: too many requests: a scenario may have at most 200"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if !errors.Is(err, ErrTooManySteps) {
		t.Error("the step limit must be recognisable with errors.Is")
	}
}

// FuzzParse checks that no input makes the parser (or the run that
// follows a successful parse) panic, and that errors carry a position
// inside the text.
func FuzzParse(f *testing.F) {
	for _, p := range Presets() {
		f.Add(p.Text)
	}
	seeds := []string{
		"", "GET /", "race {\n GET /a\n GET /b\n}", "POST /a\n[1,2,{\"id\":\"x\"}]",
		"@policy p\n{\"rules\":{\"created\":{\"status\":0}}}\n\nPOST /a",
		"GET /a\nlet v = body a.b.c\n\nGET /{{v}}", "PUT /a\n{\"id\":\"{{\"}",
		"@ref /a/*/b f /c/*/d\n\nPOST /a/1/b\n{\"f\":1}", "PATCH /a\n{\"x\":null}",
		"GET /a\r\n\r\nDELETE /a\r\nIf-Match: *",
		"@isolation check-then-act\nrace {\n client a {\n  GET /x\n  let e = header ETag\n\n  PUT /x\n  If-Match: {{e}}\n }\n PUT /x\n {}\n}",
		"race {\n POST /k\n Idempotency-Key: 1\n\n POST /k\n Idempotency-Key: 1\n\n DELETE /k/1\n}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		const bound = 300
		// A tight deadline keeps each input short, so that one costly
		// mutation cannot stall a fuzz worker past the run's -fuzztime.
		res, err := Run(src, Options{Policies: []string{"all"}, MaxStates: bound, Timeout: 500 * time.Millisecond})
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				return // option errors cannot come from the text alone
			}
			if perr.Line < 1 || perr.Line > lines || perr.Col < 1 {
				t.Fatalf("error position %d:%d outside the text (%d lines): %v", perr.Line, perr.Col, lines, err)
			}
			return
		}
		if len(res.Steps) == 0 || len(res.Steps) > MaxSteps {
			t.Fatalf("%d steps", len(res.Steps))
		}
		for _, st := range res.Steps {
			for id, r := range st.Results {
				if r.Race != nil && r.Race.Explored > bound {
					t.Fatalf("%s: explored %d states (bound %d), complete %v", id, r.Race.Explored, bound, r.Race.Complete)
				}
			}
		}
		_ = res.JSON()
	})
}

// TestTextBodies checks that misspeltHeader leaves alone the non-JSON bodies
// that look a little like header lines but name no well-known header.
func TestTextBodies(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"not json: at all", "Hello world: x", "Content type is: wrong", "note : free text", "{\"Content Type\": 1}",
		"Content-Type: text/plain\nUser agent: curl", "Content-Type: text/plain\nOrigin : Spain",
	} {
		sc, err := parse("t", "POST /a\n"+src)
		body := src[strings.LastIndexByte(src, '\n')+1:]
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if got := sc.steps[0].req.body; got != body {
			t.Errorf("%q: the body is %q, want %q", src, got, body)
		}
	}
}
