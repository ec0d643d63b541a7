package firewall

import (
	"fmt"
	"net/netip"

	"github.com/nodenet/nodenet/netpol"
)

// Broadcast and multicast. The ingress dispatch matches a pod's own
// address, which a packet to 255.255.255.255, the pod subnet's broadcast
// address, 224.0.0.0/4 or ff00::/8 does not carry: without more, a pod
// isolated for ingress would receive them from any pod on the bridge
// (and answer). The subnet's broadcast address is one of the node's pod
// range that no pod has, so the unknown-pod gate (render.go) already
// rejects it, for every pod, while a policy exists. Bridged, such a packet crosses FORWARD (br_netfilter) once
// per bridge port it leaves by, so NODENET-FW-GROUP sends it to the
// ingress chain of the pod behind that port (physdev-out), where it
// passes only from a peer the pod's policies allow, like unicast.
//
// The port of a pod comes from the CNI plugin's port filter (Kernels.
// Ports): a pod it did not attach (another CNI plugin, or attached before
// the filter existed) gets broadcast and multicast unfiltered. ARP is not
// IP and never gets here; IPv6 neighbour discovery, multicast too, has
// returned in NODENET-FW before.
var (
	limitedBroadcast = netip.MustParsePrefix("255.255.255.255/32")
	multicast4       = netip.MustParsePrefix("224.0.0.0/4")
	multicast6       = netip.MustParsePrefix("ff00::/8")
)

// groupDispatch is the head of NODENET-FW-INGRESS: group destinations go
// to NODENET-FW-GROUP.
func (r *renderer) groupDispatch() []string {
	dsts := []netip.Prefix{multicast6}
	if !r.ipv6 {
		dsts = []netip.Prefix{limitedBroadcast, multicast4}
	}
	lines := make([]string, 0, len(dsts))
	for _, d := range dsts {
		lines = append(lines, fmt.Sprintf("-d %s -j %s", d, groupChain))
	}
	return lines
}

// portOf is the bridge port of a local pod ("" if unknown).
func (r *renderer) portOf(pod *netpol.PodRules) string {
	for _, a := range pod.IPs {
		if port := r.ports[a]; port != "" {
			return port
		}
	}
	return ""
}
