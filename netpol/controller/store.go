package controller

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/source"
)

// Store keeps what the model needs of the cluster, fed by the source
// handlers. Handlers only record and call the poke function, and only when
// something the model reads changed: informers resend objects and pods
// churn their status, and a sync per resend would be wasted work.
type Store struct {
	poke func()

	mu         sync.Mutex
	generation uint64 // bumped by every recorded change
	pods       map[types.NamespacedName]podRecord
	holders    ipHolders // the pods' IPs, to settle IPs two pods list
	namespaces map[string]netpol.Namespace
	policies   map[types.NamespacedName]*networkingv1.NetworkPolicy
	node       nodeState
	synced     syncedKinds
	// pendingSince is when the oldest change not yet enforced arrived
	// (zero: none); the controller's health reads it.
	pendingSince time.Time
	syncedAt     time.Time // when every kind had synced: nothing is pending before
	now          func() time.Time
}

// syncedKinds records which kinds delivered their initial list.
type syncedKinds struct {
	pods, namespaces, policies, node bool
}

func (s syncedKinds) all() bool { return s.pods && s.namespaces && s.policies && s.node }

// nodeState is what the model reads of the agent's own Node.
type nodeState struct {
	seen     bool
	ips      []netip.Addr
	podCIDRs []netip.Prefix
}

// NewStore returns an empty store that calls poke (may be nil) after each
// recorded change and when a kind has synced.
func NewStore(poke func()) *Store {
	if poke == nil {
		poke = func() {}
	}
	return &Store{
		poke:       poke,
		pods:       map[types.NamespacedName]podRecord{},
		holders:    newIPHolders(),
		namespaces: map[string]netpol.Namespace{},
		policies:   map[types.NamespacedName]*networkingv1.NetworkPolicy{},
		now:        time.Now,
	}
}

// Handlers returns the handlers a source feeds into the store. Nodes must
// deliver the agent's own Node only (the sources do so).
func (s *Store) Handlers() source.Handlers {
	return source.Handlers{
		Pods:            podEvents{s},
		Namespaces:      namespaceEvents{s},
		NetworkPolicies: policyEvents{s},
		Nodes:           nodeEvents{s},
	}
}

// update runs change under the lock; change reports whether it recorded
// anything, and only then is the generation bumped and the runner poked.
func (s *Store) update(change func() bool) {
	s.mu.Lock()
	changed := change()
	if changed {
		s.generation++
		if s.pendingSince.IsZero() {
			s.pendingSince = s.now()
		}
	}
	s.mu.Unlock()
	if changed {
		s.poke()
	}
}

// markSynced records that a kind delivered its initial list.
func (s *Store) markSynced(set func(*syncedKinds)) {
	s.mu.Lock()
	set(&s.synced)
	if s.synced.all() && s.syncedAt.IsZero() {
		s.syncedAt = s.now()
	}
	s.mu.Unlock()
	s.poke()
}

// State tells the generation of the store's content and whether every kind
// has synced once; cheap, for deciding whether a sync has anything to do.
func (s *Store) State() (generation uint64, synced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generation, s.synced.all()
}

// Snapshot returns the model's input for node nodeName, sorted so that two
// snapshots of the same content are equal, with its generation.
func (s *Store) Snapshot(nodeName string) (netpol.Input, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := netpol.Input{
		NodeName:   nodeName,
		NodeIPs:    slices.Clone(s.node.ips),
		PodCIDRs:   slices.Clone(s.node.podCIDRs),
		Pods:       make([]netpol.Pod, 0, len(s.pods)),
		Namespaces: make([]netpol.Namespace, 0, len(s.namespaces)),
		Policies:   make([]*networkingv1.NetworkPolicy, 0, len(s.policies)),
	}
	// The values are never mutated once stored (handlers replace them), so
	// sharing them with Compute needs no deep copy.
	owners := s.ipOwners()
	for key, r := range s.pods {
		in.Pods = append(in.Pods, withOwnIPs(r.pod, key, owners))
	}
	for _, ns := range s.namespaces {
		in.Namespaces = append(in.Namespaces, ns)
	}
	for _, np := range s.policies {
		in.Policies = append(in.Policies, np)
	}
	sortInput(&in)
	return in, s.generation
}

// PendingSince is when the oldest change not yet enforced arrived; zero
// when the last MarkApplied covered every change, or while some kind has
// not delivered its initial list (nothing can be enforced yet: the
// informers' wait is not the firewall's). A change from before the store
// synced counts from then.
func (s *Store) PendingSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.synced.all() || s.pendingSince.IsZero() {
		return time.Time{}
	}
	if s.pendingSince.Before(s.syncedAt) {
		return s.syncedAt
	}
	return s.pendingSince
}

// MarkApplied records that generation gen is enforced. Changes recorded
// since (during the sync) stay pending; their exact arrival is not kept,
// so they count from now, at most one sync's duration late.
func (s *Store) MarkApplied(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen >= s.generation {
		s.pendingSince = time.Time{}
	} else {
		s.pendingSince = s.now()
	}
}

// Policies returns the stored NetworkPolicies (shared, not to be modified).
func (s *Store) Policies() map[types.NamespacedName]*networkingv1.NetworkPolicy {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[types.NamespacedName]*networkingv1.NetworkPolicy, len(s.policies))
	for k, v := range s.policies {
		out[k] = v
	}
	return out
}

// NodeSeen tells whether the agent's own Node object has been delivered.
func (s *Store) NodeSeen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.node.seen
}

var (
	_ source.PodHandler           = podEvents{}
	_ source.NamespaceHandler     = namespaceEvents{}
	_ source.NetworkPolicyHandler = policyEvents{}
	_ source.NodeHandler          = nodeEvents{}
)
