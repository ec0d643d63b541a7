package packettrace

// Outcome is what finally happens to the connection's first packet.
type Outcome string

const (
	// Delivered: every endpoint the node may pick accepts it.
	Delivered Outcome = "delivered"
	// PartlyDelivered: some endpoints the node may pick accept it, others
	// refuse it (e.g. a NetworkPolicy admits only some of a Service's
	// pods): the client sees it work now and then.
	PartlyDelivered Outcome = "partly-delivered"
	// Rejected: refused at once (ICMP port unreachable, RST): no
	// endpoints, or a NetworkPolicy denies it.
	Rejected Outcome = "rejected"
	// Dropped: silently discarded: the client times out.
	Dropped Outcome = "dropped"
	// Forwarded: nodenet neither translates nor filters it; routing alone
	// decides (an address that is no frontend and no pod of this node).
	Forwarded Outcome = "forwarded"
)

// OK tells whether the outcome is what the client asked for (exit 0).
func (o Outcome) OK() bool { return o == Delivered || o == Forwarded }

// Answer is one trace: the question as resolved, every step the packet
// takes on this node, the endpoints it may reach and the outcome. It is
// what `nodenet trace -o json|yaml` prints.
type Answer struct {
	// Source is the client's address, with its pod when known.
	Source string `json:"source"`
	// Destination is what the client connects to: address:port/protocol,
	// with the Service or pod when known.
	Destination string   `json:"destination"`
	Outcome     Outcome  `json:"outcome"`
	Steps       []Step   `json:"steps"`
	Endpoints   []Target `json:"endpoints,omitempty"`
	// Allowed and Reasons are the NetworkPolicy trace's fields, kept for
	// scripts that read them: Allowed is Outcome.OK(), Reasons every
	// step's detail.
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
}

// Step is one decision on the packet's way.
type Step struct {
	// Stage is one of the Stage* constants.
	Stage  string `json:"stage"`
	Detail string `json:"detail"`
}

// Stages of a trace, in the order a packet meets them.
const (
	StageSource      = "source"
	StageFrontend    = "frontend"
	StageSourceRange = "source-ranges"
	StageEndpoints   = "endpoints"
	StageAffinity    = "affinity"
	StageMasquerade  = "masquerade"
	StagePolicy      = "policy"
	StageOutcome     = "outcome"
)

// Target is one endpoint the packet may be sent to.
type Target struct {
	// Address is the DNAT target, address:port.
	Address string `json:"address"`
	// Pod is "namespace/name" when the address is a known pod's.
	Pod string `json:"pod,omitempty"`
	// Probability that a new connection picks it (1/n; affinity aside).
	Probability float64 `json:"probability"`
	Local       bool    `json:"local"`
	// Masquerade: the node rewrites the source to its own address.
	Masquerade bool `json:"masquerade"`
	// PolicyAllowed and PolicyReasons are the NetworkPolicy verdict for
	// the connection to this endpoint, and the policies that decided.
	PolicyAllowed bool     `json:"policyAllowed"`
	PolicyReasons []string `json:"policyReasons"`
	Outcome       Outcome  `json:"outcome"`
}
