package simulator

import "sync"

// policyCache keeps the policies parsed from recent definitions, so that a
// scenario played again (at every edit in the playground, at every API
// request for a preset) does not parse its @policy blocks again: in
// WebAssembly parsing the default preset's one policy was a twentieth of
// playing it. A policy does not change once parsed (its settings are
// worked out once, under a sync.Once), so runs at the same time can share
// it. Definitions that fail are not kept: their errors are cheap to find
// again and carry the position the caller reports.
var policyCache struct {
	sync.Mutex
	byKey map[policyKey]*Policy
	// order holds the keys oldest first; the oldest goes when a bound
	// would be passed.
	order []policyKey
	bytes int
}

// The cache's bounds: entries, and bytes of definition text kept as keys.
// A definition over maxCachedPolicyText is parsed every time.
const (
	maxCachedPolicies   = 64
	maxCachedPolicyText = 64 << 10
	maxCachedTextBytes  = 1 << 20
)

type policyKey struct{ text, id string }

// parsePolicyCached is parsePolicyText through policyCache.
func parsePolicyCached(text, id string) (*Policy, *policyTextError) {
	k := policyKey{text, id}
	policyCache.Lock()
	p, ok := policyCache.byKey[k]
	policyCache.Unlock()
	if ok {
		return p, nil
	}
	p, perr := parsePolicyText(text, id)
	if perr != nil || len(text) > maxCachedPolicyText {
		return p, perr
	}
	policyCache.Lock()
	defer policyCache.Unlock()
	if held, ok := policyCache.byKey[k]; ok {
		// Another run parsed it meanwhile: share that one.
		return held, nil
	}
	if policyCache.byKey == nil {
		policyCache.byKey = make(map[policyKey]*Policy, maxCachedPolicies)
	}
	for len(policyCache.order) > 0 && (len(policyCache.order) >= maxCachedPolicies || policyCache.bytes+len(text) > maxCachedTextBytes) {
		old := policyCache.order[0]
		policyCache.order = policyCache.order[1:]
		delete(policyCache.byKey, old)
		policyCache.bytes -= len(old.text)
	}
	policyCache.byKey[k] = p
	policyCache.order = append(policyCache.order, k)
	policyCache.bytes += len(text)
	return p, nil
}
