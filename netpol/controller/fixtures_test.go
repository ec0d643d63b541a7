package controller

import (
	"errors"
	"net/netip"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/netpol"
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

func testPod(ns, name, node, ip string, labels map[string]string) *v1.Pod {
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       v1.PodSpec{NodeName: node},
		Status:     v1.PodStatus{Phase: v1.PodRunning},
	}
	if ip != "" {
		pod.Status.PodIP = ip
		pod.Status.PodIPs = []v1.PodIP{{IP: ip}}
	}
	return pod
}

func testNamespace(name string, labels map[string]string) *v1.Namespace {
	return &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func testNode(name string, ips []string, podCIDRs ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{PodCIDRs: podCIDRs}}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
	}
	return n
}

// allowFrom is an ingress policy selecting app=target that admits pods
// labelled app=from, or, with cidr set, the ipBlock cidr.
func allowFrom(ns, name, from, cidr string) *networkingv1.NetworkPolicy {
	peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": from}}}
	if cidr != "" {
		peer = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr}}
	}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "1"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "target"}},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer}}},
		},
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
