package simulator

// The server's detection is a graph of named decisions, in the manner of
// webmachine and Liberator: each node asks one question about the request,
// with the RFC section that poses it, and either decides the situation or
// lets the request go on to the next node. One driver walks the nodes and
// records the trace, so that the path a request took is visible node by
// node and no node writes trace lines of its own.
//
// The order is the same for every method and follows RFC 9110: the method
// and the message before the target (§9.1, §5.5), the target's kind and the
// methods it allows before content negotiation (§15.5.6, §12), the target's
// existence before its preconditions, which are evaluated in the order of
// §13.2.2 and only where the answer without them would be 2xx or 412
// (§13.2.1), and the content last. SYNTAX.md lists the graph; the list is
// checked against decisionGraph by a test.

// node is one question of the decision graph.
type node struct {
	// name is the node's name in traces and documentation.
	name string
	// question is what the node asks, as a sentence for the documentation.
	question string
	// cite is the section of the RFC or specification that poses it.
	cite string
	// url is the link to cite, worked out once.
	url string
	// methods, when not empty, limits the node to those request methods.
	methods []string
	// ask answers the question. It reports what it found for the trace
	// ("" when the question did not arise for this request) and whether
	// the answer decides the situation, which it then sets in q.d.
	ask func(s *server, q *query) verdict
}

// verdict is a node's answer: a sentence for the trace, a citation when a
// more precise one than the node's applies, and whether it decided. It is
// kept to four words, which the compiler passes in registers: the driver
// handles one for every node it asks.
type verdict struct {
	detail  string
	cite    *citation
	decided bool
}

// citation is a section a verdict cites in place of its node's, with its
// link made once.
type citation struct{ cite, url string }

func cites(cite string) *citation { return &citation{cite: cite, url: makeCiteURL(cite)} }

// The sections verdicts cite in place of their nodes'.
var (
	citeJSONPatchDocument   = cites("RFC 6902 §3")
	citeJSONPatchOperations = cites("RFC 6902 §4")
	citeJSONPatchErrors     = cites("RFC 6902 §5")
	citePatch               = cites("RFC 5789 §2")
	citePatchErrors         = cites("RFC 5789 §2.2")
	citeMergePatch          = cites("RFC 7396 §2")
	citeBearerErrors        = cites("RFC 6750 §3.1")
	citeJSONAPIConflict     = cites("https://jsonapi.org/format/1.1/#crud-updating-responses-409")
	citeJSONAPIResource     = cites("https://jsonapi.org/format/1.1/#document-resource-objects")
)

// pass is the verdict of a node whose question did not arise.
var pass = verdict{}

// goOn is the verdict of a node that found something worth tracing but did
// not decide.
func goOn(detail string) verdict { return verdict{detail: detail} }

// decide is the verdict of a node that decided the situation.
func decide(detail string) verdict { return verdict{detail: detail, decided: true} }

// query is what the nodes of one walk share: the request, the detection
// being built, and what earlier nodes found out for later ones.
type query struct {
	req *request
	d   *detection
	// cur is the target's live resource, nil when it has none.
	cur *resource
	// collection is whether the target is a collection, once known.
	collection, collectionKnown bool
	// absent is the situation of a member target without a current
	// representation (missing or previously-deleted) that the method will
	// not create; Read otherwise.
	absent Situation
	// patch is the patch format chosen by Content-Type for PATCH.
	patch patchFormat
	// body and value are the parsed content, once content-parses passed.
	body  string
	value any
	// proposed is the representation a PUT or PATCH would store.
	proposed string
}

// isCollection reports whether the target is a collection, finding out
// at the first node that asks: many walks never need to.
func (q *query) isCollection(s *server) bool {
	if !q.collectionKnown {
		q.collection = s.isCollection(q.req.target)
		q.collectionKnown = true
	}
	return q.collection
}

// about is a trace sentence about the target: the target followed by
// rest, made only for a walk whose trace is kept, since a lean walk's
// sentences would be built only to be dropped.
func (q *query) about(rest string) string {
	if q.d.lean {
		return ""
	}
	return q.req.target + rest
}

// walk asks the nodes of graph that concern the request's method, in
// order, until one decides, recording each answer in the detection's trace.
func (s *server) walk(graph *methodGraph, q *query) bool {
	for _, n := range graph.nodes(q.req.method) {
		v := n.ask(s, q)
		if v.detail != "" && !q.d.lean {
			if q.d.trace == nil {
				// Room for a typical walk and what explain adds to it.
				q.d.trace = make([]TraceEntry, 0, 6)
			}
			cite, url := n.cite, n.url
			if v.cite != nil {
				cite, url = v.cite.cite, v.cite.url
			}
			q.d.trace = append(q.d.trace, TraceEntry{Step: n.name, Detail: v.detail, Cite: cite, URL: url})
		}
		if v.decided {
			q.d.node = n.name
			return true
		}
	}
	return false
}

// methodGraph is a list of nodes with, for each method, the nodes that
// concern it, worked out once.
type methodGraph struct {
	all []*node
	// byMethod holds the nodes of each implemented method, by
	// methodIndex; the last entry is for a method no node names.
	byMethod [len(graphMethods) + 1][]*node
}

// graphMethods are the methods the graph tells apart.
var graphMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// methodIndex is a method's place in graphMethods, or len(graphMethods).
func methodIndex(method string) int {
	switch method {
	case "GET":
		return 0
	case "HEAD":
		return 1
	case "POST":
		return 2
	case "PUT":
		return 3
	case "PATCH":
		return 4
	case "DELETE":
		return 5
	case "OPTIONS":
		return 6
	}
	return len(graphMethods)
}

func newMethodGraph(nodes ...*node) *methodGraph {
	g := &methodGraph{all: nodes}
	for _, n := range nodes {
		n.url = makeCiteURL(n.cite)
		for i, m := range graphMethods {
			if n.appliesTo(m) {
				g.byMethod[i] = append(g.byMethod[i], n)
			}
		}
		if len(n.methods) == 0 {
			g.byMethod[len(graphMethods)] = append(g.byMethod[len(graphMethods)], n)
		}
	}
	return g
}

func (g *methodGraph) nodes(method string) []*node {
	return g.byMethod[methodIndex(method)]
}

func (n *node) appliesTo(method string) bool {
	if len(n.methods) == 0 {
		return true
	}
	for _, m := range n.methods {
		if m == method {
			return true
		}
	}
	return false
}

// detect is the read phase: it classifies the request without changing
// anything but the id sequence and idempotency-key reservations.
func (s *server) detect(req *request, lean bool) *detection {
	d := &detection{lean: lean}
	s.detectWith(&query{req: req, d: d})
	return d
}

// detectWith walks the whole graph with one query: the key's node reads
// the request and writes only the detection, so both walks share it.
func (s *server) detectWith(q *query) {
	if !s.walk(keyGraph, q) {
		s.walkRest(q)
	}
}

// reserveKey walks the idempotency-key part of the graph, which a race
// may run apart from the rest; it reports true when the key alone decides
// the answer (replay, mismatch, in flight, missing).
func (s *server) reserveKey(req *request, d *detection) bool {
	return s.walk(keyGraph, &query{req: req, d: d})
}

// detectRest walks the rest of the graph, once any key is reserved.
func (s *server) detectRest(req *request, d *detection) {
	// The query is the walk's alone: races keep detections by the
	// thousand, and keep none of this.
	s.walkRest(&query{req: req, d: d})
}

// walkRest walks the rest of the graph with a query of its own.
func (s *server) walkRest(q *query) {
	req, d := q.req, q.d
	d.subject = req.target
	if r := s.w.live(req.target); r != nil {
		d.readVer = r.version
	}
	if !s.walk(decisionGraph, q) {
		// Every method reaches a deciding node; this guards the graph.
		panic("simulator: the decision graph decided nothing for " + req.method + " " + req.target)
	}
}

// keyGraph is the part of the graph a request with an Idempotency-Key
// passes before anything else, so that a replay never reaches the rest.
var keyGraph = newMethodGraph(nodeIdempotencyKey)

// decisionGraph is the rest of the graph, in the order it is asked.
var decisionGraph = newMethodGraph(
	nodeMethodImplemented,
	nodeFieldValues,
	nodeAuthenticated,
	nodeTargetKind,
	nodeAuthorizedFirst,
	nodeMethodAllowed,
	nodeOptions,
	nodeAcceptable,
	nodeMediaType,
	nodeExists,
	nodeAuthorized,
	nodePreconditionsApply,
	nodeIfMatch,
	nodeIfNoneMatch,
	nodeConditionRequired,
	nodeAbsent,
	nodeRead,
	nodeInUse,
	nodeChildren,
	nodeKeepsMinimum,
	nodeRemove,
	nodeContentParses,
	nodeCreator,
	nodeCreate,
	nodeProposed,
	nodeIdentity,
	nodeUnchanged,
	nodeImmutable,
	nodeValid,
	nodeReferences,
	nodeUnique,
	nodeKeepsAccess,
	nodeWrite,
)

// DecisionNode describes one node of the server's decision graph.
type DecisionNode struct {
	Name     string   `json:"name"`
	Question string   `json:"question"`
	Cite     string   `json:"cite,omitempty"`
	Methods  []string `json:"methods,omitempty"`
}

// DecisionGraph lists the nodes of the decision graph in the order every
// request asks them, for documentation and tooling.
func DecisionGraph() []DecisionNode {
	var out []DecisionNode
	for _, n := range append(append([]*node(nil), keyGraph.all...), decisionGraph.all...) {
		out = append(out, DecisionNode{Name: n.name, Question: n.question, Cite: n.cite, Methods: n.methods})
	}
	return out
}
