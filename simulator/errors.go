package simulator

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// defaultCodes names each refusal in the vocabulary of the error formats
// that carry a code, for rules that do not set one.
var defaultCodes = map[Situation][4]string{
	// google, kubernetes reason, github code, azure/paypal code
	Missing:               {"NOT_FOUND", "NotFound", "missing", "NotFound"},
	PreviouslyDeleted:     {"NOT_FOUND", "NotFound", "missing", "NotFound"},
	AlreadyPresent:        {"ALREADY_EXISTS", "AlreadyExists", "already_exists", "Conflict"},
	Duplicate:             {"ALREADY_EXISTS", "AlreadyExists", "already_exists", "Conflict"},
	ImmutableConflict:     {"INVALID_ARGUMENT", "Invalid", "invalid", "Conflict"},
	PreconditionFailed:    {"ABORTED", "Conflict", "invalid", "PreconditionFailed"},
	PreconditionRequired:  {"INVALID_ARGUMENT", "BadRequest", "missing_field", "PreconditionRequired"},
	InvariantViolated:     {"FAILED_PRECONDITION", "Conflict", "invalid", "Conflict"},
	DanglingReference:     {"NOT_FOUND", "NotFound", "missing", "InvalidReference"},
	InUse:                 {"FAILED_PRECONDITION", "Conflict", "invalid", "Conflict"},
	Invalid:               {"INVALID_ARGUMENT", "Invalid", "invalid", "InvalidRequestContent"},
	Malformed:             {"INVALID_ARGUMENT", "BadRequest", "invalid", "InvalidRequestContent"},
	MethodNotAllowed:      {"UNIMPLEMENTED", "MethodNotAllowed", "invalid", "MethodNotAllowed"},
	NotImplemented:        {"UNIMPLEMENTED", "MethodNotAllowed", "invalid", "NotImplemented"},
	NotAcceptable:         {"INVALID_ARGUMENT", "NotAcceptable", "invalid", "NotAcceptable"},
	UnsupportedMediaType:  {"INVALID_ARGUMENT", "UnsupportedMediaType", "invalid", "UnsupportedMediaType"},
	PatchConflict:         {"FAILED_PRECONDITION", "Conflict", "invalid", "Conflict"},
	IDMismatch:            {"INVALID_ARGUMENT", "BadRequest", "invalid", "InvalidRequestContent"},
	IdempotencyMismatch:   {"INVALID_ARGUMENT", "BadRequest", "invalid", "IdempotencyKeyMismatch"},
	IdempotencyKeyMissing: {"INVALID_ARGUMENT", "BadRequest", "missing_field", "IdempotencyKeyRequired"},
	IdempotencyInFlight:   {"ABORTED", "Conflict", "invalid", "Conflict"},
	BatchPartial:          {"INVALID_ARGUMENT", "Invalid", "invalid", "InvalidRequestContent"},
	Unauthenticated:       {"UNAUTHENTICATED", "Unauthorized", "invalid", "Unauthorized"},
	InvalidCredentials:    {"UNAUTHENTICATED", "Unauthorized", "invalid", "InvalidAuthenticationToken"},
	Forbidden:             {"PERMISSION_DENIED", "Forbidden", "invalid", "Forbidden"},
	// A hidden member is answered as a missing one unless a rule says
	// otherwise: hiding means looking the same.
	Hidden: {"NOT_FOUND", "NotFound", "missing", "NotFound"},
}

// errorCode is the code the rule sets or the format's usual one.
func errorCode(ch *chosen, d *detection) string {
	return errorCodeIn(chFormat(ch), ch, d)
}

// errorCodeIn is errorCode in a given error format.
func errorCodeIn(format string, ch *chosen, d *detection) string {
	if format == "github" {
		// GitHub's codes say what kind of validation failed, which the
		// detection knows better than a rule written per situation.
		switch {
		case d.missing:
			return "missing_field"
		case d.notObject:
			return "Body should be a JSON object"
		}
	}
	if ch.Code != "" {
		return ch.Code
	}
	sit := shownSituation(d.sit, ch.Status)
	codes, ok := defaultCodes[sit]
	if !ok {
		return sit.String()
	}
	switch format {
	case "google":
		return codes[0]
	case "kubernetes":
		return codes[1]
	case "github":
		if d.sit == Malformed {
			return "Problems parsing JSON"
		}
		return codes[2]
	case "paypal":
		return strings.ToUpper(strings.ReplaceAll(sit.String(), "-", "_"))
	}
	return codes[3]
}

func chFormat(ch *chosen) string {
	if ch.owner == nil {
		return "problem"
	}
	return ch.owner.errorFormat()
}

// errorBody renders a refusal in the policy's error format.
func errorBody(p *Policy, ch *chosen, d *detection, status int, req *request) (string, string) {
	detail := d.detail
	if ch.Message != "" {
		detail = ch.Message
	}
	sit := shownSituation(d.sit, status)
	if detail == "" {
		detail = sit.String()
	}
	format := p.errorFormat()
	code := errorCodeIn(format, ch, d)
	reason := ReasonPhrase(status)
	// A refused POST is about the collection itself, whose members are the
	// kind of resource the error names.
	kind := resourceKind(d.subject)
	if req.method == "POST" && d.subject == req.target {
		kind = resourceKind(joinPath(d.subject, "new"))
	}
	// Members are written in sorted order by hand: error bodies are built
	// for every refusal of every policy, and maps plus sorting cost more
	// than the rest of the response.
	w := newJSONWriter()
	switch format {
	case "azure":
		w.open("error").str("code", code).str("message", detail)
		if d.field != "" {
			w.str("target", d.field)
		}
		w.close()
		return w.done(), "application/json"
	case "paypal":
		// error.json: name, debug_id and message are required, details for
		// every 4xx, and links describe the error scenario (PayPal API style
		// guide, Error Schema); the message describes the problem.
		w.str("debug_id", debugID(req, status))
		w.openArray("details").openItem()
		if d.field != "" {
			w.str("field", "/"+d.field)
		}
		w.str("issue", detail).str("location", "body").close().closeArray()
		w.raw("links", paypalLinks(ch.Cite)).str("message", detail).str("name", code)
		return w.done(), "application/json"
	case "jsonapi":
		w.openArray("errors").openItem().str("code", sit.String()).str("detail", detail)
		if ptr := jsonapiPointer(d); ptr != "" && req.method != "DELETE" && req.method != "GET" && req.method != "HEAD" {
			// The id is never an attribute, and a pointer must name a value
			// the request has (JSON:API 1.1, error objects).
			w.open("source").str("pointer", ptr).close()
		}
		w.str("status", strconv.Itoa(status)).str("title", reason).close().closeArray()
		return w.done(), "application/vnd.api+json"
	case "google":
		// AIP-193: every error carries an ErrorInfo in details, and the
		// status string is the google.rpc.Code the HTTP status maps to.
		w.open("error").num("code", status)
		w.openArray("details").openItem().str("@type", "type.googleapis.com/google.rpc.ErrorInfo").str("domain", "simulated.httpplay.dev").str("reason", errorReason(sit)).close().closeArray()
		w.str("message", detail).str("status", code).close()
		return w.done(), "application/json"
	case "kubernetes":
		w.str("apiVersion", "v1").num("code", status).open("details")
		if d.field != "" {
			w.openArray("causes").openItem().str("field", d.field).str("message", detail).str("reason", kubernetesCause(d)).close().closeArray()
		}
		w.str("kind", kind).str("name", lastSegment(d.subject)).close()
		w.str("kind", "Status").str("message", detail).raw("metadata", "{}").str("reason", code).str("status", "Failure")
		return w.done(), "application/json"
	case "github":
		w.str("documentation_url", "https://docs.github.com/rest")
		if status == 422 {
			w.openArray("errors").openItem().str("code", code)
			if d.field != "" {
				w.str("field", d.field)
			}
			w.str("resource", kind).close().closeArray()
		}
		w.str("message", githubMessage(status, code))
		return w.done(), "application/json"
	}
	w.str("detail", detail)
	if d.subject != "" && d.subject != req.target && d.sit == AlreadyPresent {
		// The client's own earlier create: naming it lets the client
		// resolve the conflict (RFC 9110 §15.5.10). A duplicate of a
		// @unique value belongs to someone else and is not named.
		w.str("existing", d.subject)
	}
	if d.field != "" {
		w.str("field", d.field)
	}
	w.num("status", status).str("title", reason).str("type", "about:blank")
	return w.done(), "application/problem+json"
}

// paypalLinks links an error to the guideline section its rule cites, the
// public description of the pattern the error is about.
func paypalLinks(cite string) string {
	if !strings.HasPrefix(cite, "https://") {
		return "[]"
	}
	return `[{"href":` + string(appendJSONString(nil, cite)) + `,"method":"GET","rel":"about"}]`
}

// jsonapiPointer points at the member of the request document an error
// is about: the id, an attribute that was sent, or the attributes object
// when a required attribute is missing.
func jsonapiPointer(d *detection) string {
	switch {
	case d.field == "":
		return ""
	case d.field == "id" || d.field == "type":
		return "/data/" + d.field
	case d.missing:
		return "/data/attributes"
	}
	return "/data/attributes/" + d.field
}

// errorReason is an ErrorInfo reason: upper snake case (AIP-193).
func errorReason(sit Situation) string {
	return strings.ToUpper(strings.ReplaceAll(sit.String(), "-", "_"))
}

// kubernetesCause is the CauseType of a field error (apimachinery
// pkg/apis/meta/v1 types.go).
func kubernetesCause(d *detection) string {
	switch {
	case d.missing:
		return "FieldValueRequired"
	case d.sit == Duplicate || d.sit == AlreadyPresent:
		return "FieldValueDuplicate"
	case d.sit == DanglingReference:
		return "FieldValueNotFound"
	}
	return "FieldValueInvalid"
}

// jsonWriter writes a JSON object member by member, in the order called.
type jsonWriter struct {
	b     []byte
	first bool
}

// newJSONWriter is a jsonWriter whose buffer holds most bodies from the
// start: grown from nothing, a body cost an allocation for every doubling
// (4% of a run's allocations), where now it costs two, the buffer and the
// string.
func newJSONWriter() jsonWriter { return jsonWriter{b: make([]byte, 0, 512)} }

func (w *jsonWriter) key(k string) {
	if len(w.b) == 0 {
		w.b = append(w.b, '{')
		w.first = true
	}
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jsonWriter) str(k, v string) *jsonWriter {
	w.key(k)
	w.b = appendJSONString(w.b, v)
	return w
}

func (w *jsonWriter) num(k string, v int) *jsonWriter {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
	return w
}

func (w *jsonWriter) raw(k, v string) *jsonWriter {
	w.key(k)
	w.b = append(w.b, v...)
	return w
}

func (w *jsonWriter) open(k string) *jsonWriter {
	w.key(k)
	w.b = append(w.b, '{')
	w.first = true
	return w
}

func (w *jsonWriter) openArray(k string) *jsonWriter {
	w.key(k)
	w.b = append(w.b, '[')
	return w
}

// openItem starts an object inside an array (one item per array here).
func (w *jsonWriter) openItem() *jsonWriter {
	w.b = append(w.b, '{')
	w.first = true
	return w
}

func (w *jsonWriter) close() *jsonWriter {
	w.b = append(w.b, '}')
	w.first = false
	return w
}

func (w *jsonWriter) closeArray() *jsonWriter {
	w.b = append(w.b, ']')
	w.first = false
	return w
}

func (w *jsonWriter) done() string {
	if len(w.b) == 0 {
		return "{}"
	}
	return string(append(w.b, '}'))
}

func githubMessage(status int, code string) string {
	switch status {
	case 422:
		return "Validation Failed"
	case 400:
		if code == "Problems parsing JSON" || code == "Body should be a JSON object" {
			return code
		}
	}
	return ReasonPhrase(status)
}

// resourceKind names a collection's members for error bodies: /users/7 -> User.
func resourceKind(path string) string {
	coll := lastSegment(parentOf(path))
	if c, ok := strings.CutSuffix(coll, "ies"); ok {
		coll = c + "y"
	} else {
		coll = strings.TrimSuffix(coll, "s")
	}
	if coll == "" {
		return "Resource"
	}
	return strings.ToUpper(coll[:1]) + coll[1:]
}

// debugID is deterministic so that the same scenario gives the same bytes.
func debugID(req *request, status int) string {
	h := fnv.New64a()
	h.Write([]byte(req.method + " " + req.path + " " + req.body + " " + strconv.Itoa(status)))
	return strconv.FormatUint(h.Sum64(), 16)
}
