package static

import (
	"net/http"
	"path"
	"strings"
)

// contentSecurityPolicy lets the page run its own scripts and compile its
// WebAssembly ('wasm-unsafe-eval'), and nothing else: no inline script or
// style, no other origin, no plugins. Trusted Types with no policy make any
// string-to-HTML sink throw, so scenario text can only reach the page as text.
const contentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// WithHeaders sets the security headers of the playground's files on
// every answer of next before next runs, except for the path except and
// those under it (an API with headers of its own), so that they are also
// on the answers next gives without reaching the files, such as the
// ServeMux's redirect from /a/../index.html to /index.html.
func WithHeaders(next http.Handler, except string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		if name != except && !strings.HasPrefix(name, except+"/") {
			setSecurityHeaders(w.Header(), name)
		}
		next.ServeHTTP(w, r)
	})
}

// setSecurityHeaders sets the headers every static answer carries, errors
// and redirects included. Only the embed view may be framed.
func setSecurityHeaders(h http.Header, name string) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if name == "/embed" || name == "/embed.html" {
		h.Set("Content-Security-Policy", contentSecurityPolicy+"; frame-ancestors *")
		h.Del("X-Frame-Options")
	} else {
		h.Set("Content-Security-Policy", contentSecurityPolicy+"; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
}
