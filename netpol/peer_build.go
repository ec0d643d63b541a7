package netpol

import (
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/types"
)

// peerNamePrefix marks nodenet's NetworkPolicy address sets.
const peerNamePrefix = "NNP-"

// peerName hashes origin into a name of 20 characters, well inside ipset's
// 31. Hashing the origin rather than the members keeps a set's name stable
// while pods come and go, like kube-proxy's chain names.
func peerName(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return peerNamePrefix + base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// podsPeer builds a PeerPods from pods, with addresses sorted and unique so
// that Peer.Contains can binary search and renderers diff cheaply.
func podsPeer(pods []*Pod) *Peer {
	p := &Peer{Kind: PeerPods, Pods: make([]types.NamespacedName, 0, len(pods)), Addrs: make([]netip.Addr, 0, len(pods))}
	for _, pod := range pods {
		p.Pods = append(p.Pods, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
		p.Addrs = append(p.Addrs, pod.IPs...)
	}
	slices.SortFunc(p.Addrs, netip.Addr.Compare)
	p.Addrs = slices.Compact(p.Addrs)
	return p
}
