package controller

import (
	"errors"
	"net/netip"
	"sync"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/test/objects"
)

const thisNode = "node-a"

// fakeEnforcer records every Sync and fails while failing is set.
type fakeEnforcer struct {
	mu      sync.Mutex
	calls   []syncCall
	failing bool
}

type syncCall struct {
	model *netpol.Model
	full  bool
}

func (f *fakeEnforcer) Sync(m *netpol.Model, full bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, syncCall{m, full})
	if f.failing {
		return errors.New("iptables-restore: exit status 1")
	}
	return nil
}

func (f *fakeEnforcer) setFailing(v bool) {
	f.mu.Lock()
	f.failing = v
	f.mu.Unlock()
}

func (f *fakeEnforcer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeEnforcer) last(t *testing.T) syncCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("the enforcer was never called")
	}
	return f.calls[len(f.calls)-1]
}

func newTestController(enforcer netpol.Enforcer) *Controller {
	return New(Config{NodeName: thisNode}, enforcer)
}

// syncAll delivers every initial list (empty unless objects were added).
func syncAll(h interface {
	OnPodsSynced()
	OnNamespacesSynced()
	OnNetworkPoliciesSynced()
	OnNodeSynced()
}) {
	h.OnPodsSynced()
	h.OnNamespacesSynced()
	h.OnNetworkPoliciesSynced()
	h.OnNodeSynced()
}

// storeHandlers exposes a store's typed handlers for tests.
type storeHandlers struct {
	podEvents
	namespaceEvents
	policyEvents
	nodeEvents
}

func handlersOf(s *Store) storeHandlers {
	return storeHandlers{podEvents{s}, namespaceEvents{s}, policyEvents{s}, nodeEvents{s}}
}

// allowFrom is an ingress policy selecting app=target that admits pods
// labelled app=from, or, with cidr set, the ipBlock cidr.
func allowFrom(ns, name, from, cidr string) *networkingv1.NetworkPolicy {
	peer := objects.PodPeer(objects.Selector("app=" + from))
	if cidr != "" {
		peer = objects.IPBlockPeer(cidr)
	}
	np := objects.WithIngress(objects.Policy(ns, name, objects.Selector("app=target")), objects.Peers(peer))
	np.ResourceVersion = "1"
	return np
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
