package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
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
	"time"
	"unicode/utf8"
)

// contentSecurityPolicy lets the page run its own scripts and compile its
// WebAssembly ('wasm-unsafe-eval'), and nothing else: no inline script or
// style, no other origin, no plugins. Trusted Types with no policy make any
// string-to-HTML sink throw, so scenario text can only reach the page as text.
const contentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

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

// compressible lists the extensions worth compressing when no
// precompressed copy exists; images such as PNG are compressed already.
var compressible = map[string]bool{
	".html": true, ".js": true, ".mjs": true, ".css": true, ".wasm": true,
	".json": true, ".svg": true, ".txt": true, ".webmanifest": true,
}

// Compressing on the fly is for the page's own small text files and for a
// development build of the wasm module that `make wasm` did not compress;
// bigger files are sent as they are rather than held in memory.
const (
	minCompressBytes = 1 << 10
	maxCompressBytes = 16 << 20
)

// encodings are the content codings the server can send, best first, each
// with the suffix of its precompressed copy.
var encodings = []struct{ name, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// staticHandler serves the playground's files from the directory dir. The
// directory is opened as an os.Root, so no name resolves to a file outside
// it, through a symbolic link or otherwise. Files are read on every
// request, so a rebuilt httpplay.wasm is picked up without a restart.
func staticHandler(dir string) (http.Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &static{root: root.FS()}, nil
}

// staticFS serves the playground's files from fsys, such as the copy of
// web/ built into the binary.
func staticFS(fsys fs.FS) http.Handler {
	return &static{root: fsys}
}

// static is the handler staticHandler and staticFS return. It answers only
// GET and HEAD, for regular files that are not hidden, and sends each in
// the best content coding the client accepts.
type static struct {
	root  fs.FS
	etags sync.Map // name -> etagEntry
	gz    sync.Map // name -> gzipEntry
}

// etagEntry caches a file's ETag for as long as its size and time stay put.
type etagEntry struct {
	size    int64
	modTime time.Time
	etag    string
}

// gzipEntry is a file compressed on the fly, valid while the file's ETag
// is etag.
type gzipEntry struct {
	etag string
	data []byte
	tag  string // the compressed representation's own ETag
}

// withStaticHeaders sets the static files' security headers on every
// answer outside /api/ before next runs, so that they are also on the
// answers next gives without reaching the static handler, such as the
// ServeMux's redirect from /a/../index.html to /index.html.
func withStaticHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		if name != "/api" && !strings.HasPrefix(name, "/api/") {
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

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
func (s *static) open(name string) (file, fs.FileInfo, error) {
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
func (s *static) openFile(rel string) (file, fs.FileInfo, error) {
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

// representation is what the handler sends for a file: the file itself or
// one of its compressed forms.
type representation struct {
	content io.ReadSeeker
	size    int64
	etag    string // strong, and different for every coding
	coding  string // "" for the file itself
	close   func() // releases content if it is not the file itself
}

// representation chooses what to send for the file f: its precompressed
// copy in the best coding the client accepts, else a gzip made here for a
// compressible file, else the file itself. A precompressed copy older
// than the file is stale (the file was rebuilt without it) and is not used.
func (s *static) representation(name string, f file, info fs.FileInfo, accept []string) (representation, error) {
	nothing := func() {}
	rel := strings.TrimPrefix(name, "/")
	for _, enc := range encodings {
		if !acceptsEncoding(accept, enc.name) {
			continue
		}
		cf, cinfo, err := s.openFile(rel + enc.suffix)
		if err != nil {
			continue
		}
		if cinfo.ModTime().Before(info.ModTime()) {
			cf.Close()
			continue
		}
		tag, err := s.etag(name+enc.suffix, cinfo, cf)
		if err != nil {
			cf.Close()
			return representation{}, err
		}
		return representation{content: cf, size: cinfo.Size(), etag: tag, coding: enc.name, close: func() { cf.Close() }}, nil
	}
	tag, err := s.etag(name, info, f)
	if err != nil {
		return representation{}, err
	}
	if acceptsEncoding(accept, "gzip") && compressible[path.Ext(name)] &&
		info.Size() >= minCompressBytes && info.Size() <= maxCompressBytes {
		gz, err := s.gzipped(name, tag, f)
		if err != nil {
			return representation{}, err
		}
		if gz != nil {
			return representation{content: bytes.NewReader(gz.data), size: int64(len(gz.data)), etag: gz.tag, coding: "gzip", close: nothing}, nil
		}
	}
	return representation{content: f, size: info.Size(), etag: tag, close: nothing}, nil
}

// gzipped returns the file f compressed with gzip, made once per version
// of the file (tag is its ETag), or nil when compression would not make it
// smaller. The cache holds one entry per file name, so it is bounded by
// the files in the root.
func (s *static) gzipped(name, tag string, f io.ReadSeeker) (*gzipEntry, error) {
	if v, ok := s.gz.Load(name); ok && v.(*gzipEntry).etag == tag {
		e := v.(*gzipEntry)
		if e.data == nil {
			return nil, nil
		}
		return e, nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(zw, f)
	if err == nil {
		err = zw.Close()
	}
	if _, serr := f.Seek(0, io.SeekStart); err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	e := &gzipEntry{etag: tag}
	if int64(buf.Len()) < n {
		e.data = buf.Bytes()
		sum := sha256.Sum256(e.data)
		e.tag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	s.gz.Store(name, e)
	if e.data == nil {
		return nil, nil
	}
	return e, nil
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

// acceptsEncoding reports whether the Accept-Encoding field values accept
// coding (RFC 9110 §12.5.3): named with a q-value above zero, or covered
// by "*" with one when it is not named. Without the field no coding is
// accepted, which is the safe reading for a client that said nothing.
func acceptsEncoding(values []string, coding string) bool {
	named, star := -1.0, -1.0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			token, params, _ := strings.Cut(item, ";")
			token = strings.ToLower(strings.TrimSpace(token))
			if token == "" {
				continue
			}
			q := qValue(params)
			switch {
			case token == coding || coding == "gzip" && token == "x-gzip":
				named = max(named, q)
			case token == "*":
				star = max(star, q)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
}

// qValue reads the weight from an Accept-Encoding item's parameters: 1
// when there is none, 0 when it is malformed, so that a value nobody can
// read never selects a coding.
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		return parseQ(strings.TrimSpace(v))
	}
	return 1
}

// parseQ parses a qvalue: "0" or "1" with up to three decimals
// (RFC 9110 §12.4.2); anything else is 0.
func parseQ(v string) float64 {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0
	}
	whole, frac, hasFrac := strings.Cut(v, ".")
	if len(whole) != 1 || hasFrac && len(frac) > 3 {
		return 0
	}
	q := float64(whole[0] - '0')
	scale := 0.1
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0
		}
		q += float64(c-'0') * scale
		scale /= 10
	}
	if q > 1 {
		return 0
	}
	return q
}
