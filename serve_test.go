package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpplay/httpplay/internal/static"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine and a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs serveMain with args on a free port and returns the base
// URL, the server's stderr and a function that stops it and returns its
// exit status.
func startServe(t *testing.T, args ...string) (base string, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	stderr = &syncBuffer{}
	exit := make(chan int, 1)
	go func() { exit <- serveMain(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), &stdout, stderr) }()
	stop = func() int {
		cancel()
		select {
		case code := <-exit:
			return code
		case <-time.After(2 * shutdownGrace):
			t.Fatal("server did not shut down")
			return -1
		}
	}
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); {
		if _, after, ok := strings.Cut(stdout.String(), "httpplay playground: "); ok && strings.HasSuffix(after, "\n") {
			url = strings.TrimSpace(after)
			break
		}
		select {
		case code := <-exit:
			cancel()
			t.Fatalf("serveMain exited with %d before serving; stderr: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.HasPrefix(url, "http://localhost:") {
		stop()
		t.Fatalf("printed URL %q, want http://localhost:PORT/", url)
	}
	return strings.TrimSuffix(strings.Replace(url, "localhost", "127.0.0.1", 1), "/"), stderr, stop
}

// get fetches url and returns the response with its body read.
func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport's own gzip handling would hide what the server sent.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// writeWeb creates a playground directory with the given files.
func writeWeb(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testWeb is a playground with a page and a module.
var testWeb = map[string]string{
	"index.html":    "<!doctype html><title>playground</title>",
	"httpplay.wasm": "\x00asm\x01\x00\x00\x00",
}

// TestEmbeddedWeb serves the copy of web/ built into the test binary
// through serve's whole handler.
func TestEmbeddedWeb(t *testing.T) {
	t.Parallel()
	files, _, err := playgroundFiles("")
	if err != nil {
		t.Fatal(err)
	}
	h := playground(static.FS(files))
	for target, want := range map[string]int{"/": 200, "/embed": 200, "/js/app.js": 200, "/_headers": 404, "/api/health": 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != want {
			t.Errorf("GET %s from the built-in copy: status %d, want %d", target, rec.Code, want)
		}
	}
	if _, err := fs.Stat(files, "_headers"); err == nil {
		t.Errorf("the built-in copy holds _headers, which is host configuration")
	}
}

func TestServeMainServesUntilCancelled(t *testing.T) {
	t.Parallel()
	base, stderr, stop := startServe(t, "--web", writeWeb(t, testWeb))
	res, body := get(t, base+"/httpplay.wasm")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" || body != testWeb["httpplay.wasm"] {
		t.Errorf("GET httpplay.wasm: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit status after shutdown = %d, want 0; stderr: %s", code, stderr.String())
	}
}

// TestServeMainBuiltIn serves the copy of web/ built into the test binary,
// from another working directory than the repository's.
func TestServeMainBuiltIn(t *testing.T) {
	t.Parallel()
	base, stderr, stop := startServe(t)
	defer stop()
	index, err := os.ReadFile(filepath.Join("web", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		status int
		body   string
	}{
		"/":           {status: 200, body: string(index)},
		"/embed":      {status: 200},
		"/api/health": {status: 200},
		"/_headers":   {status: 404},
	}
	for path, tt := range tests {
		res, body := get(t, base+path)
		if res.StatusCode != tt.status || tt.body != "" && body != tt.body {
			t.Errorf("GET %s: %d, %d bytes; want %d", path, res.StatusCode, len(body), tt.status)
		}
	}
	if _, err := os.Stat(filepath.Join("web", "httpplay.wasm")); err != nil && !strings.Contains(stderr.String(), "/api/run") {
		t.Errorf("no httpplay.wasm, but stderr says nothing of the API fallback: %q", stderr.String())
	}
}

// TestServeMainAPIWithoutPlayground checks that the API starts even where
// the playground's files are missing, and that the server says so.
func TestServeMainAPIWithoutPlayground(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files  map[string]string
		stderr string
		index  int
	}{
		"empty directory": {files: map[string]string{}, stderr: "has no index.html: only the API is served", index: 404},
		"no wasm":         {files: map[string]string{"index.html": "<!doctype html>"}, stderr: "runs scenarios through this server's /api/run", index: 200},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, stderr, stop := startServe(t, "--web", writeWeb(t, tt.files))
			defer stop()
			if res, body := get(t, base+"/api/health"); res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
				t.Errorf("GET /api/health: %d %q", res.StatusCode, body)
			}
			if res, _ := get(t, base+"/"); res.StatusCode != tt.index {
				t.Errorf("GET /: %d, want %d", res.StatusCode, tt.index)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

func TestServeMainRejects(t *testing.T) {
	t.Parallel()
	dir := writeWeb(t, testWeb)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Parallel subtests run after this function returns, so a deferred
	// Close would free the port before they try it.
	t.Cleanup(func() { busy.Close() })
	tests := map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"unknown flag":          {args: []string{"--nope"}, code: 2, stderr: "flag provided but not defined"},
		"extra argument":        {args: []string{"--web", dir, "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		"address not host:port": {args: []string{"--web", dir, "--addr", "bogus"}, code: 2, stderr: `--addr "bogus" is not HOST:PORT`},
		"no such directory":     {args: []string{"--web", filepath.Join(dir, "nope")}, code: 1, stderr: "no such file or directory"},
		"not a directory":       {args: []string{"--web", filepath.Join(dir, "index.html")}, code: 1, stderr: "not a directory"},
		"address in use":        {args: []string{"--web", dir, "--addr", busy.Addr().String()}, code: 1, stderr: "address already in use"},
		"help is not error":     {args: []string{"-h"}, code: 0, stderr: "usage: httpplay serve"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A case that wrongly starts serving stops at the deadline
			// instead of hanging the test binary.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stdout, stderr syncBuffer
			code := serveMain(ctx, tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("serveMain(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}

func TestDefaultAddr(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		port, want string
	}{
		"unset": {port: "", want: "127.0.0.1:9900"},
		"set":   {port: "8123", want: "127.0.0.1:8123"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := defaultAddr(func(key string) string {
				if key == "PORT" {
					return tt.port
				}
				return ""
			})
			if got != tt.want {
				t.Errorf("defaultAddr with PORT=%q = %q, want %q", tt.port, got, tt.want)
			}
		})
	}
}

func TestDisplayURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		addr string
		want string
	}{
		"loopback v4":  {addr: "127.0.0.1:9900", want: "http://localhost:9900/"},
		"loopback v6":  {addr: "[::1]:9900", want: "http://localhost:9900/"},
		"unspecified":  {addr: "0.0.0.0:80", want: "http://localhost:80/"},
		"lan address":  {addr: "192.168.1.20:9900", want: "http://192.168.1.20:9900/"},
		"ipv6 address": {addr: "[2001:db8::1]:9900", want: "http://[2001:db8::1]:9900/"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := displayURL(addr); got != tt.want {
				t.Errorf("displayURL(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}
