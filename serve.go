package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

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
	dir := fl.String("web", "web", "directory holding the playground's files")
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
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		fmt.Fprintf(stderr, "httpplay serve: %s has no index.html (use --web DIR)\n", *dir)
		return 1
	}
	if _, err := os.Stat(filepath.Join(*dir, "httpplay.wasm")); err != nil {
		fmt.Fprintf(stderr, "httpplay serve: warning: %s has no httpplay.wasm yet; run `make wasm`\n", *dir)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "httpplay serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "httpplay playground: %s\n", displayURL(ln.Addr()))
	if err := serve(ctx, ln, newHandler(staticHandler(*dir))); err != nil {
		fmt.Fprintf(stderr, "httpplay serve: %v\n", err)
		return 1
	}
	return 0
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
// headers, so it covers reading the body, waiting for a run slot, the run
// with its grace past the deadline, and sending the result; the API also
// moves the write deadline to resultWriteTime after its run, so that a
// finished result is never discarded.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = readTimeout + runQueueWait + 2*apiTimeout + resultWriteTime
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
