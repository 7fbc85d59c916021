package simulator

import (
	"os"
	"strings"
	"testing"
)

// TestSyntaxListsTheGraph checks that SYNTAX.md lists the decision graph
// as the code walks it: every node, in order, with its question.
func TestSyntaxListsTheGraph(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../SYNTAX.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	at := strings.Index(text, "### The decision graph")
	if at < 0 {
		t.Fatal("SYNTAX.md has no section \"The decision graph\"")
	}
	text = text[at:]
	for i, n := range DecisionGraph() {
		line := "`" + n.Name + "`: " + n.Question
		j := strings.Index(text, line)
		if j < 0 {
			t.Fatalf("node %d %s is not listed in order in SYNTAX.md as %q", i+1, n.Name, line)
		}
		text = text[j:]
	}
}

// TestGraphDecidesEveryMethod walks the graph with every method on every
// kind of target, so that no request can fall off its end.
func TestGraphDecidesEveryMethod(t *testing.T) {
	t.Parallel()
	targets := []string{"/a", "/a/1", "/a/2", "/b/9"}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"} {
		for _, target := range targets {
			src := "POST /a\n{\"id\":\"1\"}\n\nPOST /a\n{\"id\":\"2\"}\n\nDELETE /a/2\n\n" + m + " " + target + "\n{}"
			if m == "GET" || m == "HEAD" || m == "DELETE" || m == "OPTIONS" || m == "PURGE" {
				src = strings.TrimSuffix(src, "\n{}")
			}
			if _, err := Run(src, Options{Policies: []string{"all"}}); err != nil {
				t.Errorf("%s %s: %v", m, target, err)
			}
		}
	}
}
