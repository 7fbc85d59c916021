package simulator

import (
	"encoding/json"
	"strconv"
	"sync"
)

// JSON encodes the result the one way every host sends it: indented with
// two spaces, keys of maps sorted, and a final newline, byte for byte as
// json.MarshalIndent(r, "", "  ") writes it
// (TestResultJSONMatchesMarshalIndent).
//
// It writes the result itself, indented as it goes: in WebAssembly
// encoding/json's reflection over a result and a second pass to indent the
// compact text cost about as much as running the scenario. Race steps and
// race results, rarer, still go through encoding/json and are indented in
// place.
func (r *Result) JSON() []byte {
	var b []byte
	if p, ok := resultBuffers.Get().(*[]byte); ok {
		b = (*p)[:0]
	}
	b = r.AppendJSON(b)
	out := append(make([]byte, 0, len(b)), b...)
	if cap(b) <= maxPooledBuffer {
		resultBuffers.Put(&b)
	}
	return out
}

// AppendJSON appends to dst the bytes JSON returns and returns the
// extended buffer. A server that sends result after result can write each
// into the buffer of the one before, sparing the copy JSON makes and the
// garbage of a result's size that copy leaves at every request.
func (r *Result) AppendJSON(dst []byte) []byte {
	w := indentWriter{b: dst}
	w.result(r)
	return append(w.b, '\n')
}

// resultBuffers holds the buffers a result is written into before it is
// copied out at its size: growing a new buffer to the size of a result at
// every run cost more than the copy, in WebAssembly most (each growth
// copies, and the garbage makes the collector assist). maxPooledBuffer
// keeps a rare huge one from staying.
var resultBuffers sync.Pool

const maxPooledBuffer = 1 << 20

// indentWriter writes JSON indented by two spaces a level as
// json.MarshalIndent does: a newline and the indentation before every
// member, none inside an empty object or array, and ": " after a key.
//
// Its small methods are marked go:noinline: inlined into every writer
// below, they made these writers 210 KB of WebAssembly instead of 23 KB,
// for no gain in speed there (natively inlining them is about a third
// faster, at a fraction of a millisecond a result).
type indentWriter struct {
	b     []byte
	depth int
	// empty says whether the innermost object or array open has no
	// member yet.
	empty bool
}

// open starts an object or array, c being '{' or '['.
//
//go:noinline
func (w *indentWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.empty = true
}

// close ends the innermost object or array, c being '}' or ']'.
//
//go:noinline
func (w *indentWriter) close(c byte) {
	w.depth--
	if !w.empty {
		w.b = appendNewline(w.b, w.depth)
	}
	w.b = append(w.b, c)
	w.empty = false
}

// member starts the next member of the innermost object or array.
//
//go:noinline
func (w *indentWriter) member() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.b = appendNewline(w.b, w.depth)
}

// field starts the member named name of the innermost object; name is a
// field name of the contract, which needs no escaping.
//
//go:noinline
func (w *indentWriter) field(name string) {
	w.member()
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':', ' ')
}

// str writes the member named name, a field name of the contract, with
// the string value v. With num, it is field and a value in one call: a
// call costs more in WebAssembly than the few appends it saves, and a
// result has thousands of such members.
//
//go:noinline
func (w *indentWriter) str(name, v string) {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.b = appendNewline(w.b, w.depth)
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':', ' ')
	w.b = appendJSONString(w.b, v)
}

// num writes the member named name with the number n; see str.
//
//go:noinline
func (w *indentWriter) num(name string, n int) {
	w.field(name)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

// key starts the member keyed k, a map key, of the innermost object.
//
//go:noinline
func (w *indentWriter) key(k string) {
	w.member()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':', ' ')
}

//go:noinline
func (w *indentWriter) quoted(s string) { w.b = appendJSONString(w.b, s) }

//go:noinline
func (w *indentWriter) number(n int) { w.b = strconv.AppendInt(w.b, int64(n), 10) }

//go:noinline
func (w *indentWriter) null() { w.b = append(w.b, "null"...) }

//go:noinline
func (w *indentWriter) boolean(v bool) { w.b = strconv.AppendBool(w.b, v) }

// marshal writes v as encoding/json writes it, indented at the current
// depth.
func (w *indentWriter) marshal(v any) {
	out, err := json.Marshal(v)
	if err != nil {
		// Every such value is made of strings, numbers, booleans and
		// maps and slices of those.
		panic(err)
	}
	w.indented(out)
}

// indented writes src, JSON as json.Marshal writes it, indented at the
// current depth.
func (w *indentWriter) indented(src []byte) {
	w.b = indentJSON(w.b, src, w.depth)
}

// stringList writes a []string, null when nil.
func (w *indentWriter) stringList(s []string) {
	if s == nil {
		w.null()
		return
	}
	w.open('[')
	for _, e := range s {
		w.member()
		w.quoted(e)
	}
	w.close(']')
}

// stringMap writes a map[string]string with sorted keys, null when nil.
func (w *indentWriter) stringMap(m map[string]string) {
	if m == nil {
		w.null()
		return
	}
	w.open('{')
	var keys [8]string
	for _, k := range appendSortedKeys(keys[:0], m) {
		w.key(k)
		w.quoted(m[k])
	}
	w.close('}')
}

// writeArray writes items as an array, each by one, or null when items is
// nil, as encoding/json does. It is for the result's own arrays, written
// once a result: the per-response ones keep their loops, where a method
// value for each response would cost an allocation.
func writeArray[T any](w *indentWriter, items []T, one func(*T)) {
	if items == nil {
		w.null()
		return
	}
	w.open('[')
	for i := range items {
		w.member()
		one(&items[i])
	}
	w.close(']')
}

func (w *indentWriter) result(r *Result) {
	w.open('{')
	w.str("title", r.Title)
	w.field("policies")
	w.stringList(r.Policies)
	w.field("columns")
	writeArray(w, r.Columns, w.column)
	w.field("steps")
	writeArray(w, r.Steps, w.step)
	if len(r.Properties) > 0 {
		w.field("properties")
		w.open('{')
		for _, id := range sortedKeys(r.Properties) {
			w.key(id)
			p := r.Properties[id]
			w.properties(&p)
		}
		w.close('}')
	}
	w.close('}')
}

func (w *indentWriter) step(s *Step) {
	w.open('{')
	w.num("line", s.Line)
	if s.Request != nil {
		w.field("request")
		w.request(s.Request)
	}
	if len(s.Race) > 0 {
		w.field("race")
		w.marshal(s.Race)
	}
	w.field("results")
	if s.Results == nil {
		w.null()
	} else {
		w.open('{')
		var ids [16]string
		for _, id := range appendSortedKeys(ids[:0], s.Results) {
			w.key(id)
			resp := s.Results[id]
			w.response(&resp)
		}
		w.close('}')
	}
	if s.Differs {
		w.field("differs")
		w.boolean(true)
	}
	w.close('}')
}

// response writes r as its MarshalJSON does, which stays on encoding/json
// as the reference the tests hold this writer to.
func (w *indentWriter) response(r *Response) {
	if r.Race != nil {
		out, err := r.MarshalJSON()
		if err != nil {
			// A race result holds strings, numbers and slices of those.
			panic(err)
		}
		w.indented(out)
		return
	}
	w.open('{')
	if r.Sent != nil {
		w.field("sent")
		w.request(r.Sent)
	}
	w.num("status", r.Status)
	w.str("reason", r.Reason)
	w.field("headers")
	w.stringMap(r.Headers)
	w.str("body", r.Body)
	w.str("situation", r.Situation)
	w.field("trace")
	if r.Trace == nil {
		w.null()
	} else {
		w.open('[')
		for _, e := range r.Trace {
			w.member()
			w.traceEntry(e)
		}
		w.close(']')
	}
	w.field("lint")
	if r.Lint == nil {
		w.null()
	} else {
		w.open('[')
		for _, f := range r.Lint {
			w.member()
			w.finding(f)
		}
		w.close(']')
	}
	if len(r.Unfilled) > 0 {
		w.field("unfilled")
		w.stringList(r.Unfilled)
	}
	w.close('}')
}

func (w *indentWriter) request(q *Request) {
	w.open('{')
	w.str("method", q.Method)
	w.str("path", q.Path)
	if len(q.Headers) > 0 {
		w.field("headers")
		w.stringMap(q.Headers)
	}
	if q.Body != "" {
		w.str("body", q.Body)
	}
	w.close('}')
}

func (w *indentWriter) traceEntry(e TraceEntry) {
	w.open('{')
	w.str("step", e.Step)
	w.str("detail", e.Detail)
	if e.Cite != "" {
		w.str("cite", e.Cite)
	}
	if e.URL != "" {
		w.str("url", e.URL)
	}
	w.close('}')
}

func (w *indentWriter) finding(f Finding) {
	w.open('{')
	w.str("level", f.Level)
	w.str("message", f.Message)
	w.str("cite", f.Cite)
	if f.URL != "" {
		w.str("url", f.URL)
	}
	w.close('}')
}

func (w *indentWriter) column(c *Column) {
	w.open('{')
	w.str("id", c.ID)
	w.str("policy", c.Policy)
	w.str("isolation", c.Isolation)
	w.str("name", c.Name)
	w.str("summary", c.Summary)
	if c.URL != "" {
		w.str("url", c.URL)
	}
	w.field("guideline")
	w.boolean(c.Guideline)
	w.field("custom")
	w.boolean(c.Custom)
	w.close('}')
}

func (w *indentWriter) properties(p *Properties) {
	w.open('{')
	w.field("retry_safe")
	w.property(&p.RetrySafe)
	w.field("idempotent_effect")
	w.property(&p.IdempotentEffect)
	w.field("leaks_existence")
	w.property(&p.LeaksExistence)
	w.field("loses_updates")
	w.property(&p.LosesUpdates)
	w.field("double_booking")
	w.property(&p.DoubleBooking)
	w.field("cacheable_refusals")
	w.property(&p.CacheableRefusals)
	w.close('}')
}

func (w *indentWriter) property(p *Property) {
	w.open('{')
	w.field("value")
	if p.Value == nil {
		w.null()
	} else {
		w.boolean(*p.Value)
	}
	w.str("summary", p.Summary)
	if len(p.Lines) > 0 {
		w.field("lines")
		w.open('[')
		for _, n := range p.Lines {
			w.member()
			w.number(n)
		}
		w.close(']')
	}
	if len(p.Details) > 0 {
		w.field("details")
		w.stringList(p.Details)
	}
	w.str("cite", p.Cite)
	if p.URL != "" {
		w.str("url", p.URL)
	}
	w.close('}')
}

// indentJSON appends src, JSON as json.Marshal writes it (valid, with no
// space outside strings), to dst indented by two spaces a level starting
// at depth, byte for byte as json.Indent(dst, src, prefix, "  ") would
// with a prefix of depth levels (and none before the first byte): empty
// objects and arrays stay {} and []. It trusts src to be valid, which
// json.Indent checks with a scanner that cost as much as encoding it.
func indentJSON(dst, src []byte, depth int) []byte {
	needIndent, inString := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			// Copy the run up to the next quote or escape at once:
			// strings are most of the text, and a byte-by-byte append
			// was the slowest part of indenting in WebAssembly.
			j := i
			for j < len(src) && src[j] != '"' && src[j] != '\\' {
				j++
			}
			dst = append(dst, src[i:j]...)
			if j == len(src) {
				break
			}
			dst = append(dst, src[j])
			if src[j] == '"' {
				inString = false
			} else if j+1 < len(src) {
				j++
				dst = append(dst, src[j])
			}
			i = j
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			dst = appendNewline(dst, depth)
		}
		switch c {
		case '"':
			inString = true
			dst = append(dst, c)
		case '{', '[':
			// The newline waits for the first member, so that an empty
			// object or array is written {} or [].
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = appendNewline(append(dst, c), depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = appendNewline(dst, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendNewline appends a newline and the indentation of depth levels.
func appendNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for depth > len(indentSpaces)/2 {
		dst = append(dst, indentSpaces...)
		depth -= len(indentSpaces) / 2
	}
	return append(dst, indentSpaces[:2*depth]...)
}

// indentSpaces is the indentation of 32 levels, more than a result nests.
const indentSpaces = "                                                                "
