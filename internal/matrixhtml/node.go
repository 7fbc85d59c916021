// Package matrixhtml renders a simulation result as an HTML fragment for
// documentation: a semantic table with classes and no inline script or
// style. The native `httpplay render --format html` and the browser widget
// (web/embed.js, through the WebAssembly module) both call it, so a table
// rendered at build time and the one the widget builds are the same bytes.
//
// The fragment is built as a small tree of Nodes rather than as a string so
// that the browser can construct it with createElement and textContent: a
// page under Trusted Types, with no policy, then never parses a string as
// HTML, and the tree's serialization by the browser equals Node.HTML.
package matrixhtml

import (
	"strconv"
	"strings"
)

// Node is an element (Tag set) or a text node (Tag empty).
type Node struct {
	Tag   string
	Attrs []Attr
	Kids  []*Node
	Text  string
}

// Attr is one attribute; attributes keep the order they were added in.
type Attr struct{ Name, Value string }

// el returns an element with attributes given as name, value pairs; a pair
// whose value is empty is left out. Kids may be *Node, string (a text node)
// or []*Node.
func el(tag string, attrs []string, kids ...any) *Node {
	n := &Node{Tag: tag}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			n.Attrs = append(n.Attrs, Attr{attrs[i], clean(attrs[i+1])})
		}
	}
	n.add(kids...)
	return n
}

func (n *Node) add(kids ...any) *Node {
	for _, k := range kids {
		switch k := k.(type) {
		case *Node:
			if k != nil {
				n.Kids = append(n.Kids, k)
			}
		case []*Node:
			for _, c := range k {
				n.add(c)
			}
		case string:
			if k != "" {
				n.Kids = append(n.Kids, &Node{Text: clean(k)})
			}
		}
	}
	return n
}

// clean makes text survive a trip through the HTML parser unchanged, so
// that the parsed pre-rendered table and the built one stay equal: the
// parser turns CR and CR LF into LF, drops NUL in text, and reads invalid
// UTF-8 as U+FFFD.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsAny(s, "\r\x00") {
		s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "").Replace(s)
	}
	return s
}

// attrs is a shorthand for the name, value list of el.
func attrs(nv ...string) []string { return nv }

// HTML serializes the tree exactly as a browser serializes the DOM it
// builds from it (the HTML fragment serialization algorithm, with < and >
// escaped in attribute values as current browsers do), so that the
// outerHTML of the element the widget builds equals this string.
func (n *Node) HTML() string {
	var b strings.Builder
	n.writeHTML(&b)
	return b.String()
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "\u00a0", "&nbsp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "\u00a0", "&nbsp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;")
)

func (n *Node) writeHTML(b *strings.Builder) {
	if n.Tag == "" {
		b.WriteString(textEscaper.Replace(n.Text))
		return
	}
	b.WriteString("<" + n.Tag)
	for _, a := range n.Attrs {
		b.WriteString(" " + a.Name + `="` + attrEscaper.Replace(a.Value) + `"`)
	}
	b.WriteByte('>')
	for _, k := range n.Kids {
		k.writeHTML(b)
	}
	b.WriteString("</" + n.Tag + ">")
}

// JSON encodes the tree for the browser: a text node is a JSON string, an
// element is ["tag", ["name", "value", ...], kid, ...].
func (n *Node) JSON() []byte {
	var b []byte
	return n.appendJSON(b)
}

func (n *Node) appendJSON(b []byte) []byte {
	if n.Tag == "" {
		return appendString(b, n.Text)
	}
	b = append(b, '[')
	b = appendString(b, n.Tag)
	b = append(b, ",["...)
	for i, a := range n.Attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, a.Name)
		b = append(b, ',')
		b = appendString(b, a.Value)
	}
	b = append(b, ']')
	for _, k := range n.Kids {
		b = append(b, ',')
		b = k.appendJSON(b)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. strconv.Quote is not JSON (it
// writes \x escapes), so control characters are escaped by hand.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, `\u`...)
			h := strconv.FormatInt(int64(r), 16)
			b = append(b, strings.Repeat("0", 4-len(h))+h...)
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}
