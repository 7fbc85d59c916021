package simulator

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// lint checks a response against the MUSTs and SHOULDs of the HTTP RFCs,
// the way httplint does for real traffic. It reads only the response and
// the request that caused it, never the policy's rules, so that custom
// policies get the same scrutiny as built-in ones; of the policy it reads
// only the status codes its guideline allows or forbids, and, for a
// hidden member, what it answers a missing one, since hiding is a claim
// about two answers at once.
func lint(req *request, resp *Response, p *Policy) []Finding {
	var out findings
	add := out.add
	st := resp.Status
	h := resp.Headers
	_, hasLocation := h["Location"]
	switch {
	case st == 201 && req.method == "POST" && !hasLocation && selfLink(resp.Body) != "":
		add("info", "RFC 9110 §15.3.2", "201 Created names the new resource only in the body's links ("+selfLink(resp.Body)+"); a client that reads HTTP alone takes the target URI, the collection, for the created resource")
	case st == 201 && req.method == "POST" && !hasLocation:
		add("warning", "RFC 9110 §15.3.2", "201 Created without Location: the client cannot tell which resource was created (for POST the target URI is the collection, not the new member)")
	case st == 204 && resp.Body != "":
		add("error", "RFC 9110 §15.3.5", "204 No Content must not carry content, but this response has "+strconv.Itoa(len(resp.Body))+" bytes")
	case st == 304 && resp.Body != "":
		add("error", "RFC 9110 §15.4.5", "304 Not Modified must not carry content")
	case st > 300 && st < 400 && st != 304 && !hasLocation:
		add("warning", "RFC 9110 §15.4", strconv.Itoa(st)+" "+ReasonPhrase(st)+" without Location: the server should say where to go, and without it the client has nowhere to go")
	case st == 401 && h["WWW-Authenticate"] == "":
		add("error", "RFC 9110 §15.5.2", "401 Unauthorized must send WWW-Authenticate with at least one challenge")
	case st == 405 && h["Allow"] == "":
		add("error", "RFC 9110 §15.5.6", "405 Method Not Allowed must send Allow with the methods the target supports")
	case st == 206 && h["Content-Range"] == "":
		add("error", "RFC 9110 §15.3.7", "206 Partial Content answers a Range request and needs Content-Range; this request had no Range (use 207 or 200 for partial batch results)")
	case st == 428 && strings.TrimSpace(resp.Body) == "":
		add("warning", "RFC 6585 §3", "428 Precondition Required should explain how to resubmit the request successfully")
	}
	if st == 412 {
		_, im := req.header("If-Match")
		_, inm := req.header("If-None-Match")
		_, ius := req.header("If-Unmodified-Since")
		if !im && !inm && !ius {
			add("warning", "RFC 9110 §15.5.13", "412 Precondition Failed, but the request carried no precondition (If-Match, If-None-Match, If-Unmodified-Since); 409 or 428 may be meant")
		}
	}
	auth, credentials := req.header("Authorization")
	credentials = credentials && strings.TrimSpace(auth) != ""
	permission := resp.Situation == "forbidden" || resp.Situation == "hidden"
	switch {
	case st == 401 && permission && credentials:
		add("warning", "RFC 9110 §15.5.4", "401 to a request whose credentials were accepted: the refusal is about permission, which 403 says (or 404, to hide the target); the same credentials sent again will not change it")
	case resp.Situation == "":
		// A live answer's situation is not known (httpplay check): the
		// checks that read it would blame the server for a guess.
	case st == 401 && !authSituation(resp.Situation):
		add("warning", "RFC 9110 §15.5.2", "401 means the request lacks valid credentials; here the server refused because of "+strconv.Quote(resp.Situation)+", which new credentials will not change")
	case st == 403 && !credentials && authSituation(resp.Situation):
		add("warning", "RFC 9110 §15.5.2", "403 to a request that carries no credentials: 401 with a WWW-Authenticate challenge tells the client that credentials may get it access")
	case st == 403 && !authSituation(resp.Situation):
		add("info", "RFC 9110 §15.5.4", "403 says the credentials are fine but access is refused; for a conflict with the resource's state, 409 tells the client it can resolve it")
	}
	if msg := hidingGap(req, resp, p); msg != "" {
		add("warning", "RFC 9110 §15.5.4", msg)
	}
	if strings.HasPrefix(h["Content-Type"], "application/problem+json") {
		if s := gjson.Get(resp.Body, "status"); s.Exists() && s.Int() != int64(st) {
			add("error", "RFC 9457 §3.1.2", "the problem details say status "+s.Raw+" but the response is "+strconv.Itoa(st)+"; they must match")
		}
	}
	if hasLocation && st >= 400 {
		add("warning", "RFC 9110 §10.2.2", "Location on a "+strconv.Itoa(st)+" refusal: it has a defined meaning only for 201 and 3xx answers, and here it hands out the URL of a resource the client did not ask for")
	}
	if st == 415 && req.method == "PATCH" && h["Accept-Patch"] == "" {
		add("warning", "RFC 5789 §2.2", "415 to a PATCH should say in Accept-Patch which patch formats the resource takes")
	}
	if st == 501 && methodIndex(req.method) < len(graphMethods) {
		add("info", "RFC 9110 §15.6.2", "501 Not Implemented for "+req.method+", which this server implements for other resources: RFC 9110 keeps 501 for a method no resource supports, and a 405 would list what this target allows")
	}
	if msg := guidelineStatus(p, st); msg != "" {
		add("error", p.URL, msg)
	}
	if req.method == "HEAD" && resp.Body != "" {
		add("error", "RFC 9110 §9.3.2", "a response to HEAD must not carry content")
	}
	if st >= 200 && st < 300 && !isSuccessSituation(resp.Situation) {
		add("info", "RFC 9110 §15.3", strconv.Itoa(st)+" reports success although the request was not carried out ("+resp.Situation+"); clients that only read the status will assume it was")
	}
	return out
}

// findings collects lint's findings.
type findings []Finding

// add appends a finding. It is kept out of line: lint runs for every
// answer, and a copy of it at each of lint's twenty checks made lint's
// code too large to stay in the instruction cache between answers.
//
//go:noinline
func (f *findings) add(level, cite, msg string) {
	*f = append(*f, Finding{Level: level, Message: msg, Cite: cite, URL: citeURL(cite)})
}

// isSuccessSituation tells whether a situation name means the request's
// intent holds after it, which a 2xx should only ever claim.
func isSuccessSituation(name string) bool {
	sit, ok := parseSituation(name)
	if !ok {
		return true
	}
	switch sit {
	case Missing, PreviouslyDeleted:
		// For DELETE the intent (gone) holds; for reads it does not, and a
		// 2xx there would be caught by the client reading nothing.
		return true
	case Duplicate, BatchPartial:
		return false
	}
	return sit.Success()
}

// guidelineStatus says why a status is one the policy's guideline does not
// allow, or "" when it does.
func guidelineStatus(p *Policy, st int) string {
	if p == nil {
		return ""
	}
	allowed, forbidden := p.statusRules()
	for _, f := range forbidden {
		if f == st {
			return fmt.Sprintf("status %d is not allowed by %s, which forbids or discourages it", st, p.Source)
		}
	}
	if len(allowed) == 0 {
		return ""
	}
	for _, a := range allowed {
		if a == st {
			return ""
		}
	}
	return fmt.Sprintf("status %d is not allowed by %s, whose table of allowed status codes does not list it", st, p.Source)
}

// selfLink is the href of a "self" link in a body's links array, which
// guidelines that forbid Location on 201 use in its place.
func selfLink(body string) string {
	return gjson.Get(body, `links.#(rel=="self").href`).String()
}

// hidingGap says why an answer for a hidden member gives away that it
// exists: a policy that checks existence before permission answers a
// missing member one way, so a hidden one answered another way (403 where
// missing ones get 404) is known to exist. "" when the answers agree.
func hidingGap(req *request, resp *Response, p *Policy) string {
	if resp.Situation != "hidden" || p == nil || p.permissionFirst() {
		return ""
	}
	missing, ok := p.rule(ruleKeys(ruleQuery{sit: Missing, method: req.method}))
	if !ok || missing.Status == 0 || missing.Status == resp.Status {
		return ""
	}
	return fmt.Sprintf("this member is hidden with %d but a member that does not exist gets %d: the difference tells whoever asks that it exists; answer both alike (404 for both, or check permission first and answer 403 for both)", resp.Status, missing.Status)
}
