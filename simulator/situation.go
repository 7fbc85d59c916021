package simulator

// Situation is what the server detected about a request before any status
// code was chosen. Policies map situations to responses; keeping detection
// apart from the choice is what lets every policy answer the same request.
type Situation int

// The situations, in the order they are documented in SYNTAX.md.
const (
	Read Situation = iota
	Listed
	NotModified
	Created
	Replaced
	Updated
	Unchanged
	Deleted
	Missing
	PreviouslyDeleted
	AlreadyPresent
	Duplicate
	ImmutableConflict
	PreconditionFailed
	PreconditionRequired
	InvariantViolated
	DanglingReference
	InUse
	Invalid
	Malformed
	MethodNotAllowed
	NotImplemented
	OptionsAnswered
	NotAcceptable
	UnsupportedMediaType
	PatchConflict
	IDMismatch
	BatchCreated
	BatchPartial
	IdempotentReplay
	IdempotencyMismatch
	IdempotencyKeyMissing
	IdempotencyInFlight
	Unauthenticated
	InvalidCredentials
	Forbidden
	Hidden
	AccessRevoked
	numSituations
)

var situationNames = [numSituations]string{
	Read:                  "read",
	Listed:                "listed",
	NotModified:           "not-modified",
	Created:               "created",
	Replaced:              "replaced",
	Updated:               "updated",
	Unchanged:             "unchanged",
	Deleted:               "deleted",
	Missing:               "missing",
	PreviouslyDeleted:     "previously-deleted",
	AlreadyPresent:        "already-present",
	Duplicate:             "duplicate",
	ImmutableConflict:     "immutable-conflict",
	PreconditionFailed:    "precondition-failed",
	PreconditionRequired:  "precondition-required",
	InvariantViolated:     "invariant-violated",
	DanglingReference:     "dangling-reference",
	InUse:                 "in-use",
	Invalid:               "invalid",
	Malformed:             "malformed",
	MethodNotAllowed:      "method-not-allowed",
	NotImplemented:        "not-implemented",
	OptionsAnswered:       "options",
	NotAcceptable:         "not-acceptable",
	UnsupportedMediaType:  "unsupported-media-type",
	PatchConflict:         "patch-conflict",
	IDMismatch:            "id-mismatch",
	BatchCreated:          "batch-created",
	BatchPartial:          "batch-partial",
	IdempotentReplay:      "idempotent-replay",
	IdempotencyMismatch:   "idempotency-mismatch",
	IdempotencyKeyMissing: "idempotency-key-missing",
	IdempotencyInFlight:   "idempotency-in-flight",
	Unauthenticated:       "unauthenticated",
	InvalidCredentials:    "invalid-credentials",
	Forbidden:             "forbidden",
	Hidden:                "hidden",
	AccessRevoked:         "access-revoked",
}

// String returns the situation's name as used in policies and results.
func (s Situation) String() string {
	if s < 0 || s >= numSituations {
		return "unknown"
	}
	return situationNames[s]
}

// Success reports whether the situation is one where the request did what
// it asked; the analysis uses it to tell "done" from "refused".
func (s Situation) Success() bool {
	switch s {
	case Read, Listed, NotModified, Created, Replaced, Updated, Unchanged, Deleted, AlreadyPresent, BatchCreated, IdempotentReplay, OptionsAnswered, AccessRevoked:
		return true
	}
	return false
}

// parseSituation looks a situation up by name.
func parseSituation(name string) (Situation, bool) {
	for i, n := range situationNames {
		if n == name {
			return Situation(i), true
		}
	}
	return 0, false
}

// Situations lists every situation name, for documentation and tooling.
func Situations() []string {
	out := make([]string, numSituations)
	copy(out, situationNames[:])
	return out
}
