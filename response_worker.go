//go:build js && wasm

package main

import (
	"bytes"
	"net/http"
	"sync"
	"syscall/js"
)

// rawBodyWriter is the one method of syumai/workers' response writer that
// withRawResponse needs: it takes the response body as a JavaScript value,
// used as is for the Response.
type rawBodyWriter interface {
	WriteRawJSBody(body js.Value)
}

// withRawResponse buffers each answer in Go and hands it to the runtime as
// one Uint8Array, so that syumai/workers never streams a response body.
// Its streamed path closes a package-level channel when a body has been
// read to the end, and closing it a second time panics: with one instance
// serving request after request, the second streamed answer would kill the
// instance. The API's answers are small (a result is at most a few hundred
// KiB) and complete before they are sent, so buffering costs one copy and
// no latency.
func withRawResponse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := w.(rawBodyWriter)
		if !ok {
			// Without the raw path the instance would die at the second
			// streamed answer; failing loudly at once is the safer error.
			http.Error(w, "500 the Workers response writer has no WriteRawJSBody", http.StatusInternalServerError)
			return
		}
		buf := &bufferedResponse{header: w.Header(), status: http.StatusOK}
		if b, ok := responseBodies.Get().(*bytes.Buffer); ok {
			buf.body = b
		} else {
			buf.body = new(bytes.Buffer)
		}
		defer func() {
			if buf.body.Cap() <= maxPooledBody {
				buf.body.Reset()
				responseBodies.Put(buf.body)
			}
			// A write after the answer (none is made today) panics rather
			// than lands in another request's answer.
			buf.body = nil
		}()
		next.ServeHTTP(buf, r)
		w.WriteHeader(buf.status)
		if r.Method == http.MethodHead || buf.body.Len() == 0 {
			// No body at all, rather than an empty one, keeps the
			// Content-Length a HEAD answer declares for its GET.
			raw.WriteRawJSBody(js.Null())
			return
		}
		body := uint8Array.New(buf.body.Len())
		js.CopyBytesToJS(body, buf.body.Bytes())
		raw.WriteRawJSBody(body)
	})
}

// responseBodies holds the buffers answers are written into, so that an
// answer does not leave a buffer of its size behind as garbage: the
// collector runs on the one thread that also serves the requests.
// maxPooledBody keeps a rare huge one from staying.
var responseBodies sync.Pool

const maxPooledBody = 1 << 20

// uint8Array is JavaScript's Uint8Array constructor, looked up once: each
// lookup makes a js.Value, whose finalizer the runtime has to register.
var uint8Array = js.Global().Get("Uint8Array")

// bufferedResponse is the http.ResponseWriter the API writes into on the
// Worker. Its header map is the runtime writer's own, so headers need no
// copy.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        *bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

// WriteHeader records the first status, as net/http does; later calls are
// ignored.
func (b *bufferedResponse) WriteHeader(status int) {
	if b.wroteHeader {
		return
	}
	b.wroteHeader = true
	b.status = status
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wroteHeader = true
	return b.body.Write(p)
}
