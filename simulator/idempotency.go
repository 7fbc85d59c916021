package simulator

import (
	"strconv"
	"strings"
)

// unsafe reports whether a method is one that an Idempotency-Key guards.
func unsafe(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// askIdempotencyKey is nodeIdempotencyKey's question. A policy that
// ignores the header says so; one that honours it looks the key up in the
// world, where a new key is reserved until its response completes it.
func (s *server) askIdempotencyKey(q *query) verdict {
	req, d := q.req, q.d
	mode := s.policy.idempotencyKey()
	key, has := req.header("Idempotency-Key")
	if mode == "ignore" {
		if has {
			return goOn("this policy does not know the Idempotency-Key header and ignores it")
		}
		return pass
	}
	d.subject = req.target
	if !has {
		if mode == "require" && req.method == "POST" {
			d.sit = IdempotencyKeyMissing
			d.detail = "this endpoint requires an Idempotency-Key header"
			return decide("required by this policy and absent")
		}
		return pass
	}
	ct, _ := req.header("Content-Type")
	fp := req.method + " " + req.target + " " + ct + " " + s.fingerprintBody(req.body)
	// A key belongs to whoever sent it: another principal (or none) using
	// the same key must not be handed the first one's response.
	key = scopedKey(req, key)
	e, seen := s.w.keys[key]
	switch {
	case !seen:
		s.w.reserveKey(key, fp)
		d.key = key
		if d.lean {
			return pass
		}
		return goOn("key " + key + " is new: the response will be remembered for retries")
	case e.fingerprint != fp:
		d.sit = IdempotencyMismatch
		d.detail = "Idempotency-Key " + key + " was first used for a different request"
		return decide("key " + key + " seen before with a different request")
	case !e.done:
		d.sit = IdempotencyInFlight
		d.detail = "a request with Idempotency-Key " + key + " is still being processed"
		return decide("key " + key + " is in flight")
	}
	d.sit = IdempotentReplay
	r := e.resp
	d.replay = &r
	return decide("key " + key + " seen before with the same request, first answered " + strconv.Itoa(r.status))
}

// scopedKey is an Idempotency-Key as the server stores it: with the
// credentials it came with.
func scopedKey(req *request, key string) string {
	if auth, _ := req.header("Authorization"); strings.TrimSpace(auth) != "" {
		return strings.TrimSpace(auth) + "\x00" + key
	}
	return key
}

func (s *server) fingerprintBody(body string) string {
	if c, _, ok := s.cache.canonicalJSON(body); ok {
		return c
	}
	return strings.TrimSpace(body)
}
