package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

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
func (s *files) representation(name string, f file, info fs.FileInfo, accept []string) (representation, error) {
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
func (s *files) gzipped(name, tag string, f io.ReadSeeker) (*gzipEntry, error) {
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
func (s *files) etag(name string, info fs.FileInfo, f io.ReadSeeker) (string, error) {
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
