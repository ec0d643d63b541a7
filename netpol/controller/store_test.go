package controller

import (
	"net/netip"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/test/objects"
)

// pokeCounter counts the store's pokes.
type pokeCounter struct{ n int }

func (p *pokeCounter) poke() { p.n++ }

func TestStoreDropsNoOpUpdates(t *testing.T) {
	pokes := &pokeCounter{}
	s := NewStore(pokes.poke)
	h := handlersOf(s)
	pod := objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "a"}))
	ns := objects.Namespace("x", map[string]string{"team": "x"})
	np := allowFrom("x", "p", "b", "")
	node := objects.Node(thisNode, objects.InternalIPs("10.0.0.1"), objects.PodCIDRs("10.1.0.0/24"))
	h.OnPodAdd(pod)
	h.OnNamespaceAdd(ns)
	h.OnNetworkPolicyAdd(np)
	h.OnNodeAdd(node)
	if pokes.n != 4 {
		t.Fatalf("%d pokes after four adds, want 4", pokes.n)
	}

	churn := pod.DeepCopy()
	churn.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}
	churn.Status.ContainerStatuses = []v1.ContainerStatus{{Name: "c", RestartCount: 3}}
	churn.Annotations = map[string]string{"touched": "yes"}
	churn.ResourceVersion = "2"
	h.OnPodUpdate(pod, churn)
	nsChurn := ns.DeepCopy()
	nsChurn.Annotations = map[string]string{"a": "b"}
	h.OnNamespaceUpdate(ns, nsChurn)
	npChurn := np.DeepCopy()
	npChurn.ResourceVersion = "2"
	npChurn.Annotations = map[string]string{"a": "b"}
	h.OnNetworkPolicyUpdate(np, npChurn)
	nodeChurn := node.DeepCopy()
	nodeChurn.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}}
	h.OnNodeUpdate(node, nodeChurn)
	h.OnPodDelete(objects.Pod("x", "never-added", objects.OnNode(thisNode)))
	h.OnNodeDelete(node)
	if pokes.n != 4 {
		t.Errorf("%d pokes after no-op updates, want still 4", pokes.n)
	}
}

func TestStorePokesOnWhatTheModelReads(t *testing.T) {
	base := objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "a"}))
	base.Spec.Containers = []v1.Container{{Name: "c", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 80}}}}
	changes := map[string]func(p *v1.Pod){
		"IP":          func(p *v1.Pod) { p.Status.PodIPs = []v1.PodIP{{IP: "10.1.0.11"}} },
		"labels":      func(p *v1.Pod) { p.Labels = map[string]string{"app": "b"} },
		"node":        func(p *v1.Pod) { p.Spec.NodeName = "node-b" },
		"hostNetwork": func(p *v1.Pod) { p.Spec.HostNetwork = true },
		"named port":  func(p *v1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 8080 },
		"finished":    func(p *v1.Pod) { p.Status.Phase = v1.PodSucceeded },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			pokes := &pokeCounter{}
			s := NewStore(pokes.poke)
			h := handlersOf(s)
			h.OnPodAdd(base)
			next := base.DeepCopy()
			change(next)
			h.OnPodUpdate(base, next)
			if pokes.n != 2 {
				t.Errorf("%d pokes, want 2 (add, update)", pokes.n)
			}
		})
	}
}

func TestStoreSnapshot(t *testing.T) {
	s := NewStore(nil)
	h := handlersOf(s)
	h.OnPodAdd(objects.Pod("x", "b", objects.OnNode(thisNode), objects.WithIPs("10.1.0.11")))
	h.OnPodAdd(objects.Pod("x", "a", objects.OnNode(thisNode))) // no IP yet: kept
	failed := objects.Pod("x", "done", objects.OnNode(thisNode), objects.WithIPs("10.1.0.12"))
	failed.Status.Phase = v1.PodFailed
	h.OnPodAdd(failed)
	h.OnNamespaceAdd(objects.Namespace("x", nil))
	h.OnNetworkPolicyAdd(allowFrom("x", "p", "b", ""))
	node := objects.Node(thisNode, objects.InternalIPs("10.0.0.1", "fd00::1"), objects.PodCIDRs("10.1.0.0/24", "fd00:1::/64"))
	node.Status.Addresses = append(node.Status.Addresses,
		v1.NodeAddress{Type: v1.NodeExternalIP, Address: "192.0.2.1"},
		v1.NodeAddress{Type: v1.NodeHostName, Address: "node-a"})
	h.OnNodeAdd(node)

	in, gen := s.Snapshot(thisNode)
	if gen == 0 {
		t.Error("generation did not move")
	}
	var names []string
	for _, p := range in.Pods {
		names = append(names, p.Key().String())
	}
	if !slices.Equal(names, []string{"x/a", "x/b"}) {
		t.Errorf("pods = %v, want x/a (no IP) and x/b, not the failed one", names)
	}
	wantIPs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fd00::1")}
	if !slices.Equal(in.NodeIPs, wantIPs) {
		t.Errorf("NodeIPs = %v, want %v", in.NodeIPs, wantIPs)
	}
	wantCIDRs := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("fd00:1::/64")}
	if !slices.Equal(in.PodCIDRs, wantCIDRs) {
		t.Errorf("PodCIDRs = %v, want %v", in.PodCIDRs, wantCIDRs)
	}
	if len(in.Namespaces) != 1 || len(in.Policies) != 1 || in.NodeName != thisNode {
		t.Errorf("snapshot = %+v", in)
	}

	h.OnPodUpdate(nil, failed) // x/done finishing again changes nothing
	h.OnNetworkPolicyDelete(&networkingv1.NetworkPolicy{})
	if _, again := s.Snapshot(thisNode); again != gen {
		t.Errorf("generation moved from %d to %d without a change", gen, again)
	}
}
