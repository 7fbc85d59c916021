package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// contentSecurityPolicy lets the page run its own scripts and compile its
// WebAssembly ('wasm-unsafe-eval'), and nothing else: no inline script or
// style, no other origin, no plugins. Trusted Types with no policy make any
// string-to-HTML sink throw, so scenario text can only reach the page as text.
const contentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// embedPage is the one page documentation sites may put in an iframe.
const embedPage = "/embed.html"

// contentTypes maps the extensions the playground ships to their media
// types; the system's MIME database is not consulted because it varies
// between machines and often lacks application/wasm.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".wasm":        "application/wasm",
	".json":        "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".txt":         "text/plain; charset=utf-8",
	".webmanifest": "application/manifest+json",
}

// staticHandler serves the playground's files from dir. It reads the files
// on every request, so a rebuilt httpplay.wasm is picked up without a
// restart, and answers only GET and HEAD for regular, non-hidden files.
func staticHandler(dir string) http.Handler {
	return &static{root: os.DirFS(dir)}
}

// static is the handler staticHandler returns.
type static struct {
	root  fs.FS
	etags sync.Map // name -> etagEntry
}

// etagEntry caches a file's ETag for as long as its size and time stay put.
type etagEntry struct {
	size    int64
	modTime time.Time
	etag    string
}

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	name := path.Clean("/" + r.URL.Path)
	if name == "/" {
		name = "/index.html"
	}
	if name == embedPage {
		h.Set("Content-Security-Policy", contentSecurityPolicy+"; frame-ancestors *")
	} else {
		h.Set("Content-Security-Policy", contentSecurityPolicy+"; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, info, err := s.read(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	// The file names carry no content hash, so a browser may keep a copy
	// but must revalidate it; the strong ETag makes that a cheap 304.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", s.etag(name, info, data))
	http.ServeContent(w, r, name, info.ModTime(), bytes.NewReader(data))
}

// read returns the content of a regular file. Directories, hidden files and
// names starting with an underscore (host configuration such as Cloudflare's
// _headers) are reported as missing: only the playground itself is exposed.
func (s *static) read(name string) ([]byte, fs.FileInfo, error) {
	rel := strings.TrimPrefix(name, "/")
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") {
			return nil, nil, fs.ErrNotExist
		}
	}
	if !fs.ValidPath(rel) || filepath.IsAbs(rel) {
		return nil, nil, fs.ErrNotExist
	}
	info, err := fs.Stat(s.root, rel)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fs.ErrNotExist
	}
	data, err := fs.ReadFile(s.root, rel)
	if err != nil {
		return nil, nil, err
	}
	return data, info, nil
}

// etag returns a strong validator derived from the content.
func (s *static) etag(name string, info fs.FileInfo, data []byte) string {
	if v, ok := s.etags.Load(name); ok {
		e := v.(etagEntry)
		if e.size == info.Size() && e.modTime.Equal(info.ModTime()) {
			return e.etag
		}
	}
	sum := sha256.Sum256(data)
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	s.etags.Store(name, etagEntry{size: info.Size(), modTime: info.ModTime(), etag: tag})
	return tag
}
