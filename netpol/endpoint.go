package netpol

import (
	"errors"
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/types"
)

// Endpoint is one end of a connection for Verdict: a pod by name, or a bare
// IP (which is recognised as a local pod when it is one).
type Endpoint struct {
	// Pod, when set, names the pod; IP may then pick one of its addresses.
	Pod types.NamespacedName
	IP  netip.Addr
}

// EndpointIP is the endpoint with address ip.
func EndpointIP(ip netip.Addr) Endpoint { return Endpoint{IP: ip.Unmap()} }

// EndpointPod is the pod namespace/name, any of its addresses.
func EndpointPod(namespace, name string) Endpoint {
	return Endpoint{Pod: types.NamespacedName{Namespace: namespace, Name: name}}
}

func (e Endpoint) String() string {
	if e.Pod.Name != "" {
		return e.Pod.String()
	}
	return e.IP.String()
}

// candidateAddrs lists the addresses the endpoint may use.
func (m *Model) candidateAddrs(e Endpoint) ([]netip.Addr, error) {
	if e.Pod.Name == "" {
		if !e.IP.IsValid() {
			return nil, errors.New("endpoint has neither pod nor IP")
		}
		return []netip.Addr{e.IP.Unmap()}, nil
	}
	if e.IP.IsValid() {
		return []netip.Addr{e.IP.Unmap()}, nil
	}
	pod, ok := m.allPods[e.Pod]
	if !ok {
		return nil, fmt.Errorf("unknown pod %s", e.Pod)
	}
	if len(pod.IPs) == 0 {
		return nil, fmt.Errorf("pod %s has no IP", e.Pod)
	}
	return pod.IPs, nil
}

// resolvePair picks a source and destination address of the same family,
// preferring the endpoints' first (primary) addresses.
func (m *Model) resolvePair(from, to Endpoint) (src, dst netip.Addr, err error) {
	froms, err := m.candidateAddrs(from)
	if err != nil {
		return src, dst, fmt.Errorf("source: %w", err)
	}
	tos, err := m.candidateAddrs(to)
	if err != nil {
		return src, dst, fmt.Errorf("destination: %w", err)
	}
	for _, s := range froms {
		for _, d := range tos {
			if s.Is4() == d.Is4() {
				return s, d, nil
			}
		}
	}
	return src, dst, fmt.Errorf("%s and %s share no IP family", from, to)
}
