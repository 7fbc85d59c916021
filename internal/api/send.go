package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/httpplay/httpplay/simulator"
)

func handlePolicies(w http.ResponseWriter, r *http.Request) error {
	sendCacheable(w, r, mustJSON(simulator.Policies()))
	return nil
}

func handlePresets(w http.ResponseWriter, r *http.Request) error {
	sendCacheable(w, r, mustJSON(simulator.Presets()))
	return nil
}

// sendCacheable answers a GET whose body depends only on the deployed
// version, with a strong ETag from the content and a 304 when the client
// already has it.
func sendCacheable(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", presetMaxAge)
	if noneMatch(r.Header.Values("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	send(w, http.StatusOK, "application/json", body)
}

// noneMatch reports whether If-None-Match fields name etag, by the weak
// comparison RFC 9110 section 13.1.2 prescribes for this header.
func noneMatch(fields []string, etag string) bool {
	for _, field := range fields {
		for _, tag := range strings.Split(field, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// send writes a complete answer. Content-Length is always set: the Worker
// runtime then streams a fixed-length body, and nothing is sniffed. The
// body is written for HEAD too: net/http and workerd both drop it there,
// and the Worker runtime fails a response whose fixed-length stream gets
// fewer bytes than announced.
func send(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// mustJSON encodes API values the way the simulator encodes results:
// indented, with a final newline.
func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only fixed struct types of this package and the simulator's
	}
	return append(b, '\n')
}
