package simulator

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// rfcSections lists the sections of RFCs that citations may name. Each was
// checked against the RFC's table of contents; a cite outside it fails, so
// a typo such as §13.1.1 for If-None-Match is caught when it is written.
var rfcSections = map[string][]string{
	"9110": {"3.2", "5.5", "8.8.3.2", "9.1", "9.2.2", "9.3.1", "9.3.2", "9.3.3", "9.3.4", "9.3.5", "9.3.7",
		"10.2.2", "12.5.1", "13.1.1", "13.1.2", "13.2.1", "13.2.2", "15.1", "15.3", "15.3.1", "15.3.2", "15.3.3",
		"15.3.5", "15.3.7", "15.4", "15.4.4", "15.4.5", "15.5.1", "15.5.2", "15.5.4", "15.5.5", "15.5.6",
		"15.5.7", "15.5.10", "15.5.11", "15.5.13", "15.5.16", "15.5.21", "15.6.2"},
	"5789": {"2", "2.2", "3.1"},
	"6585": {"3"},
	"6902": {"3", "4", "4.6", "5"},
	"7396": {"2"},
	"4918": {"11.1"},
	"9457": {"3.1.2"},
	"6750": {"3", "3.1"},
}

var rfcCite = regexp.MustCompile(`^RFC (\d+) §([\d.]+)$`)

// knownAnchors reads testdata/anchors.txt.
func knownAnchors(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/anchors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
}

// checkCite reports why a citation would not land on its text, or "".
func checkCite(cite string, anchors map[string]bool) string {
	if cite == "" {
		return ""
	}
	if strings.HasPrefix(cite, "https://") {
		if !anchors[cite] {
			return "not in testdata/anchors.txt: check the anchor against the source and add it"
		}
		return ""
	}
	m := rfcCite.FindStringSubmatch(cite)
	if m == nil {
		return "neither a URL nor of the form RFC N §X.Y"
	}
	for _, s := range rfcSections[m[1]] {
		if s == m[2] {
			if citeURL(cite) != "https://www.rfc-editor.org/rfc/rfc"+m[1]+".html#section-"+m[2] {
				return "links to " + citeURL(cite)
			}
			return ""
		}
	}
	return "section not in the list of checked sections of RFC " + m[1]
}

// TestCitationsLand checks every citation of every built-in rule: a URL
// must be a known section anchor, an RFC section one that exists.
func TestCitationsLand(t *testing.T) {
	t.Parallel()
	anchors := knownAnchors(t)
	list, _ := builtins()
	for _, p := range list {
		for key, r := range p.Rules {
			if why := checkCite(r.Cite, anchors); why != "" {
				t.Errorf("%s rule %s: cite %q: %s", p.ID, key, r.Cite, why)
			}
		}
	}
}

// TestTraceAndLintCitationsLand checks the citations the decision nodes
// and lint write, over every preset under every policy.
func TestTraceAndLintCitationsLand(t *testing.T) {
	t.Parallel()
	anchors := knownAnchors(t)
	for _, n := range DecisionGraph() {
		if why := checkCite(n.Cite, anchors); why != "" {
			t.Errorf("node %s: cite %q: %s", n.Name, n.Cite, why)
		}
	}
	policyURLs := map[string]bool{}
	for _, p := range Policies() {
		policyURLs[p.URL] = true
	}
	seen := map[string]bool{}
	forEveryAnswer(t, func(preset string, _ int, id string, r Response) {
		var cites []string
		for _, e := range r.Trace {
			cites = append(cites, e.Cite)
		}
		for _, f := range r.Lint {
			cites = append(cites, f.Cite)
		}
		for _, c := range cites {
			if seen[c] || policyURLs[c] {
				continue
			}
			seen[c] = true
			if why := checkCite(c, anchors); why != "" {
				t.Errorf("%s, %s: cite %q: %s", preset, id, c, why)
			}
		}
	})
}
