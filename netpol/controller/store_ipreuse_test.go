package controller

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/test/objects"
)

// ipsOf returns the snapshot's IPs of pod ns/name, failing if it is absent.
func ipsOf(t *testing.T, in netpol.Input, ns, name string) []string {
	t.Helper()
	for _, p := range in.Pods {
		if p.Key() == (types.NamespacedName{Namespace: ns, Name: name}) {
			var out []string
			for _, ip := range p.IPs {
				out = append(out, ip.String())
			}
			return out
		}
	}
	t.Fatalf("pod %s/%s not in the snapshot", ns, name)
	return nil
}

// A terminating pod keeps its IP in status until kubelet reports it
// finished, and IPAM may already have given that IP to a new pod: the
// old pod's labels must not keep matching the new pod's traffic.
func TestStoreGivesAReusedIPToTheNewPod(t *testing.T) {
	s := NewStore(nil)
	h := handlersOf(s)
	old := objects.Pod("x", "old", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "db-client"}))
	h.OnPodAdd(old)
	terminating := old.DeepCopy()
	terminating.DeletionTimestamp = &metav1.Time{}
	h.OnPodUpdate(old, terminating)
	h.OnPodAdd(objects.Pod("x", "new", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "web"})))

	in, _ := s.Snapshot(thisNode)
	if got := ipsOf(t, in, "x", "new"); !slices.Equal(got, []string{"10.1.0.10"}) {
		t.Errorf("new pod IPs = %v, want [10.1.0.10]", got)
	}
	if got := ipsOf(t, in, "x", "old"); len(got) != 0 {
		t.Errorf("terminating pod still holds %v, which now belongs to x/new", got)
	}
}

// After a restart the informer lists both pods in any order: the one not
// being deleted owns the IP whichever came first.
func TestStorePrefersTheLivePodOfAReusedIPInAnyOrder(t *testing.T) {
	for _, oldFirst := range []bool{true, false} {
		s := NewStore(nil)
		h := handlersOf(s)
		old := objects.Pod("x", "old", objects.OnNode("node-b"), objects.WithIPs("10.2.0.7"), objects.WithLabelMap(map[string]string{"app": "a"}))
		old.DeletionTimestamp = &metav1.Time{}
		live := objects.Pod("x", "live", objects.OnNode("node-b"), objects.WithIPs("10.2.0.7"), objects.WithLabelMap(map[string]string{"app": "b"}))
		if oldFirst {
			h.OnPodAdd(old)
			h.OnPodAdd(live)
		} else {
			h.OnPodAdd(live)
			h.OnPodAdd(old)
		}
		in, _ := s.Snapshot(thisNode)
		if got := ipsOf(t, in, "x", "live"); !slices.Equal(got, []string{"10.2.0.7"}) {
			t.Errorf("oldFirst=%v: live pod IPs = %v, want [10.2.0.7]", oldFirst, got)
		}
		if got := ipsOf(t, in, "x", "old"); len(got) != 0 {
			t.Errorf("oldFirst=%v: terminating pod still holds %v", oldFirst, got)
		}
	}
}

// Without any deletion in sight, the pod that got the IP last owns it: an
// IP is only handed out once free, so the earlier holder's is stale.
func TestStoreGivesAReusedIPToItsLatestHolder(t *testing.T) {
	s := NewStore(nil)
	h := handlersOf(s)
	h.OnPodAdd(objects.Pod("x", "b-old", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "a"})))
	h.OnPodAdd(objects.Pod("x", "a-new", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "b"})))
	in, _ := s.Snapshot(thisNode)
	if got := ipsOf(t, in, "x", "a-new"); !slices.Equal(got, []string{"10.1.0.10"}) {
		t.Errorf("latest holder IPs = %v, want [10.1.0.10]", got)
	}
	if got := ipsOf(t, in, "x", "b-old"); len(got) != 0 {
		t.Errorf("earlier holder still holds %v", got)
	}
}

// The model built from the store must not let the new pod in through a
// policy that admitted the terminating pod's labels.
func TestReusedIPDoesNotInheritTheOldPodsAccess(t *testing.T) {
	s := NewStore(nil)
	h := handlersOf(s)
	h.OnNamespaceAdd(objects.Namespace("x", nil))
	h.OnNetworkPolicyAdd(allowFrom("x", "db", "db-client", ""))
	h.OnPodAdd(objects.Pod("x", "db", objects.OnNode(thisNode), objects.WithIPs("10.1.0.2"), objects.WithLabelMap(map[string]string{"app": "target"})))
	old := objects.Pod("x", "old", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "db-client"}))
	old.DeletionTimestamp = &metav1.Time{}
	h.OnPodAdd(old)
	h.OnPodAdd(objects.Pod("x", "new", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"), objects.WithLabelMap(map[string]string{"app": "web"})))

	in, _ := s.Snapshot(thisNode)
	m, errs := netpol.Compute(in)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	from := netpol.EndpointIP(mustAddr("10.1.0.10"))
	if allowed, reasons := m.Verdict(from, netpol.EndpointPod("x", "db"), 5432, "TCP"); allowed {
		t.Errorf("x/new (app=web) reaches x/db through the terminating app=db-client pod's IP: %v", reasons)
	}
}

// The index of shared IPs follows deletes and IP changes, and leaves
// hostNetwork pods (which all share their node's IPs) alone.
func TestStoreIPIndexFollowsChanges(t *testing.T) {
	s := NewStore(nil)
	h := handlersOf(s)
	a := objects.Pod("x", "a", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"))
	b := objects.Pod("x", "b", objects.OnNode(thisNode), objects.WithIPs("10.1.0.10"))
	h.OnPodAdd(a)
	h.OnPodAdd(b)
	moved := a.DeepCopy()
	moved.Status.PodIPs = []v1.PodIP{{IP: "10.1.0.11"}}
	h.OnPodUpdate(a, moved) // a's claim is now the latest, but to another IP
	in, _ := s.Snapshot(thisNode)
	if got := ipsOf(t, in, "x", "b"); !slices.Equal(got, []string{"10.1.0.10"}) {
		t.Errorf("b IPs = %v after a moved away, want [10.1.0.10]", got)
	}
	if got := ipsOf(t, in, "x", "a"); !slices.Equal(got, []string{"10.1.0.11"}) {
		t.Errorf("a IPs = %v, want [10.1.0.11]", got)
	}

	c := objects.Pod("x", "c", objects.OnNode(thisNode), objects.WithIPs("10.1.0.11"))
	h.OnPodAdd(c) // takes a's IP
	h.OnPodDelete(c)
	in, _ = s.Snapshot(thisNode)
	if got := ipsOf(t, in, "x", "a"); !slices.Equal(got, []string{"10.1.0.11"}) {
		t.Errorf("a IPs = %v after c was deleted, want [10.1.0.11] back", got)
	}

	for _, name := range []string{"host-1", "host-2"} {
		p := objects.Pod("x", name, objects.OnNode(thisNode), objects.WithIPs("192.168.0.1"))
		p.Spec.HostNetwork = true
		h.OnPodAdd(p)
	}
	in, _ = s.Snapshot(thisNode)
	for _, name := range []string{"host-1", "host-2"} {
		if got := ipsOf(t, in, "x", name); !slices.Equal(got, []string{"192.168.0.1"}) {
			t.Errorf("hostNetwork pod %s IPs = %v, want the node's", name, got)
		}
	}
	if len(s.holders.shared) != 0 {
		t.Errorf("shared IPs = %v, want none", s.holders.shared)
	}
}
