package simulator

import (
	"testing"

	"github.com/tidwall/gjson"
)

// guidelineCases pin what each guideline policy answers where its text
// says so: the status, a header and a body member of the last response.
// Each row names the section it comes from; the policies' cites link there.
var guidelineCases = []struct {
	policy, name, scenario string
	status                 int
	header, headerValue    string // headerValue "" means the header must be absent
	member, memberValue    string // a gjson path into the body and its raw JSON
}{
	// Zalando #status-code-409: robust creation answers 200, not 409.
	{"zalando", "robust repeat", "POST /a\n{\"id\":\"1\",\"x\":1}\n\nPOST /a\n{\"id\":\"1\",\"x\":1}", 200, "Location", "/a/1", "x", "1"},
	// Zalando #110, #248: a collection is an object with items.
	{"zalando", "list", "POST /a\n{\"id\":\"1\"}\n\nGET /a", 200, "", "", "items.0.id", `"1"`},
	// Zalando #status-code-400: semantic validation is 400, not 422.
	{"zalando", "dangling reference", "@ref /p c /c\n\nPOST /p\n{\"c\":\"9\"}", 400, "Content-Type", "application/problem+json", "status", "400"},
	// Azure #rest-put-patch-status-codes: PATCH creates with 201.
	{"azure", "patch creates", "PATCH /a/1\n{\"x\":1}", 201, "ETag", `"v1"`, "x", "1"},
	// Azure #collections-response-array-name: the list is in value.
	{"azure", "list", "POST /a\n{\"id\":\"1\"}\n\nGET /a", 200, "", "", "value.0.id", `"1"`},
	// Azure #condreq-behavior: a failed If-Match on DELETE has an empty body.
	{"azure", "412 on delete", "POST /a\n{\"id\":\"1\"}\n\nDELETE /a/1\nIf-Match: \"v9\"", 412, "X-Ms-Error-Code", "PreconditionFailed", "", ""},
	// PayPal #http-standard-headers: no Location on 201, links in the body.
	{"paypal", "create", "POST /a\n{\"x\":1}", 201, "Location", "", "links.0.rel", `"self"`},
	// PayPal #allowed-status-codes: no 409; a duplicate is 422.
	{"paypal", "duplicate", "POST /a\n{\"id\":\"1\",\"x\":1}\n\nPOST /a\n{\"id\":\"1\",\"x\":2}", 422, "", "", "name", `"DUPLICATE"`},
	// PayPal #mapping: PATCH answers 204 without a body.
	{"paypal", "patch", "POST /a\n{\"id\":\"1\",\"x\":1}\n\nPATCH /a/1\n{\"x\":2}", 204, "Content-Type", "", "", ""},
	// JSON:API #content-negotiation-all, #document-resource-objects.
	{"jsonapi", "document", "POST /articles\n{\"id\":\"1\",\"title\":\"t\"}", 201, "Content-Type", "application/vnd.api+json", "data.attributes.title", `"t"`},
	// JSON:API #document-resource-object-fields: the id is never an attribute.
	{"jsonapi", "id pointer", "PUT /a/1\n{\"id\":\"2\"}", 409, "", "", "errors.0.source.pointer", `"/data/id"`},
	// JSON:API #crud-updating-relationship-responses-204: removing a gone link.
	{"jsonapi", "second unlink", "POST /u/a/f\n{\"id\":\"b\"}\n\nDELETE /u/a/f/b\n\nDELETE /u/a/f/b", 204, "", "", "", ""},
	// JSON:API #document-resource-objects: a request document's resource
	// object is the member; a type of another collection is a 409.
	{"jsonapi", "request document", "POST /users\n{\"data\": {\"type\": \"users\", \"attributes\": {\"name\": \"Ann\"}}}", 201, "", "", "data.attributes.name", `"Ann"`},
	{"jsonapi", "type mismatch", "POST /users\n{\"data\": {\"type\": \"people\"}}", 409, "", "", "errors.0.source.pointer", `"/data/type"`},
	// AIP-135: Delete returns Empty with OK.
	{"google-aip", "delete", "POST /a\n{\"id\":\"1\"}\n\nDELETE /a/1", 200, "", "", "@this", "{}"},
	// AIP-135: deleting a parent with children is FAILED_PRECONDITION.
	{"google-aip", "parent with children", "POST /users\n{\"id\":\"alice\"}\n\nPOST /users/alice/books\n{\"id\":\"b\"}\n\nDELETE /users/alice", 400, "", "", "error.status", `"FAILED_PRECONDITION"`},
	// AIP-203: an immutable change is INVALID_ARGUMENT.
	{"google-aip", "immutable", "@immutable /d\n\nPOST /d\n{\"id\":\"1\",\"x\":1}\n\nPATCH /d/1\n{\"x\":2}", 400, "", "", "error.status", `"INVALID_ARGUMENT"`},
	// Kubernetes #response-status-kind: DELETE succeeds with a Status.
	{"kubernetes", "delete", "POST /pods\n{\"id\":\"p\"}\n\nDELETE /pods/p", 200, "", "", "status", `"Success"`},
	// Kubernetes #verbs-on-resources: DELETE of the plural deletes the list.
	{"kubernetes", "delete collection", "POST /pods\n{\"id\":\"p\"}\n\nDELETE /pods\n\nGET /pods", 200, "", "", "items", "[]"},
	// apimachinery CauseType: a required field missing is FieldValueRequired.
	{"kubernetes", "required", "@required /pods name\n\nPOST /pods\n{\"x\":1}", 422, "", "", "details.causes.0.reason", `"FieldValueRequired"`},
	// GitHub #validation-failed: missing_field for a required parameter.
	{"github", "required", "@required /issues title\n\nPOST /issues\n{\"x\":1}", 422, "", "", "errors.0.code", `"missing_field"`},
	// GitHub #body-should-be-a-json-object.
	{"github", "not an object", "POST /issues\n\"x\"", 400, "", "", "message", `"Body should be a JSON object"`},
}

func TestGuidelineAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range guidelineCases {
		t.Run(tc.policy+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(tc.scenario, Options{Policies: []string{tc.policy}})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Steps[len(res.Steps)-1].Results[tc.policy]
			if r.Status != tc.status {
				t.Errorf("status %d, want %d (%s)", r.Status, tc.status, r.Body)
			}
			if tc.header != "" {
				if got, ok := r.Headers[tc.header]; tc.headerValue == "" && ok || tc.headerValue != "" && got != tc.headerValue {
					t.Errorf("%s = %q, want %q", tc.header, got, tc.headerValue)
				}
			}
			if tc.member != "" {
				if got := gjson.Get(r.Body, tc.member).Raw; got != tc.memberValue {
					t.Errorf("%s = %s, want %s in %s", tc.member, got, tc.memberValue, r.Body)
				}
			}
		})
	}
}
