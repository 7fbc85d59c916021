//go:build js && wasm

package main

import (
	"errors"
	"io"
	"net/http"
	"syscall/js"
)

// withStreamBody gives every request with a body a streamBody in place of
// the one syumai/workers made, so that the API's drain (internal/api) can
// discard a refused upload in JavaScript, and every request without one
// http.NoBody in place of syumai/workers' nil, as net/http's server does:
// handlers written for net/http, such as the mock's policy server, read the
// body unchecked.
func withStreamBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw, ok := r.Body.(interface{ GetRawJSBody() js.Value }); ok {
			body := &streamBody{stream: raw.GetRawJSBody(), left: -1}
			// syumai/workers makes ContentLength 0 when the header is
			// missing (a chunked upload) as well as when it says 0. With
			// Transfer-Encoding too, the length is not the body's (RFC 9112
			// §6.3), so the body is read to its end.
			if (r.ContentLength > 0 || r.Header.Get("Content-Length") == "0") && r.Header.Get("Transfer-Encoding") == "" {
				body.left = r.ContentLength
			}
			r.Body = body
		} else if r.Body == nil {
			r.Body = http.NoBody
		}
		next.ServeHTTP(w, r)
	})
}

// withDrainedBody discards, once next has answered, what is left of a
// body next neither read to its end nor closed, up to maxUnreadDrain
// bytes: the policy server of the mock refuses a body over its bound
// without reading the rest, and an answer sent while the client is still
// uploading fails in workerd ("Can't read from request stream after
// response has been sent") and, under wrangler dev, left the next request
// of the same client waiting until it gave up. The answer is buffered
// (withRawResponse), so nothing is sent before the discard ends.
func withDrainedBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if b, ok := r.Body.(*streamBody); ok && b.err == nil {
			b.Discard(maxUnreadDrain)
		}
	})
}

// maxUnreadDrain bounds the discard of withDrainedBody as the API bounds
// its own (16 MiB): past it the upload is cut off.
const maxUnreadDrain = 16 << 20

// streamBody reads a request's ReadableStream. It exists for Discard: the
// body syumai/workers gives can only be drained by copying every chunk into
// Go, which made a refused 5 MiB upload cost 290 ms of workerd CPU (wrangler
// dev's proxy included) against 89 ms for a pipe that stays in the runtime.
// Answering before the upload is consumed is no option either: under
// wrangler dev the request after such an answer could hang until its client
// gave up.
type streamBody struct {
	stream js.Value
	reader js.Value // the stream's reader once Read has locked it
	buf    []byte   // the unread part of the last chunk
	err    error    // the error every further Read returns
	// left is what remains of the length the request declared, or -1 when
	// it declared none (or the stream turned out longer).
	left int64
}

// Read reads from the stream's current chunk, awaiting the next non-empty
// one when it is used up. Once the declared length has arrived the body
// is at its end without awaiting the stream's own end: an await is a
// round trip between Go and the runtime, and a small body usually comes
// in one chunk, so this halves what reading it costs. Nothing can follow
// that length: the runtime frames a client's body by it (HTTP/1.1
// Content-Length), and the requests worker/worker.mjs makes itself for a
// sandbox (its send and its replay) carry the client's headers with the
// very bytes that arrived under them. A body that turns out longer is
// read on to its end.
func (b *streamBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.left == 0 {
			b.err = io.EOF
			return 0, io.EOF
		}
		if b.reader.IsUndefined() {
			b.reader = b.stream.Call("getReader")
		}
		res, err := await(b.reader.Call("read"))
		switch {
		case err != nil:
			b.err = err
			return 0, err
		case res.Get("done").Bool():
			b.err = io.EOF
			return 0, io.EOF
		}
		chunk := res.Get("value")
		b.buf = make([]byte, chunk.Get("byteLength").Int())
		js.CopyBytesToGo(b.buf, chunk)
		if b.left -= int64(len(b.buf)); b.left < 0 {
			b.left = -1
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// errDiscarded is what Read returns once the rest of a body was discarded,
// so that a cut-off body is never taken for a complete one.
var errDiscarded = errors.New("the rest of the body was discarded")

// Discard pipes the rest of the stream through a FixedLengthStream of limit
// bytes into a sink that drops them. The FixedLengthStream is workerd's
// way to count without calling Go for every chunk, which would double the
// CPU time; past limit bytes it fails the pipe, which cancels the upload.
// The pipe also fails when the upload ends short of limit, which is the
// usual way for it to end, so its error says nothing and is dropped.
func (b *streamBody) Discard(limit int64) {
	if !b.reader.IsUndefined() {
		b.reader.Call("releaseLock")
		b.reader = js.Undefined()
	}
	limit -= int64(len(b.buf))
	b.buf = nil
	if b.err == nil {
		b.err = errDiscarded
	}
	if limit <= 0 {
		return
	}
	counter := js.Global().Get("FixedLengthStream").New(limit)
	sink := js.Global().Get("WritableStream").New()
	await(b.stream.Call("pipeThrough", counter).Call("pipeTo", sink))
}

// Close cancels what is left of the upload. The cancel's promise rejects
// when the client has already gone, which is no news, so it is ignored
// rather than left unhandled.
func (b *streamBody) Close() error {
	b.buf = nil
	if b.err == nil {
		b.err = errors.New("read of a closed body")
	}
	switch {
	case !b.reader.IsUndefined():
		b.reader.Call("cancel").Call("catch", ignoreRejection)
	case !b.stream.Get("locked").Bool():
		b.stream.Call("cancel").Call("catch", ignoreRejection)
	}
	return nil
}

// ignoreRejection handles a rejection by dropping it. It lives as long as
// the instance, so it is never released.
var ignoreRejection = js.FuncOf(func(js.Value, []js.Value) any { return nil })

// await waits for a JavaScript promise to settle.
func await(promise js.Value) (js.Value, error) {
	type settled struct {
		value js.Value
		err   error
	}
	done := make(chan settled, 1)
	onValue := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- settled{value: args[0]}
		return nil
	})
	onError := js.FuncOf(func(_ js.Value, args []js.Value) any {
		// String() rather than toString, which undefined and null lack.
		done <- settled{err: errors.New(js.Global().Get("String").Invoke(args[0]).String())}
		return nil
	})
	defer onValue.Release()
	defer onError.Release()
	promise.Call("then", onValue, onError)
	s := <-done
	return s.value, s.err
}
