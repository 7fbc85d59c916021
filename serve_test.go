package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
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

func TestServeMainServesUntilCancelled(t *testing.T) {
	t.Parallel()
	dir := writeWeb(t, testWeb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() { exit <- serveMain(ctx, []string{"--addr", "127.0.0.1:0", "--web", dir}, &stdout, &stderr) }()

	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); {
		if _, after, ok := strings.Cut(stdout.String(), "httpplay playground: "); ok && strings.HasSuffix(after, "\n") {
			url = strings.TrimSpace(after)
			break
		}
		select {
		case code := <-exit:
			t.Fatalf("serveMain exited with %d before serving; stderr: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.HasPrefix(url, "http://localhost:") {
		t.Fatalf("printed URL %q, want http://localhost:PORT/", url)
	}
	res, err := http.Get(strings.Replace(url, "localhost", "127.0.0.1", 1) + "httpplay.wasm")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" || string(body) != testWeb["httpplay.wasm"] {
		t.Errorf("GET httpplay.wasm: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit status after shutdown = %d, want 0; stderr: %s", code, stderr.String())
		}
	case <-time.After(2 * shutdownGrace):
		t.Fatal("server did not shut down")
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
		"no playground":         {args: []string{"--web", t.TempDir()}, code: 1, stderr: "has no index.html"},
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
