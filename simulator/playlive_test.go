package simulator

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestPlayLiveCaptures plays a scenario whose later requests use what
// earlier answers said, against a sender that answers with values the
// simulator would not have: the captures must come from the sender.
func TestPlayLiveCaptures(t *testing.T) {
	t.Parallel()
	src := "POST /users\nContent-Type: application/json\n{\"name\": \"ann\"}\nlet where = header Location\nlet id = body id\n\nGET {{where}}\nX-Id: {{id}}\n\nrace {\n  client a {\n    GET {{where}}\n    let again = status\n\n    GET /x/{{again}}\n  }\n  client b {\n    DELETE {{where}}\n  }\n}\n"
	var mu sync.Mutex
	var seen []string
	send := func(_ context.Context, r Request) (Response, error) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Path+" "+r.Headers["X-Id"])
		mu.Unlock()
		if r.Method == "POST" {
			return Response{Status: 201, Headers: map[string]string{"Location": "/people/u-77"}, Body: `{"id": "u-77"}`}, nil
		}
		return Response{Status: 200, Body: "{}"}, nil
	}
	steps, err := PlayLive(context.Background(), src, LiveOptions{File: "t", Send: send})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[1].Response.Sent == nil || steps[1].Response.Sent.Path != "/people/u-77" {
		t.Fatalf("steps %+v", steps)
	}
	if got := strings.Join(seen, "\n"); !strings.Contains(got, "GET /people/u-77 u-77") || !strings.Contains(got, "GET /x/200") || !strings.Contains(got, "DELETE /people/u-77") {
		t.Errorf("requests sent:\n%s", got)
	}
	if len(steps[2].Race) != 3 || steps[2].RaceSent[1].Path != "/x/200" || steps[2].RaceSent[2].Client == steps[2].RaceSent[0].Client {
		t.Errorf("race %+v", steps[2].RaceSent)
	}
}

func TestPlayLiveErrors(t *testing.T) {
	t.Parallel()
	failing := func(context.Context, Request) (Response, error) { return Response{}, errors.New("connection refused") }
	_, err := PlayLive(context.Background(), "GET /a\n\nGET /b\n", LiveOptions{File: "t", Send: failing})
	var lve *LiveError
	if !errors.As(err, &lve) || err.Error() != "t:1:1: connection refused" {
		t.Errorf("error %v, want a *LiveError at t:1:1", err)
	}
	_, err = PlayLive(context.Background(), "GET /a\nlet x = nonsense y\n", LiveOptions{File: "t", Send: failing})
	var serr *Error
	if !errors.As(err, &serr) || serr.Line != 2 {
		t.Errorf("error %v, want an *Error on line 2", err)
	}
	big := func(context.Context, Request) (Response, error) {
		return Response{Status: 200, Body: `{"v": "` + strings.Repeat("x", 100) + `"}`}, nil
	}
	_, err = PlayLive(context.Background(), "GET /a\nlet v = body v\n\nPOST /b\n{{v}}{{v}}\n", LiveOptions{File: "t", Send: big, MaxValueBytes: 150})
	var le *LimitError
	if !errors.As(err, &le) || !errors.As(err, &serr) || serr.Line != 4 {
		t.Errorf("error %v, want a *LimitError blamed on line 4", err)
	}
}

func TestLintLive(t *testing.T) {
	t.Parallel()
	got := Lint(Request{Method: "POST", Path: "/users"}, Response{Status: 201, Headers: map[string]string{}})
	if len(got) != 1 || !strings.Contains(got[0].Message, "without Location") {
		t.Errorf("lint %+v", got)
	}
	if got := Lint(Request{Method: "GET", Path: "/x"}, Response{Status: 401, Headers: map[string]string{"WWW-Authenticate": "Bearer"}}); len(got) != 0 {
		t.Errorf("a 401 of unknown situation was blamed: %+v", got)
	}
}
