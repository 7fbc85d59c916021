package simulator

import (
	"strings"
	"sync"
)

// reasonPhrases holds the RFC 9110 reason phrases (plus the registered
// WebDAV and RFC 6585 ones) so that the simulator needs no net/http.
var reasonPhrases = map[int]string{
	100: "Continue", 101: "Switching Protocols",
	200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
	204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
	208: "Already Reported",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
	407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
	410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
	414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
	417: "Expectation Failed", 421: "Misdirected Request", 422: "Unprocessable Content",
	423: "Locked", 424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
	428: "Precondition Required", 429: "Too Many Requests",
	431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
}

// ReasonPhrase returns the standard reason phrase of a status code, or a
// generic one by class for unregistered codes.
func ReasonPhrase(code int) string {
	if r, ok := reasonPhrases[code]; ok {
		return r
	}
	switch code / 100 {
	case 1:
		return "Informational"
	case 2:
		return "Success"
	case 3:
		return "Redirection"
	case 4:
		return "Client Error"
	case 5:
		return "Server Error"
	}
	return "Unknown"
}

// heuristicallyCacheable lists the codes a cache may store without explicit
// freshness information (RFC 9110 §15.1).
var heuristicallyCacheable = map[int]bool{
	200: true, 203: true, 204: true, 206: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// citeURL turns a citation such as "RFC 9110 §15.5.10" into a link to the
// section; citations that already are URLs are returned as they are.
func citeURL(cite string) string {
	if u, ok := citeURLs.Load(cite); ok {
		return u.(string)
	}
	u := makeCiteURL(cite)
	citeURLs.Store(cite, u)
	return u
}

// citeURLs remembers links: the same few citations recur in every trace.
var citeURLs sync.Map

func makeCiteURL(cite string) string {
	if strings.HasPrefix(cite, "https://") {
		return cite
	}
	rest, ok := strings.CutPrefix(cite, "RFC ")
	if !ok {
		return ""
	}
	num, section, _ := strings.Cut(rest, " ")
	for _, r := range num {
		if r < '0' || r > '9' {
			return ""
		}
	}
	url := "https://www.rfc-editor.org/rfc/rfc" + num + ".html"
	if sec, ok := strings.CutPrefix(section, "§"); ok {
		sec = strings.TrimRight(sec, ".,;")
		if i := strings.IndexAny(sec, " ,;"); i >= 0 {
			sec = sec[:i]
		}
		url += "#section-" + sec
	}
	return url
}
