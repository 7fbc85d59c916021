package main

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
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
	f, info, err := s.open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	tag, err := s.etag(name, info, f)
	if err != nil {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	// The file names carry no content hash, so a browser may keep a copy
	// but must revalidate it; the strong ETag makes that a cheap 304, which
	// is answered without reading the file.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", tag)
	http.ServeContent(w, r, name, info.ModTime(), f)
}

// file is what the handler needs of an open file: os.DirFS's files are
// *os.File, which seeks, so http.ServeContent can answer ranges.
type file interface {
	io.ReadSeeker
	io.Closer
}

// open opens a regular file. Directories, hidden files and names starting
// with an underscore (host configuration such as Cloudflare's _headers) are
// reported as missing: only the playground itself is exposed.
func (s *static) open(name string) (file, fs.FileInfo, error) {
	rel := strings.TrimPrefix(name, "/")
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") {
			return nil, nil, fs.ErrNotExist
		}
	}
	if !fs.ValidPath(rel) || filepath.IsAbs(rel) {
		return nil, nil, fs.ErrNotExist
	}
	f, err := s.root.Open(rel)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	rs, ok := f.(file)
	if !info.Mode().IsRegular() || !ok {
		f.Close()
		return nil, nil, fs.ErrNotExist
	}
	return rs, info, nil
}

// etag returns a strong validator derived from the content, hashing the
// file only when its size or time changed since the last request.
func (s *static) etag(name string, info fs.FileInfo, f io.ReadSeeker) (string, error) {
	if v, ok := s.etags.Load(name); ok {
		e := v.(etagEntry)
		if e.size == info.Size() && e.modTime.Equal(info.ModTime()) {
			return e.etag, nil
		}
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:12]) + `"`
	s.etags.Store(name, etagEntry{size: info.Size(), modTime: info.ModTime(), etag: tag})
	return tag, nil
}
