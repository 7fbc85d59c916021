package simulator

import (
	"strings"
	"testing"
)

// TestLint makes custom policies break each rule the linter knows and
// checks that the finding names the rule's RFC section.
func TestLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		policy   string
		scenario string
		cite     string // "" means: no finding of level warning or error
		level    string
	}{
		{"201 without Location", `{"rules":{"created":{"status":201,"headers":{}}}}`, "POST /a\n{}", "RFC 9110 §15.3.2", "warning"},
		{"201 with Location is clean", `{}`, "POST /a\n{}", "", ""},
		{"PUT 201 without Location is clean", `{}`, "PUT /a/1\n{}", "", ""},
		{"303 without Location", `{"rules":{"created":{"status":303,"headers":{},"body":"none"}}}`, "POST /a\n{}", "RFC 9110 §15.4", "warning"},
		{"401 without WWW-Authenticate", `{"rules":{"missing":{"status":401}}}`, "GET /a/1", "RFC 9110 §15.5.2", "error"},
		{"405 without Allow", `{"rules":{"method-not-allowed":{"status":405,"headers":{}}}}`, "POST /a\n{\"id\":\"1\"}\n\nDELETE /a", "RFC 9110 §15.5.6", "error"},
		{"204 with content", `{"rules":{"deleted":{"status":204,"body":{"ok":true}}}}`, "POST /a\n{\"id\":\"1\"}\n\nDELETE /a/1", "RFC 9110 §15.3.5", "error"},
		{"304 with content", `{"rules":{"not-modified":{"status":304,"body":"resource"}}}`, "POST /a\n{\"id\":\"1\"}\n\nGET /a/1\nIf-None-Match: *", "RFC 9110 §15.4.5", "error"},
		{"412 without precondition", `{"rules":{"duplicate":{"status":412}}}`, "POST /a\n{\"id\":\"1\"}\n\nPOST /a\n{\"id\":\"1\",\"x\":1}", "RFC 9110 §15.5.13", "warning"},
		{"412 with precondition is clean", `{}`, "POST /a\n{\"id\":\"1\"}\n\nPUT /a/1\nIf-Match: \"x\"\n{}", "", ""},
		{"206 without Range", `{"rules":{"batch-partial":{"status":206}}}`, "@required /a n\n\nPOST /a\n[{\"n\":1},{}]", "RFC 9110 §15.3.7", "error"},
		{"428 without explanation", `{"require_if_match":true,"rules":{"precondition-required":{"status":428,"body":"none"}}}`, "POST /a\n{\"id\":\"1\"}\n\nDELETE /a/1", "RFC 6585 §3", "warning"},
		{"problem status mismatch", `{"rules":{"missing":{"status":404,"headers":{"Content-Type":"application/problem+json"},"body":{"type":"about:blank","status":400}}}}`, "GET /a/1", "RFC 9457 §3.1.2", "error"},
		{"HEAD never has content", `{}`, "POST /a\n{\"id\":\"1\"}\n\nHEAD /a/1", "", ""},
		{"401 with a challenge is clean", `{}`, "@auth /a\n\nGET /a/1", "", ""},
		{"403 for a missing credential", `{"rules":{"unauthenticated":{"status":403,"headers":{}}}}`, "@auth /a\n\nGET /a/1", "RFC 9110 §15.5.2", "warning"},
		{"401 for a principal lacking permission", `{"rules":{"forbidden":{"status":401,"headers":{"WWW-Authenticate":"Bearer"}}}}`, ownedPost + "DELETE /p/1\nAuthorization: Bearer bob", "RFC 9110 §15.5.4", "warning"},
		{"403 for hidden where missing is 404", `{"rules":{"hidden":{"status":403}}}`, "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob", "RFC 9110 §15.5.4", "warning"},
		{"404 for hidden and missing is clean", `{}`, "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob", "", ""},
		{"403 for hidden, permission first, is clean", `{"permission_first":true,"rules":{"hidden":{"status":403}}}`, "@private /p\n" + ownedPost + "GET /p/1\nAuthorization: Bearer bob", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(tc.scenario, Options{Policies: []string{"strict"}, PolicyJSON: []string{withPolicyID(tc.policy)}})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Steps[len(res.Steps)-1].Results["x"]
			var found []Finding
			for _, f := range r.Lint {
				if f.Level != "info" {
					found = append(found, f)
				}
			}
			if tc.cite == "" {
				if len(found) > 0 {
					t.Errorf("unexpected findings: %+v", found)
				}
				return
			}
			for _, f := range found {
				if f.Cite == tc.cite && f.Level == tc.level {
					if f.URL == "" {
						t.Errorf("finding %q has no link", f.Message)
					}
					return
				}
			}
			t.Errorf("status %d: no %s finding citing %s among %+v", r.Status, tc.level, tc.cite, r.Lint)
		})
	}
}

// TestBuiltinsLintClean keeps the built-in policies honest: none of them
// may break a MUST of the RFCs in any preset.
func TestBuiltinsLintClean(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		res, err := Run(p.Text, Options{Policies: []string{"all"}})
		if err != nil {
			t.Fatal(err)
		}
		builtin := map[string]bool{}
		for _, id := range builtinOrder {
			builtin[id] = true
		}
		for _, st := range res.Steps {
			for id, r := range st.Results {
				for _, f := range r.Lint {
					if builtin[id] && f.Level == "error" {
						t.Errorf("%s line %d, %s: %s", p.Name, st.Line, id, f.Message)
					}
				}
			}
		}
	}
}

func TestCiteURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"RFC 9110 §15.5.10":        "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.10",
		"RFC 6585 §3":              "https://www.rfc-editor.org/rfc/rfc6585.html#section-3",
		"RFC 9457":                 "https://www.rfc-editor.org/rfc/rfc9457.html",
		"https://google.aip.dev/1": "https://google.aip.dev/1",
		"Zalando rule 152":         "",
		"RFC x §1":                 "",
	}
	for in, want := range tests {
		if got := citeURL(in); got != want {
			t.Errorf("citeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// withPolicyID names a test policy x.
func withPolicyID(def string) string {
	rest := strings.TrimSpace(strings.TrimPrefix(def, "{"))
	if rest == "}" {
		return `{"id":"x"}`
	}
	return `{"id":"x",` + rest
}
