package matrixhtml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/httpplay/httpplay/simulator"
)

func TestHTMLEscaping(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		node *Node
		want string
	}{
		"text":        {el("td", nil, `a<b>&"c"`+"\u00a0"), `<td>a&lt;b&gt;&amp;"c"&nbsp;</td>`},
		"attribute":   {el("td", attrs("title", `<"&'>`+"\u00a0")), `<td title="&lt;&quot;&amp;'&gt;&nbsp;"></td>`},
		"empty attr":  {el("td", attrs("title", "", "class", "x")), `<td class="x"></td>`},
		"cr and nul":  {el("td", attrs("title", "a\r\nb"), "c\rd\x00e"), "<td title=\"a\nb\">c\nde</td>"},
		"bad utf-8":   {el("td", nil, "a\xffb"), "<td>a\uFFFDb</td>"},
		"nested":      {el("tr", nil, el("th", nil, "x"), "\n", el("td", nil)), "<tr><th>x</th>\n<td></td></tr>"},
		"attr order":  {el("th", attrs("scope", "col", "class", "c")), `<th scope="col" class="c"></th>`},
		"no children": {el("ul", nil), "<ul></ul>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.node.HTML(); got != tc.want {
				t.Errorf("HTML() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestJSONTree checks that the tree the browser builds from is valid JSON
// holding the same text and attributes as the HTML.
func TestJSONTree(t *testing.T) {
	t.Parallel()
	n := el("td", attrs("title", "q\"\\\n\t\u2028"), "x\x01y", el("code", nil, "é"))
	var got []any
	if err := json.Unmarshal(n.JSON(), &got); err != nil {
		t.Fatalf("%s: %v", n.JSON(), err)
	}
	want := []any{"td", []any{"title", "q\"\\\n\t\u2028"}, "x\x01y", []any{"code", []any{}, "é"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded %#v, want %#v", got, want)
	}
}

// TestPermalink decodes a permalink the way web/js/permalink.js does.
func TestPermalink(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		base     string
		policies []string
		want     string
	}{
		"defaults":     {"https://h.example/play/", nil, `{"v":1,"text":"DELETE /a <b> & c\n"}`},
		"policies":     {"https://h.example/#old", []string{"strict", "zalando"}, `{"v":1,"text":"DELETE /a <b> & c\n","policies":["strict","zalando"]}`},
		"all expanded": {"/play", []string{"all"}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			link := Permalink(tc.base, "DELETE /a <b> & c\n", tc.policies)
			base, frag, ok := strings.Cut(link, "#z=")
			if !ok || strings.Contains(base, "#") || !strings.HasPrefix(tc.base, base) {
				t.Fatalf("link %q", link)
			}
			raw, err := base64.RawURLEncoding.DecodeString(frag)
			if err != nil {
				t.Fatal(err)
			}
			js, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				var st struct{ Policies []string }
				json.Unmarshal(js, &st)
				if len(st.Policies) != len(simulator.Policies()) {
					t.Errorf("all became %v", st.Policies)
				}
				return
			}
			if string(js) != tc.want {
				t.Errorf("state %s, want %s", js, tc.want)
			}
		})
	}
}

// TestRenderRace checks a race cell: the outcomes with their orders, each
// status classed, and the row marked when the policies disagree.
func TestRenderRace(t *testing.T) {
	t.Parallel()
	p, _ := simulator.PresetByName("preset:booking-race")
	res, err := simulator.Run(p.Text, simulator.Options{Policies: []string{"strict"}, Isolation: []string{"atomic", "check-then-act"}})
	if err != nil {
		t.Fatal(err)
	}
	html := Render(res, Options{}).HTML()
	for _, want := range []string{
		`<tr class="httpplay-race httpplay-differs">`,
		`<ul class="httpplay-outcomes"><li><span class="httpplay-status httpplay-2xx">201</span>+<span class="httpplay-status httpplay-4xx">409</span>`,
		`<span class="httpplay-orders"> ×1</span>`,
		`<th scope="col" class="httpplay-policy">strict@check-then-act</th>`,
		`<th scope="row" colspan="2">double booking</th>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("lacks %s in\n%s", want, html)
		}
	}
	if strings.Contains(html, "\n\n") || strings.Contains(html, "<a ") {
		t.Error("a blank line (which ends a Markdown HTML block) or a link without a playground address")
	}
}

func ExampleRender() {
	res, _ := simulator.Run("# Delete\nDELETE /users/7\n", simulator.Options{Policies: []string{"strict", "idempotent"}})
	html := Render(res, Options{}).HTML()
	fmt.Println(strings.Split(html, "\n")[7])
	// Output:
	// <tr class="httpplay-request httpplay-differs"><td class="httpplay-line">2</td><th scope="row"><code>DELETE /users/7</code> <span class="httpplay-mark" title="the policies answer differently">≠</span></th><td class="httpplay-status httpplay-4xx" title="missing">404 Not Found</td><td class="httpplay-status httpplay-2xx" title="missing">204 No Content</td></tr>
}
