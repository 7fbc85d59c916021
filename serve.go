package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/httpplay/httpplay/internal/api"
	"github.com/httpplay/httpplay/internal/static"
)

// embeddedWeb is the playground as it was in web/ when the binary was
// built, so that `httpplay serve` works from any directory. Build output
// such as httpplay.wasm is in it only if `make wasm` ran before the build
// (make run and make test-browser do); a `go install` from the module
// proxy has none, and the page then runs scenarios through /api/run.
// Names starting with "." or "_" (host configuration) are left out.
//
//go:embed web
var embeddedWeb embed.FS

// defaultPort is where `httpplay serve` listens when neither --addr nor the
// PORT environment variable says otherwise.
const defaultPort = "9900"

// shutdownGrace bounds how long a stopping server waits for open requests.
const shutdownGrace = 5 * time.Second

// serveCommand runs `httpplay serve`: the playground and the JSON API on one
// local HTTP server, until SIGINT or SIGTERM. It returns the exit status.
func serveCommand(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMain(ctx, args, stdout, stderr)
}

// serveMain is serveCommand with the stop signal given as a context.
func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: httpplay serve [--addr HOST:PORT] [--web DIR]")
		fmt.Fprintln(stderr, "Serves the playground and the JSON API until interrupted.")
		fl.PrintDefaults()
	}
	addr := fl.String("addr", defaultAddr(os.Getenv), "address to listen on (default port: $PORT, else "+defaultPort+")")
	dir := fl.String("web", "", "serve the playground's files from this directory instead of the copy built in")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "httpplay serve: unexpected argument %q\n", fl.Arg(0))
		fl.Usage()
		return 2
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		fmt.Fprintf(stderr, "httpplay serve: --addr %q is not HOST:PORT: %v\n", *addr, err)
		return 2
	}
	files, where, err := playgroundFiles(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "httpplay serve: --web %s: %v\n", *dir, err)
		return 1
	}
	handler, err := fileHandler(*dir, files)
	if err != nil {
		fmt.Fprintf(stderr, "httpplay serve: --web %s: %v\n", *dir, err)
		return 1
	}
	// The API needs no files, so it starts whatever the playground lacks;
	// what is missing is said once, with what the page does about it.
	if !hasFile(files, "index.html") {
		fmt.Fprintf(stderr, "httpplay serve: warning: %s has no index.html: only the API is served\n", where)
	} else if !hasFile(files, "httpplay.wasm") {
		fmt.Fprintf(stderr, "httpplay serve: note: %s has no httpplay.wasm (`make wasm` builds it): "+
			"the page runs scenarios through this server's /api/run\n", where)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "httpplay serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "httpplay playground: %s\n", displayURL(ln.Addr()))
	if err := serve(ctx, ln, playground(handler)); err != nil {
		fmt.Fprintf(stderr, "httpplay serve: %v\n", err)
		return 1
	}
	return 0
}

// playgroundFiles returns the playground's files: the directory dir, or
// the copy built into the binary when dir is "", and how to name them in a
// message.
func playgroundFiles(dir string) (fs.FS, string, error) {
	if dir == "" {
		sub, err := fs.Sub(embeddedWeb, "web")
		return sub, "the built-in copy of web/", err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, "", err
	}
	if !info.IsDir() {
		return nil, "", errors.New("not a directory")
	}
	return os.DirFS(dir), dir, nil
}

// playground is the handler of `httpplay serve`: the JSON API, the mock
// under /mock/, and the playground's files, whose security headers are on
// every answer outside /api/.
func playground(files http.Handler) http.Handler {
	return static.WithHeaders(withSandboxes(api.New(api.Options{Static: files})), "/api")
}

// fileHandler is the handler of the playground's files: served from the
// directory dir when one was given (read on every request, and confined to
// it), else from files as they are.
func fileHandler(dir string, files fs.FS) (http.Handler, error) {
	if dir == "" {
		return static.FS(files), nil
	}
	return static.Dir(dir)
}

// hasFile reports whether fsys holds the regular file name.
func hasFile(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && info.Mode().IsRegular()
}

// defaultAddr is the loopback address on $PORT, or on defaultPort.
func defaultAddr(getenv func(string) string) string {
	port := getenv("PORT")
	if port == "" {
		port = defaultPort
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// The server's timeouts. The write timeout runs from the end of the request
// headers, so it covers reading the body and then the API's answer: the
// wait for a run slot, the run with its grace past the deadline, and the
// sending of the result (see api.MaxAnswerTime).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = readTimeout + api.MaxAnswerTime
)

// serve answers requests on ln until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// displayURL is the address to open in a browser: loopback and unspecified
// hosts are shown as localhost, which is what people type.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
