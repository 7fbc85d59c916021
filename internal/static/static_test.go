package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/api"
)

// writeWeb creates a playground directory with the given files.
func writeWeb(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newStatic is Dir(dir) for a test.
func newStatic(t *testing.T, dir string) http.Handler {
	t.Helper()
	h, err := Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var testWeb = map[string]string{
	"index.html":      "<!doctype html><title>playground</title>",
	"embed.html":      "<!doctype html><title>embed</title>",
	"httpplay.wasm":   "\x00asm\x01\x00\x00\x00",
	"js/app.js":       "export {};",
	"css/style.css":   "body{}",
	"data.bin":        "??",
	".env":            "SECRET=1",
	"_headers":        "/*\n  X-Test: 1",
	"js/.hidden.js":   "secret",
	"sub/dir/keep.md": "x",
}

func TestStaticHandler(t *testing.T) {
	t.Parallel()
	h := newStatic(t, writeWeb(t, testWeb))
	tests := map[string]struct {
		method, path string
		status       int
		contentType  string
		body         string
		location     string
		framable     bool
	}{
		"root is index":      {method: "GET", path: "/", status: 200, contentType: "text/html; charset=utf-8", body: testWeb["index.html"]},
		"index by name":      {method: "GET", path: "/index.html", status: 307, location: "/"},
		"embed is framable":  {method: "GET", path: "/embed", status: 200, contentType: "text/html; charset=utf-8", body: testWeb["embed.html"], framable: true},
		"embed by name":      {method: "GET", path: "/embed.html?x=1", status: 307, location: "/embed?x=1", framable: true},
		"precompressed copy": {method: "GET", path: "/httpplay.wasm.gz", status: 404},
		"NUL":                {method: "GET", path: "/%00", status: 400},
		"control character":  {method: "GET", path: "/index.html%0a", status: 400},
		"not UTF-8":          {method: "GET", path: "/%ff.js", status: 400},
		"name too long":      {method: "GET", path: "/" + strings.Repeat("a", 256), status: 404},
		"longest name":       {method: "GET", path: "/" + strings.Repeat("a", 255), status: 404},
		"path too long":      {method: "GET", path: strings.Repeat("/abc", 1025), status: 404},
		"wasm":               {method: "GET", path: "/httpplay.wasm", status: 200, contentType: "application/wasm", body: testWeb["httpplay.wasm"]},
		"module":             {method: "GET", path: "/js/app.js", status: 200, contentType: "text/javascript; charset=utf-8", body: testWeb["js/app.js"]},
		"stylesheet":         {method: "GET", path: "/css/style.css", status: 200, contentType: "text/css; charset=utf-8", body: testWeb["css/style.css"]},
		"unknown type":       {method: "GET", path: "/data.bin", status: 200, contentType: "application/octet-stream", body: "??"},
		"head":               {method: "HEAD", path: "/", status: 200, contentType: "text/html; charset=utf-8"},
		"missing":            {method: "GET", path: "/nope.js", status: 404},
		"dotfile":            {method: "GET", path: "/.env", status: 404},
		"nested dotfile":     {method: "GET", path: "/js/.hidden.js", status: 404},
		"host config":        {method: "GET", path: "/_headers", status: 404},
		"directory":          {method: "GET", path: "/sub/dir", status: 404},
		"directory slash":    {method: "GET", path: "/sub/", status: 404},
		"escape":             {method: "GET", path: "/../../etc/passwd", status: 404},
		"post":               {method: "POST", path: "/", status: 405},
		"delete":             {method: "DELETE", path: "/index.html", status: 405},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			res := rec.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
			}
			if got := res.Header.Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if tt.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", res.Header.Get("Allow"), "GET, HEAD")
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self' 'wasm-unsafe-eval'", "default-src 'none'", "require-trusted-types-for 'script'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q allows inline code", csp)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if tt.framable {
				if !strings.Contains(csp, "frame-ancestors *") || res.Header.Get("X-Frame-Options") != "" {
					t.Errorf("embed page refuses framing: CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
				}
			} else if !strings.Contains(csp, "frame-ancestors 'none'") || res.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("page allows framing: CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
			}
			if tt.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if got := rec.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

func TestStaticRevalidation(t *testing.T) {
	t.Parallel()
	dir := writeWeb(t, testWeb)
	h := newStatic(t, dir)
	get := func(inm string) *http.Response {
		req := httptest.NewRequest("GET", "/httpplay.wasm", nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	first := get("")
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag = %q, want a strong validator", etag)
	}
	if res := get(etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with the current ETag: status %d, want 304", res.StatusCode)
	}
	// A rebuilt module must invalidate the validator, or browsers would keep
	// running the old engine after `make wasm`.
	if err := os.WriteFile(filepath.Join(dir, "httpplay.wasm"), []byte("\x00asm\x01\x00\x00\x00rebuilt"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := get(etag)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revalidation after a rebuild: status %d, want 200", res.StatusCode)
	}
	if res.Header.Get("ETag") == etag {
		t.Errorf("ETag unchanged after the file changed")
	}
}

func TestStaticRange(t *testing.T) {
	t.Parallel()
	h := newStatic(t, writeWeb(t, testWeb))
	req := httptest.NewRequest("GET", "/httpplay.wasm", nil)
	req.Header.Set("Range", "bytes=0-3")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "\x00asm" {
		t.Errorf("range request: %d %q, want 206 %q", rec.Code, rec.Body.String(), "\x00asm")
	}
}

// assertSecurityHeaders checks the headers every static answer carries.
func assertSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, contentSecurityPolicy) {
		t.Errorf("%s: Content-Security-Policy = %q", what, csp)
	}
}

// site is the files as the native server serves them: beside the API,
// with their security headers on every answer outside it.
func site(files http.Handler) http.Handler {
	return WithHeaders(api.New(api.Options{Static: files}), "/api")
}

// TestStaticEveryAnswerIsSecured sends bad and redirected paths through
// the whole native handler, where the ServeMux answers some of them (its
// path-cleaning redirects are 307s) before the static handler runs.
func TestStaticEveryAnswerIsSecured(t *testing.T) {
	t.Parallel()
	h := site(newStatic(t, writeWeb(t, testWeb)))
	tests := map[string]struct {
		target   string
		status   int
		location string
	}{
		"dot segments":     {target: "/js/../index.html", status: 307, location: "/index.html"},
		"double slash":     {target: "//js//app.js", status: 307, location: "/js/app.js"},
		"dot dot at root":  {target: "/../httpplay.wasm", status: 307, location: "/httpplay.wasm"},
		"NUL":              {target: "/%00", status: 400},
		"NUL in a segment": {target: "/js/a%00b.js", status: 400},
		"long segment":     {target: "/" + strings.Repeat("x", 256), status: 404},
		"long path":        {target: strings.Repeat("/abcdefgh", 600), status: 404},
		"page alias":       {target: "/index.html", status: 307, location: "/"},
		"missing":          {target: "/missing.css", status: 404},
		"served":           {target: "/js/app.js", status: 200},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "http://localhost"+tt.target, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("GET %.60s: status %d, want %d", tt.target, rec.Code, tt.status)
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("GET %.60s: Location %q, want %q", tt.target, got, tt.location)
			}
			assertSecurityHeaders(t, "GET "+tt.target[:min(len(tt.target), 60)], rec.Header())
		})
	}
}

// TestStaticSymlinks checks that a file is served only when its resolved
// path stays inside the web root.
func TestStaticSymlinks(t *testing.T) {
	t.Parallel()
	outside := writeWeb(t, map[string]string{"secret.txt": "outside the root", "dir/also.txt": "outside too"})
	dir := writeWeb(t, testWeb)
	links := map[string]string{
		"leak.txt":       filepath.Join(outside, "secret.txt"),
		"leakdir":        filepath.Join(outside, "dir"),
		"relative.txt":   filepath.Join("..", filepath.Base(outside), "secret.txt"),
		"js/inside.js":   filepath.Join(dir, "js", "app.js"),
		"css/sibling.js": filepath.Join("..", "js", "app.js"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	h := site(newStatic(t, dir))
	tests := map[string]struct {
		status int
		body   string
	}{
		"/leak.txt":         {status: 404},
		"/leakdir/also.txt": {status: 404},
		"/relative.txt":     {status: 404},
		// os.Root resolves links itself and refuses absolute targets, even
		// one that names a file inside the root.
		"/js/inside.js":   {status: 404},
		"/css/sibling.js": {status: 200, body: testWeb["js/app.js"]},
	}
	for target, tt := range tests {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Code != tt.status {
				t.Fatalf("GET %s: status %d, want %d (body %q)", target, rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 && rec.Body.String() != tt.body {
				t.Errorf("GET %s: body %q, want %q", target, rec.Body, tt.body)
			}
			if strings.Contains(rec.Body.String(), "outside") {
				t.Errorf("GET %s: served a file outside the root", target)
			}
			assertSecurityHeaders(t, "GET "+target, rec.Header())
		})
	}
}

// compressedWeb is a playground with precompressed copies of its module
// and a script long enough to be compressed on the fly.
func compressedWeb(t *testing.T) (dir string, wasm, br, gz, script string) {
	t.Helper()
	wasm = "\x00asm\x01\x00\x00\x00" + strings.Repeat("module ", 400)
	br = "brotli bytes"
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(wasm))
	zw.Close()
	gz = buf.String()
	script = "export const x = 1;\n" + strings.Repeat("// a comment that compresses well\n", 100)
	dir = writeWeb(t, map[string]string{
		"index.html":       "<!doctype html>",
		"httpplay.wasm":    wasm,
		"httpplay.wasm.br": br,
		"httpplay.wasm.gz": gz,
		"js/app.js":        script,
		"favicon.svg":      "<svg/>",
	})
	// The copies are as new as the module, as after `make wasm`; files
	// written in map order would otherwise make some of them look stale.
	now := time.Now()
	for _, name := range []string{"httpplay.wasm", "httpplay.wasm.br", "httpplay.wasm.gz"} {
		if err := os.Chtimes(filepath.Join(dir, name), now, now); err != nil {
			t.Fatal(err)
		}
	}
	return dir, wasm, br, gz, script
}

func TestStaticCompression(t *testing.T) {
	t.Parallel()
	dir, wasm, br, gz, script := compressedWeb(t)
	h := newStatic(t, dir)
	tests := map[string]struct {
		path, accept string
		coding, body string
	}{
		"brotli preferred":        {path: "/httpplay.wasm", accept: "gzip, deflate, br, zstd", coding: "br", body: br},
		"gzip only":               {path: "/httpplay.wasm", accept: "gzip", coding: "gzip", body: gz},
		"brotli refused":          {path: "/httpplay.wasm", accept: "br;q=0, gzip;q=0.5", coding: "gzip", body: gz},
		"wildcard":                {path: "/httpplay.wasm", accept: "*", coding: "br", body: br},
		"wildcard but not brotli": {path: "/httpplay.wasm", accept: "*, br;q=0", coding: "gzip", body: gz},
		"no header":               {path: "/httpplay.wasm", coding: "", body: wasm},
		"identity":                {path: "/httpplay.wasm", accept: "identity", coding: "", body: wasm},
		"everything refused":      {path: "/httpplay.wasm", accept: "*;q=0", coding: "", body: wasm},
		"malformed weight":        {path: "/httpplay.wasm", accept: "br;q=2, gzip;q=x", coding: "", body: wasm},
		"script gzipped here":     {path: "/js/app.js", accept: "gzip, br", coding: "gzip", body: script},
		"script without gzip":     {path: "/js/app.js", accept: "br", coding: "", body: script},
		"small file as it is":     {path: "/favicon.svg", accept: "gzip, br", coding: "", body: "<svg/>"},
	}
	etags := map[string]string{}
	for name, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", name, res.StatusCode)
		}
		if got := res.Header.Get("Content-Encoding"); got != tt.coding {
			t.Errorf("%s: Content-Encoding %q, want %q", name, got, tt.coding)
		}
		if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("%s: Vary %q, want Accept-Encoding", name, got)
		}
		body := rec.Body.String()
		if tt.path == "/js/app.js" && tt.coding == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			body = string(plain)
		}
		if body != tt.body {
			t.Errorf("%s: body of %d bytes is not the expected %d", name, len(body), len(tt.body))
		}
		if got, want := res.Header.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("%s: Content-Length %q, want %q", name, got, want)
		}
		if ct := res.Header.Get("Content-Type"); tt.path == "/httpplay.wasm" && ct != "application/wasm" {
			t.Errorf("%s: Content-Type %q, want application/wasm", name, ct)
		}
		key := tt.path + " " + tt.coding
		if prev, ok := etags[key]; ok && prev != res.Header.Get("ETag") {
			t.Errorf("%s: ETag %s differs from %s for the same representation", name, res.Header.Get("ETag"), prev)
		}
		etags[key] = res.Header.Get("ETag")
	}
	seen := map[string]string{}
	for key, tag := range etags {
		if other, ok := seen[tag]; ok {
			t.Errorf("representations %q and %q share the ETag %s", key, other, tag)
		}
		seen[tag] = key
	}
}

func TestStaticCompressedRevalidation(t *testing.T) {
	t.Parallel()
	dir, _, br, _, _ := compressedWeb(t)
	h := newStatic(t, dir)
	get := func(accept, inm string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/httpplay.wasm", nil)
		req.Header.Set("Accept-Encoding", accept)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	first := get("br", "")
	if rec := get("br", first.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("revalidating the brotli copy: status %d, want 304", rec.Code)
	}
	if rec := get("gzip", first.Header().Get("ETag")); rec.Code != http.StatusOK {
		t.Errorf("the brotli ETag validated the gzip copy: status %d, want 200", rec.Code)
	}
	// A module rebuilt without its compressed copies must not be served
	// as the old module's brotli bytes.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "httpplay.wasm"), later, later); err != nil {
		t.Fatal(err)
	}
	if rec := get("br", ""); rec.Header().Get("Content-Encoding") == "br" || rec.Body.String() == br {
		t.Errorf("a stale .br copy was served for a newer module")
	}
}

func TestAcceptsEncoding(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		values []string
		coding string
		want   bool
	}{
		"absent":              {values: nil, coding: "gzip", want: false},
		"listed":              {values: []string{"gzip, br"}, coding: "br", want: true},
		"case and spaces":     {values: []string{" GZip ;Q=0.8 "}, coding: "gzip", want: true},
		"x-gzip":              {values: []string{"x-gzip"}, coding: "gzip", want: true},
		"zero":                {values: []string{"br;q=0"}, coding: "br", want: false},
		"zero with decimals":  {values: []string{"br;q=0.000"}, coding: "br", want: false},
		"smallest weight":     {values: []string{"br;q=0.001"}, coding: "br", want: true},
		"several fields":      {values: []string{"gzip", "br"}, coding: "br", want: true},
		"star":                {values: []string{"*"}, coding: "br", want: true},
		"named beats star":    {values: []string{"*;q=1, br;q=0"}, coding: "br", want: false},
		"star zero":           {values: []string{"*;q=0, gzip"}, coding: "br", want: false},
		"weight over one":     {values: []string{"br;q=1.5"}, coding: "br", want: false},
		"four decimals":       {values: []string{"br;q=0.5555"}, coding: "br", want: false},
		"not a number":        {values: []string{"br;q=abc"}, coding: "br", want: false},
		"other parameter":     {values: []string{"br;level=5"}, coding: "br", want: true},
		"empty items":         {values: []string{",,br,,"}, coding: "br", want: true},
		"prefix is not token": {values: []string{"brotli"}, coding: "br", want: false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := acceptsEncoding(tt.values, tt.coding); got != tt.want {
				t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tt.values, tt.coding, got, tt.want)
			}
		})
	}
}

// FuzzAcceptEncoding checks that no Accept-Encoding value makes the parser
// panic and that a coding is accepted only when the value names it (or
// "*"); TestAcceptsEncoding checks the weights.
func FuzzAcceptEncoding(f *testing.F) {
	for _, v := range []string{"gzip, deflate, br, zstd", "br;q=0", "*;q=0.5, gzip;q=0", "x-gzip;q=1.000", ";;,", "br;q="} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lower := strings.ToLower(v)
		for _, coding := range []string{"br", "gzip"} {
			got := acceptsEncoding([]string{v}, coding)
			if got && !strings.Contains(lower, coding) && !strings.Contains(lower, "*") {
				t.Errorf("acceptsEncoding(%q, %q) = true, but the value does not name it", v, coding)
			}
		}
	})
}

// TestStaticCompressesOverTheWire checks the negotiation end to end, over
// a real connection: the module goes out as brotli to a browser, with its
// exact length.
func TestStaticCompressesOverTheWire(t *testing.T) {
	t.Parallel()
	dir, wasm, br, _, _ := compressedWeb(t)
	srv := httptest.NewServer(newStatic(t, dir))
	defer srv.Close()
	// The transport's own gzip handling would hide what the server sent.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	get := func(accept string) (*http.Response, string) {
		req, err := http.NewRequest("GET", srv.URL+"/httpplay.wasm", nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, string(body)
	}
	res, body := get("gzip, deflate, br, zstd")
	if res.Header.Get("Content-Encoding") != "br" || body != br || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("GET httpplay.wasm accepting br: %q, Vary %q, %d bytes", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"), len(body))
	}
	if res.ContentLength != int64(len(br)) {
		t.Errorf("Content-Length %d, want %d", res.ContentLength, len(br))
	}
	res, body = get("")
	if res.Header.Get("Content-Encoding") != "" || body != wasm {
		t.Errorf("GET httpplay.wasm without Accept-Encoding: %q, %d bytes", res.Header.Get("Content-Encoding"), len(body))
	}
}
