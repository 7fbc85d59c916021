// Package static serves the playground's files natively, as Workers static
// assets serve them on the edge: the same paths (a page without its .html,
// the index as "/"), the same security headers (see WithHeaders), strong
// ETags, and each file in the best content coding the client accepts, from
// a precompressed copy when there is a fresh one.
//
// It is a package of its own, apart from the API's, because only the
// native server serves files: the Worker imports the API and none of this.
package static

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
)

// Path limits: no file system in use holds a name longer than 255 bytes or
// a path longer than 4 KiB, so longer ones are answered 404 without asking
// the file system, which would fail with an error of its own.
const (
	maxNameBytes = 255
	maxPathBytes = 4096
)

// pageAliases are the paths Workers static assets serve HTML under (its
// default html_handling): a page without its .html, the index as "/".
// The native server answers the same paths, so that a link works on both.
var pageAliases = map[string]string{
	"/":      "/index.html",
	"/embed": "/embed.html",
}

// pageRedirects are the .html names Workers redirect to those paths.
var pageRedirects = map[string]string{
	"/index.html": "/",
	"/embed.html": "/embed",
}

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

// Dir serves the playground's files from the directory dir. The
// directory is opened as an os.Root, so no name resolves to a file outside
// it, through a symbolic link or otherwise. Files are read on every
// request, so a rebuilt httpplay.wasm is picked up without a restart.
func Dir(dir string) (http.Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &files{root: root.FS()}, nil
}

// FS serves the playground's files from fsys, such as the copy of web/
// built into the binary.
func FS(fsys fs.FS) http.Handler {
	return &files{root: fsys}
}

// files is the handler Dir and FS return. It answers only GET and HEAD,
// for regular files that are not hidden, and sends each in the best
// content coding the client accepts.
type files struct {
	root  fs.FS
	etags sync.Map // name -> etagEntry
	gz    sync.Map // name -> gzipEntry
}

func (s *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	name := path.Clean("/" + r.URL.Path)
	setSecurityHeaders(h, name)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if msg := badPath(r.URL.Path); msg != "" {
		http.Error(w, "400 bad request: "+msg, http.StatusBadRequest)
		return
	}
	if to, ok := pageRedirects[name]; ok {
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		return
	}
	if alias, ok := pageAliases[name]; ok {
		name = alias
	}
	f, info, err := s.open(name)
	if err != nil {
		if missing(err) {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
	}
	// Every file may come in another coding for another client, so caches
	// must key on Accept-Encoding even when this answer is uncompressed.
	h.Set("Vary", "Accept-Encoding")
	rep, err := s.representation(name, f, info, r.Header.Values("Accept-Encoding"))
	if err != nil {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer rep.close()
	content, size, tag, coding := rep.content, rep.size, rep.etag, rep.coding
	h.Set("Content-Type", ct)
	if coding != "" {
		h.Set("Content-Encoding", coding)
		// ServeContent leaves Content-Length out when the answer has a
		// Content-Encoding (it cannot tell a precompressed body from a
		// writer that compresses); this one is the file's exact size.
		if r.Header.Get("Range") == "" {
			h.Set("Content-Length", strconv.FormatInt(size, 10))
		}
	}
	// The file names carry no content hash, so a browser may keep a copy
	// but must revalidate it; the strong ETag makes that a cheap 304, which
	// is answered without reading the file.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", tag)
	http.ServeContent(w, r, name, info.ModTime(), content)
}

// badPath says what makes a request path unusable as a file name, or "" if
// nothing does: a NUL or other control character, or bytes that are not
// UTF-8 (no file of the playground has such a name, and the file system
// would reject some of them with an error of its own).
func badPath(p string) string {
	if !utf8.ValidString(p) {
		return "the path is not UTF-8"
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "the path contains a control character"
		}
	}
	return ""
}

// missing reports whether err means there is no file to serve under the
// name: it does not exist, names something that is not a regular file,
// is too long, or resolves outside the root.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, errEscapes)
}

// errEscapes is what open returns for a name that leaves the root; os.Root
// says so with an error of its own, which it does not export.
var errEscapes = errors.New("path escapes from the web root")

// file is what the handler needs of an open file: os.Root's files are
// *os.File and embed's files seek too, so http.ServeContent can answer
// ranges.
type file interface {
	io.ReadSeeker
	io.Closer
}

// open opens a regular file. Directories, hidden files, names starting with
// an underscore (host configuration such as Cloudflare's _headers) and the
// precompressed copies (.br, .gz: codings of another file, not files of
// their own) are reported as missing: only the playground itself is
// exposed.
func (s *files) open(name string) (file, fs.FileInfo, error) {
	if len(name) > maxPathBytes {
		return nil, nil, fs.ErrNotExist
	}
	rel := strings.TrimPrefix(name, "/")
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") || len(part) > maxNameBytes {
			return nil, nil, fs.ErrNotExist
		}
	}
	if ext := path.Ext(rel); ext == ".br" || ext == ".gz" {
		return nil, nil, fs.ErrNotExist
	}
	return s.openFile(rel)
}

// openFile opens rel, which must be a regular file.
func (s *files) openFile(rel string) (file, fs.FileInfo, error) {
	if !fs.ValidPath(rel) {
		return nil, nil, fs.ErrNotExist
	}
	f, err := s.root.Open(rel)
	if err != nil {
		if strings.Contains(err.Error(), "escapes from parent") {
			return nil, nil, errEscapes
		}
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
