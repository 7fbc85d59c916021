package simulator

import (
	"fmt"
	"strings"
)

// render builds the response a chosen rule describes: status line, header
// fields from the rule's templates, and the content in the policy's
// formats. It reads the world as the effect left it.
func (s *server) render(req *request, d *detection, ch *chosen, status int, itemStatuses []int, v view) Response {
	resp := Response{Situation: d.sit.String(), Status: status, Reason: ReasonPhrase(status), Headers: make(map[string]string, 4)}
	subject := s.w.live(d.subject)
	if d.allow == "" && ch.namesAllow {
		// Nodes work Allow out only for the methods it can refuse.
		d.allow = s.allowFor(req.target)
		if !s.isCollection(req.target) {
			d.acceptPatch = acceptPatch
		}
	}
	for _, h := range ch.headerList {
		if val, ok := expand(h.tmpl, d, subject); ok {
			resp.Headers[h.name] = val
		}
	}
	var body, ctype string
	if v != viewLean || d.key != "" || ch.Body != "error" {
		body, ctype = s.body(req, ch, d, subject, status, itemStatuses)
	}
	if d.replay != nil && ch.Body == "replay" {
		for k, val := range d.replay.headers {
			if _, set := resp.Headers[k]; !set {
				resp.Headers[k] = val
			}
		}
	}
	if body != "" && ctype != "" {
		// HEAD sends the header fields GET would (RFC 9110 §9.3.2), so the
		// media type stays although the content goes.
		resp.Headers["Content-Type"] = ctype
	}
	if req.method != "HEAD" {
		resp.Body = body
	}
	if s.policy.errorFormat() == "azure" && ch.Body == "error" {
		// Azure repeats the error code in a header so that clients can
		// branch without parsing the body.
		resp.Headers["X-Ms-Error-Code"] = errorCode(ch, d)
	}
	return resp
}

// expand fills a header template; ok is false when a placeholder has no
// value, so the header is left out rather than sent empty.
func expand(tmpl string, d *detection, subject *resource) (string, bool) {
	switch tmpl {
	// The templates every policy uses, answered without searching.
	case "{location}":
		if subject == nil {
			return "", false
		}
		if strings.IndexByte(d.subject, '{') < 0 {
			// A path that names a placeholder itself is expanded below.
			return d.subject, true
		}
	case "{etag}":
		if subject == nil {
			return "", false
		}
		return etag(subject), true
	}
	if strings.IndexByte(tmpl, '{') < 0 {
		return tmpl, true
	}
	out := tmpl
	if strings.Contains(out, "{location}") {
		if subject == nil {
			return "", false
		}
		out = strings.ReplaceAll(out, "{location}", d.subject)
	}
	if strings.Contains(out, "{etag}") {
		if subject == nil {
			return "", false
		}
		out = strings.ReplaceAll(out, "{etag}", etag(subject))
	}
	for _, ph := range [...]struct{ name, value string }{{"{allow}", d.allow}, {"{accept-patch}", d.acceptPatch}} {
		if strings.Contains(out, ph.name) {
			if ph.value == "" {
				return "", false
			}
			out = strings.ReplaceAll(out, ph.name, ph.value)
		}
	}
	return out, true
}

// itemStatuses chooses each batch item's status with the item's own rule.
func (s *server) itemStatuses(items []itemResult) []int {
	if items == nil {
		return nil
	}
	out := make([]int, len(items))
	for i, it := range items {
		out[i] = s.choose(ruleQuery{sit: it.sit, method: "POST", unique: it.unique, rel: it.rel}).Status
		if out[i] == 0 {
			out[i] = 500
		}
	}
	return out
}

func firstFailure(items []itemResult, statuses []int) int {
	for i, it := range items {
		if it.write == nil {
			return statuses[i]
		}
	}
	return 0
}

// body renders the response content and its media type.
func (s *server) body(req *request, ch *chosen, d *detection, subject *resource, status int, itemStatuses []int) (string, string) {
	media := s.policy.mediaType()
	switch ch.Body {
	case "none":
		return "", ""
	case "resource":
		if subject != nil {
			return s.representation(d.subject, subject.body, status), media
		}
		if d.sit == Listed {
			return s.listing(req, d.subject), media
		}
		return "", ""
	case "ack":
		msg := ch.Message
		if msg == "" {
			msg = "The request was received."
		}
		return mustJSON(map[string]string{"message": msg}), "application/json"
	case "status":
		return kubernetesSuccess(d), "application/json"
	case "request":
		// The representation the request sent, as Azure's conditional
		// request table asks a 412 to PUT or PATCH to return.
		if c, _, ok := s.cache.canonicalJSON(req.body); ok {
			return c, "application/json"
		}
		return "", ""
	case "batch":
		return s.batchBody(ch, d, itemStatuses), "application/json"
	case "replay":
		if d.replay != nil {
			return d.replay.body, d.replay.headers["Content-Type"]
		}
		return "", ""
	case "error":
		if d.items != nil {
			// An atomic batch reports the item that failed it.
			for _, it := range d.items {
				if it.write == nil {
					return errorBody(s.policy, ch, &detection{sit: it.sit, subject: it.subject, detail: fmt.Sprintf("item %d: %s", it.index, it.detail), field: it.field, missing: it.missing}, status, req)
				}
			}
		}
		return errorBody(s.policy, ch, d, status, req)
	}
	// A literal body from a custom rule is served as written.
	ctype := ch.Headers["Content-Type"]
	if ctype == "" {
		ctype = "application/json"
	}
	return ch.Body, ctype
}

// representation renders one member in the policy's document format: as
// stored, or as a JSON:API resource object; PayPal-style policies add the
// links of a created resource to the body instead of a Location field.
func (s *server) representation(path, body string, status int) string {
	switch {
	case s.policy.documents() == "jsonapi":
		return `{"data":` + s.jsonapiResource(path, body) + `}`
	case s.policy.links() && status == 201:
		links := `[{"href":` + string(appendJSONString(nil, path)) + `,"method":"GET","rel":"self"}]`
		if obj, ok := strings.CutSuffix(strings.TrimSpace(body), "}"); ok && strings.HasPrefix(obj, "{") {
			if strings.TrimSpace(obj) == "{" {
				return `{"links":` + links + `}`
			}
			return obj + `,"links":` + links + `}`
		}
	}
	return body
}

// listing renders a collection in the policy's envelope, with only the
// members the asker may see (@private).
func (s *server) listing(req *request, coll string) string {
	private := s.accessFor(coll).private
	var members []string
	if private || s.policy.documents() == "jsonapi" {
		for _, p := range s.w.members(coll) {
			if !private || s.visibleTo(req, coll, p, s.w.res[p].body) {
				members = append(members, p)
			}
		}
	}
	if s.policy.documents() == "jsonapi" {
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i, p := range members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(s.jsonapiResource(p, s.w.res[p].body))
		}
		b.WriteString("]}")
		return b.String()
	}
	var list string
	if private {
		var b strings.Builder
		b.WriteByte('[')
		for i, p := range members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(s.w.res[p].body)
		}
		b.WriteByte(']')
		list = b.String()
	} else {
		list = s.w.listBody(coll)
	}
	switch env := s.policy.listEnvelope(); env {
	case "":
		return list
	case "kubernetes":
		// A List kind: items plus list metadata (API conventions, Types).
		return `{"apiVersion":"v1","items":` + list + `,"kind":` + string(appendJSONString(nil, resourceKind(joinPath(coll, "x"))+"List")) + `,"metadata":{}}`
	default:
		return `{` + string(appendJSONString(nil, env)) + `:` + list + `}`
	}
}

// jsonapiResource renders a stored member as a JSON:API resource object:
// type from the collection, id from the path, and the other members as
// attributes, since the id is never an attribute.
func (s *server) jsonapiResource(path, body string) string {
	attrs := s.cache.withoutID(body)
	w := newJSONWriter()
	if strings.HasPrefix(attrs, "{") && attrs != "{}" {
		w.raw("attributes", attrs)
	}
	w.str("id", lastSegment(path)).str("type", lastSegment(parentOf(path)))
	return w.done()
}

// kubernetesSuccess is the Status object Kubernetes returns for a DELETE
// it carried out.
func kubernetesSuccess(d *detection) string {
	w := newJSONWriter()
	w.str("apiVersion", "v1").open("details").str("kind", resourceKind(d.subject)).str("name", lastSegment(d.subject)).close()
	w.str("kind", "Status").raw("metadata", "{}").str("status", "Success")
	return w.done()
}

// batchBody lists each item with its own status; in an atomic batch that
// failed, the items that would have succeeded report 424 Failed Dependency.
func (s *server) batchBody(ch *chosen, d *detection, statuses []int) string {
	atomicFail := d.sit == BatchPartial && (s.policy.batchAtomic() || ch.Effect == "none")
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i, it := range d.items {
		if i > 0 {
			b.WriteByte(',')
		}
		st := statuses[i]
		item := map[string]any{"index": it.index}
		if it.write != nil && atomicFail {
			st = 424
			item["detail"] = "not created because another item of the batch failed"
		} else if it.write != nil {
			item["location"] = it.subject
		} else {
			item["detail"] = it.detail
			if it.field != "" {
				item["field"] = it.field
			}
		}
		item["status"] = st
		b.WriteString(mustJSON(item))
	}
	b.WriteString("]}")
	return b.String()
}
