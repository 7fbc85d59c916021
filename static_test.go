package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	h := staticHandler(writeWeb(t, testWeb))
	tests := map[string]struct {
		method, path string
		status       int
		contentType  string
		body         string
		framable     bool
	}{
		"root is index":     {method: "GET", path: "/", status: 200, contentType: "text/html; charset=utf-8", body: testWeb["index.html"]},
		"index by name":     {method: "GET", path: "/index.html", status: 200, contentType: "text/html; charset=utf-8", body: testWeb["index.html"]},
		"embed is framable": {method: "GET", path: "/embed.html", status: 200, contentType: "text/html; charset=utf-8", body: testWeb["embed.html"], framable: true},
		"wasm":              {method: "GET", path: "/httpplay.wasm", status: 200, contentType: "application/wasm", body: testWeb["httpplay.wasm"]},
		"module":            {method: "GET", path: "/js/app.js", status: 200, contentType: "text/javascript; charset=utf-8", body: testWeb["js/app.js"]},
		"stylesheet":        {method: "GET", path: "/css/style.css", status: 200, contentType: "text/css; charset=utf-8", body: testWeb["css/style.css"]},
		"unknown type":      {method: "GET", path: "/data.bin", status: 200, contentType: "application/octet-stream", body: "??"},
		"head":              {method: "HEAD", path: "/", status: 200, contentType: "text/html; charset=utf-8"},
		"missing":           {method: "GET", path: "/nope.js", status: 404},
		"dotfile":           {method: "GET", path: "/.env", status: 404},
		"nested dotfile":    {method: "GET", path: "/js/.hidden.js", status: 404},
		"host config":       {method: "GET", path: "/_headers", status: 404},
		"directory":         {method: "GET", path: "/sub/dir", status: 404},
		"directory slash":   {method: "GET", path: "/sub/", status: 404},
		"escape":            {method: "GET", path: "/../../etc/passwd", status: 404},
		"post":              {method: "POST", path: "/", status: 405},
		"delete":            {method: "DELETE", path: "/index.html", status: 405},
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
	h := staticHandler(dir)
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
	h := staticHandler(writeWeb(t, testWeb))
	req := httptest.NewRequest("GET", "/httpplay.wasm", nil)
	req.Header.Set("Range", "bytes=0-3")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "\x00asm" {
		t.Errorf("range request: %d %q, want 206 %q", rec.Code, rec.Body.String(), "\x00asm")
	}
}
