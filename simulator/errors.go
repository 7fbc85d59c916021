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
	ImmutableConflict:     {"FAILED_PRECONDITION", "Invalid", "invalid", "Conflict"},
	PreconditionFailed:    {"FAILED_PRECONDITION", "Conflict", "invalid", "PreconditionFailed"},
	PreconditionRequired:  {"FAILED_PRECONDITION", "BadRequest", "missing_field", "PreconditionRequired"},
	InvariantViolated:     {"FAILED_PRECONDITION", "Conflict", "invalid", "Conflict"},
	DanglingReference:     {"NOT_FOUND", "NotFound", "missing", "InvalidReference"},
	InUse:                 {"FAILED_PRECONDITION", "Conflict", "invalid", "Conflict"},
	Invalid:               {"INVALID_ARGUMENT", "Invalid", "invalid", "InvalidRequestContent"},
	Malformed:             {"INVALID_ARGUMENT", "BadRequest", "invalid", "InvalidRequestContent"},
	MethodNotAllowed:      {"UNIMPLEMENTED", "MethodNotAllowed", "invalid", "MethodNotAllowed"},
	IdempotencyMismatch:   {"INVALID_ARGUMENT", "BadRequest", "invalid", "IdempotencyKeyMismatch"},
	IdempotencyKeyMissing: {"INVALID_ARGUMENT", "BadRequest", "missing_field", "IdempotencyKeyRequired"},
	IdempotencyInFlight:   {"ABORTED", "Conflict", "invalid", "Conflict"},
	BatchPartial:          {"INVALID_ARGUMENT", "Invalid", "invalid", "InvalidRequestContent"},
}

// errorCode is the code the rule sets or the format's usual one.
func errorCode(ch chosen, d *detection) string {
	if ch.Code != "" {
		return ch.Code
	}
	codes, ok := defaultCodes[d.sit]
	if !ok {
		return d.sit.String()
	}
	switch chFormat(ch) {
	case "google":
		return codes[0]
	case "kubernetes":
		return codes[1]
	case "github":
		return codes[2]
	case "paypal":
		return strings.ToUpper(strings.ReplaceAll(d.sit.String(), "-", "_"))
	}
	return codes[3]
}

func chFormat(ch chosen) string {
	if ch.owner == nil {
		return "problem"
	}
	return ch.owner.errorFormat()
}

// errorBody renders a refusal in the policy's error format.
func errorBody(p *Policy, ch chosen, d *detection, status int, req *request) (string, string) {
	detail := d.detail
	if ch.Message != "" {
		detail = ch.Message
	}
	if detail == "" {
		detail = d.sit.String()
	}
	format := p.errorFormat()
	code := errorCode(chosen{Rule: ch.Rule, owner: p}, d)
	reason := ReasonPhrase(status)
	switch format {
	case "azure":
		e := map[string]any{"code": code, "message": detail}
		if d.field != "" {
			e["target"] = d.field
		}
		return mustJSON(map[string]any{"error": e}), "application/json"
	case "paypal":
		out := map[string]any{
			"name":     code,
			"message":  reason,
			"debug_id": debugID(req, status),
			"links":    []any{},
		}
		if d.field != "" || d.detail != "" {
			item := map[string]any{"issue": code, "description": detail, "location": "body"}
			if d.field != "" {
				item["field"] = "/" + d.field
			}
			out["details"] = []any{item}
		}
		return mustJSON(out), "application/json"
	case "jsonapi":
		e := map[string]any{"status": strconv.Itoa(status), "title": reason, "detail": detail, "code": d.sit.String()}
		if d.field != "" {
			e["source"] = map[string]string{"pointer": "/data/attributes/" + d.field}
		}
		return mustJSON(map[string]any{"errors": []any{e}}), "application/vnd.api+json"
	case "google":
		return mustJSON(map[string]any{"error": map[string]any{"code": status, "message": detail, "status": code}}), "application/json"
	case "kubernetes":
		details := map[string]any{"name": lastSegment(d.subject), "kind": lastSegment(parentOf(d.subject))}
		if d.field != "" {
			details["causes"] = []any{map[string]string{"field": d.field, "message": detail, "reason": "Field" + code}}
		}
		return mustJSON(map[string]any{
			"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
			"status": "Failure", "message": detail, "reason": code, "details": details, "code": status,
		}), "application/json"
	case "github":
		out := map[string]any{"message": githubMessage(status, code), "documentation_url": "https://docs.github.com/rest"}
		if status == 422 {
			e := map[string]string{"resource": resourceKind(d.subject), "code": code}
			if d.field != "" {
				e["field"] = d.field
			}
			out["errors"] = []any{e}
		}
		return mustJSON(out), "application/json"
	}
	out := map[string]any{"type": "about:blank", "title": reason, "status": status, "detail": detail}
	if d.subject != "" && d.subject != req.target && (d.sit == Duplicate || d.sit == AlreadyPresent) {
		out["existing"] = d.subject
	}
	if d.field != "" {
		out["field"] = d.field
	}
	return mustJSON(out), "application/problem+json"
}

func githubMessage(status int, code string) string {
	switch status {
	case 422:
		return "Validation Failed"
	case 400:
		if code == "Problems parsing JSON" {
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
