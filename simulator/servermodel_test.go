package simulator

import (
	"strings"
	"testing"
)

// serverModelCases pin the server model every policy shares, row by row of
// the "Server model" table of the fidelity audit: the status of the last
// request under each named policy, and a header strict's answer must carry
// (or, with a leading "-", that no answer may carry).
var serverModelCases = []struct {
	name, scenario string
	want           map[string]int
	header         string
}{
	// RFC 9110 §15.5.6: a declared collection is a resource; DELETE on it
	// is 405 with an Allow that includes POST.
	{"delete of an empty declared collection", "@unique /users email\n\nDELETE /users",
		map[string]int{"strict": 405, "idempotent": 405, "kubernetes": 200}, "Allow: GET, HEAD, POST, OPTIONS"},
	{"put on an empty declared collection", "@unique /users email\n\nPUT /users\n{}",
		map[string]int{"strict": 405, "azure": 405}, "Allow: GET, HEAD, POST, OPTIONS"},
	// RFC 9110 §10.2.1: a member's Allow lists POST, which creates a sub-member.
	{"options on a member", "POST /a\n{\"id\":\"1\"}\n\nOPTIONS /a/1",
		map[string]int{"strict": 204, "google-aip": 200}, "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
	// RFC 9110 §9.1: an unknown method is 501.
	{"unknown method", "POST /a\n{\"id\":\"1\"}\n\nPURGE /a/1",
		map[string]int{"strict": 501, "paypal": 405, "kubernetes": 405}, ""},
	// RFC 9110 §13.1.1, §13.2.1: If-Match: * is false without a
	// representation, and ignored where the answer without it is 404.
	{"If-Match: * on a DELETE of something missing", "DELETE /a/1\nIf-Match: *",
		map[string]int{"strict": 404, "idempotent": 412, "azure": 412}, ""},
	{"If-Match: * on a PUT that would create", "PUT /a/1\nIf-Match: *\n{}",
		map[string]int{"strict": 412, "google-aip": 404, "kubernetes": 404}, ""},
	{"If-None-Match: * on a PUT that creates", "PUT /a/1\nIf-None-Match: *\n{}",
		map[string]int{"strict": 201}, ""},
	// RFC 7396 §2: a merge patch that is not an object replaces the target.
	{"non-object merge patch", "POST /a\n{\"id\":\"1\"}\n\nPATCH /a/1\n[1,2]",
		map[string]int{"strict": 200}, "Content-Type: application/json"},
	// RFC 6902: JSON Patch by Content-Type; a failed test is a conflict.
	{"json patch", "POST /a\n{\"id\":\"1\",\"n\":1}\n\nPATCH /a/1\nContent-Type: application/json-patch+json\n[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}]",
		map[string]int{"strict": 200}, ""},
	{"json patch test fails", "POST /a\n{\"id\":\"1\",\"n\":1}\n\nPATCH /a/1\nContent-Type: application/json-patch+json\n[{\"op\":\"test\",\"path\":\"/n\",\"value\":2}]",
		map[string]int{"strict": 409, "google-aip": 400}, ""},
	{"json patch that is not a list of operations", "POST /a\n{\"id\":\"1\"}\n\nPATCH /a/1\nContent-Type: application/json-patch+json\n{\"op\":\"add\"}",
		map[string]int{"strict": 400}, ""},
	// RFC 5789 §2.2: an unsupported patch format is 415 with Accept-Patch.
	{"patch in xml", "POST /a\n{\"id\":\"1\"}\n\nPATCH /a/1\nContent-Type: application/xml\n<a/>",
		map[string]int{"strict": 415}, "Accept-Patch: application/merge-patch+json, application/json-patch+json"},
	// RFC 9110 §15.5.7, §15.5.16.
	{"accept html", "POST /a\n{\"id\":\"1\"}\n\nGET /a/1\nAccept: text/html",
		map[string]int{"strict": 406, "paypal": 406}, ""},
	{"accept with a wildcard", "POST /a\n{\"id\":\"1\"}\n\nGET /a/1\nAccept: text/html, */*;q=0.1",
		map[string]int{"strict": 200}, ""},
	{"form content", "POST /a\nContent-Type: application/x-www-form-urlencoded\na=1",
		map[string]int{"strict": 415}, ""},
	// RFC 9110 §10.2.2: Location only on 201 and 3xx.
	{"no Location on a duplicate", "POST /a\n{\"id\":\"1\",\"x\":1}\n\nPOST /a\n{\"id\":\"1\",\"x\":2}",
		map[string]int{"strict": 409, "zalando": 409}, "-Location"},
	// RFC 9110 §9.3.4: a body id that differs from the URL's.
	{"id mismatch", "PUT /a/1\n{\"id\":\"2\"}",
		map[string]int{"strict": 409, "azure": 400, "jsonapi": 409, "kubernetes": 404}, ""},
	// RFC 9110 §5.5: a captured value with CR LF never becomes a header.
	{"CR LF in a captured header value", "POST /a\n{\"id\":\"1\",\"v\":\"x\\r\\nSet-Cookie: a=b\"}\nlet v = body v\n\nGET /a/1\nX-Note: {{v}}",
		map[string]int{"strict": 400}, "-Set-Cookie"},
	// RFC 9110 §5.5: an id with CR LF would reach Location; it is refused.
	{"CR LF in a body id", "POST /a\n{\"id\":\"x\\r\\nSet-Cookie: a=b\"}",
		map[string]int{"strict": 422, "zalando": 400}, "-Location"},
	// An Idempotency-Key belongs to whoever sent it: no one else gets its replay.
	{"a key reused without credentials", "@users ann bob\n@auth /notes\n\nPOST /notes\nAuthorization: Bearer ann\nIdempotency-Key: k1\n{\"t\":1}\n\nPOST /notes\nIdempotency-Key: k1\n{\"t\":1}",
		map[string]int{"strict": 401}, ""},
	{"a key reused by another principal", "@users ann bob\n\nPOST /notes\nAuthorization: Bearer ann\nIdempotency-Key: k1\n{\"t\":1}\n\nPOST /notes\nAuthorization: Bearer bob\nIdempotency-Key: k1\n{\"t\":1}",
		map[string]int{"strict": 201}, ""},
	// RFC 9110 §13.2.1 with the policy's relationship rule: JSON:API answers
	// 204 to removing a gone link, so its If-Match is evaluated (412).
	{"If-Match on removing a gone link", "PUT /u/a/f/b\n{\"id\":\"b\"}\n\nDELETE /u/a/f/b\n\nDELETE /u/a/f/b\nIf-Match: \"v1\"",
		map[string]int{"strict": 404, "jsonapi": 412}, ""},
	// RFC 9110 §12.5.1: Accept is about content; the most specific range decides.
	{"Accept on a DELETE", "POST /a\n{\"id\":\"1\"}\n\nDELETE /a/1\nAccept: text/plain",
		map[string]int{"strict": 204}, ""},
	{"Accept refusing JSON by weight", "POST /a\n{\"id\":\"1\"}\n\nGET /a/1\nAccept: application/json;q=0, */*",
		map[string]int{"strict": 406}, ""},
	// RFC 6902 §4.6: numbers compare by value; §4.4: a move onto itself is allowed.
	{"json patch test 1.0 against 1", "POST /a\n{\"id\":\"1\",\"n\":1.0}\n\nPATCH /a/1\nContent-Type: application/json-patch+json\n[{\"op\":\"test\",\"path\":\"/n\",\"value\":1}]",
		map[string]int{"strict": 200}, ""},
	{"json patch move onto itself", "POST /a\n{\"id\":\"1\",\"n\":1}\n\nPATCH /a/1\nContent-Type: application/json-patch+json\n[{\"op\":\"move\",\"from\":\"/n\",\"path\":\"/n\"}]",
		map[string]int{"strict": 200}, ""},
	// Deleting a collection deletes its members: none may still be referred to.
	{"delete of a collection in use", "@ref /posts category /categories\n\nPOST /categories\n{\"id\":\"c1\"}\n\nPOST /posts\n{\"id\":\"p1\",\"category\":\"c1\"}\n\nDELETE /categories",
		map[string]int{"kubernetes": 409, "strict": 405}, ""},
	// A POST under a private member is a change of it: an outsider learns
	// nothing, whether the member exists or not, and creates nothing.
	{"POST under someone else's private member", "@users ann bob\n@private /notes\n@owner /notes owner\n\nPOST /notes\nAuthorization: Bearer ann\n{\"id\":\"1\"}\n\nPOST /notes/1\nAuthorization: Bearer bob\nIf-Match: \"v1\"\n{}",
		map[string]int{"strict": 404, "google-aip": 403}, ""},
	{"POST under a private member that does not exist", "@users ann bob\n@private /notes\n@owner /notes owner\n\nPOST /notes/77\nAuthorization: Bearer bob\nIf-Match: \"v1\"\n{}",
		map[string]int{"strict": 404, "google-aip": 403}, ""},
	// Deleting a collection deletes every member: each needs the principal's permission.
	{"delete of a collection with someone else's member", "@users ann bob\n@owner /notes owner\n\nPOST /notes\nAuthorization: Bearer ann\n{\"id\":\"1\"}\n\nDELETE /notes\nAuthorization: Bearer bob",
		map[string]int{"kubernetes": 403, "strict": 405}, ""},
	// Batch items get their creator as owner, so the creator may change them.
	{"a batch item's owner is its creator", "@users ann bob\n@owner /notes owner\n\nPOST /notes\nAuthorization: Bearer ann\n[{\"id\":\"1\"}]\n\nPUT /notes/1\nAuthorization: Bearer ann\n{\"id\":\"1\",\"owner\":\"ann\",\"x\":1}",
		map[string]int{"strict": 200}, ""},
	// RFC 9110 §9.3.2: HEAD sends GET's header fields.
	{"head keeps the media type", "POST /a\n{\"id\":\"1\"}\n\nHEAD /a/1",
		map[string]int{"strict": 200, "jsonapi": 200}, "ETag: \"v1\""},
}

func TestServerModel(t *testing.T) {
	t.Parallel()
	for _, tc := range serverModelCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ids []string
			for id := range tc.want {
				ids = append(ids, id)
			}
			res, err := Run(tc.scenario, Options{Policies: ids})
			if err != nil {
				t.Fatal(err)
			}
			last := res.Steps[len(res.Steps)-1]
			for id, want := range tc.want {
				r := last.Results[id]
				if r.Status != want {
					t.Errorf("%s: %d %s, want %d", id, r.Status, r.Situation, want)
				}
				if tc.header == "" {
					continue
				}
				name, value, _ := strings.Cut(strings.TrimPrefix(tc.header, "-"), ": ")
				got, has := r.Headers[name]
				switch {
				case strings.HasPrefix(tc.header, "-") && has:
					t.Errorf("%s: %s: %q must not be sent", id, name, got)
				case !strings.HasPrefix(tc.header, "-") && id == "strict" && got != value:
					t.Errorf("%s: %s = %q, want %q", id, name, got, value)
				}
			}
		})
	}
}
