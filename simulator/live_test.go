package simulator

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicyByID(t *testing.T) {
	t.Parallel()
	for _, p := range Policies() {
		got, ok := PolicyByID(p.ID)
		if !ok || got != p {
			t.Errorf("PolicyByID(%q) = %+v, %v; want %+v", p.ID, got, ok, p)
		}
	}
	if _, ok := PolicyByID("nope"); ok {
		t.Error("PolicyByID found an unknown policy")
	}
}

func TestNewServerDeclarationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"a request", "@unique /users email\n\nGET /users\n", "declarations:3:1: declarations may not hold requests"},
		{"a bad pattern", "\n@unique users email\n", "declarations:2:"},
		{"a policy", "@policy p {\"base\": \"strict\"}\n", "declarations:1:"},
	}
	for _, tt := range tests {
		_, err := NewServer(ServerOptions{Policy: "strict", Declarations: tt.text})
		var perr *Error
		if !errors.As(err, &perr) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want *Error starting %q", tt.name, err, tt.want)
		}
	}
}

// TestServerIsTheColumn plays a scenario's requests one at a time through
// a Server and requires each answer to be the matrix cell, trace and lint
// included, so that the mock and the matrix cannot drift apart.
func TestServerIsTheColumn(t *testing.T) {
	t.Parallel()
	for _, preset := range Presets() {
		if strings.Contains(preset.Text, "race {") || strings.Contains(preset.Text, "@policy") {
			continue
		}
		for _, pol := range Policies() {
			res, err := Run(preset.Text, Options{Policies: []string{pol.ID}})
			if err != nil {
				t.Fatal(err)
			}
			var decls strings.Builder
			for _, line := range strings.Split(preset.Text, "\n") {
				if strings.HasPrefix(line, "@") {
					decls.WriteString(line + "\n")
				}
			}
			srv, err := NewServer(ServerOptions{Policy: pol.ID, Declarations: decls.String()})
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range res.Steps {
				want := step.Results[pol.ID]
				req := step.Request
				if want.Sent != nil {
					req = want.Sent
				}
				got := srv.Handle(*req)
				// Captures append to the cell's trace after handling.
				want.Trace = want.Trace[:len(got.Trace)]
				want.Sent, want.Unfilled = nil, nil
				if string(mustMarshal(t, got)) != string(mustMarshal(t, want)) {
					t.Fatalf("%s, %s, line %d:\n got %s\nwant %s", preset.Name, pol.ID, step.Line, mustMarshal(t, got), mustMarshal(t, want))
				}
			}
		}
	}
}

func mustMarshal(t *testing.T, v Response) []byte {
	t.Helper()
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
