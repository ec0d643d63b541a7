package controller

import (
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	"github.com/nodenet/nodenet/netpol"
)

// ipHolders indexes the stored pods by IP, so that a snapshot settles the
// few IPs several pods list without scanning every pod. A terminating
// pod's status keeps its IP until kubelet reports the pod finished, and by
// then IPAM may have given the IP to a new pod (here or on another node):
// the old pod's labels would keep matching the new pod's traffic, and two
// sets of rules would claim one address. hostNetwork pods share their
// node's IPs and are never addressable, so they are not indexed.
type ipHolders struct {
	pods   map[netip.Addr][]types.NamespacedName
	shared map[netip.Addr]struct{} // IPs with more than one holder
}

func newIPHolders() ipHolders {
	return ipHolders{pods: map[netip.Addr][]types.NamespacedName{}, shared: map[netip.Addr]struct{}{}}
}

// add records that pod key lists its IPs.
func (h ipHolders) add(key types.NamespacedName, pod *netpol.Pod) {
	if pod.HostNetwork {
		return
	}
	for _, ip := range pod.IPs {
		h.pods[ip] = append(h.pods[ip], key)
		if len(h.pods[ip]) > 1 {
			h.shared[ip] = struct{}{}
		}
	}
}

// remove forgets what add recorded for the same key and pod.
func (h ipHolders) remove(key types.NamespacedName, pod *netpol.Pod) {
	if pod.HostNetwork {
		return
	}
	for _, ip := range pod.IPs {
		rest := slices.DeleteFunc(h.pods[ip], func(k types.NamespacedName) bool { return k == key })
		switch len(rest) {
		case 0:
			delete(h.pods, ip)
		case 1:
			delete(h.shared, ip)
			fallthrough
		default:
			h.pods[ip] = rest
		}
	}
}

// ipOwners maps each IP that several stored pods list to the pod that
// holds it: one not being deleted if any, else the latest claim. Called
// with s.mu held.
func (s *Store) ipOwners() map[netip.Addr]types.NamespacedName {
	if len(s.holders.shared) == 0 {
		return nil
	}
	owners := make(map[netip.Addr]types.NamespacedName, len(s.holders.shared))
	for ip := range s.holders.shared {
		keys := s.holders.pods[ip]
		owner := keys[0]
		for _, key := range keys[1:] {
			if ownsOver(s.pods[key], s.pods[owner]) {
				owner = key
			}
		}
		owners[ip] = owner
	}
	return owners
}

// ownsOver tells whether a's claim to a shared IP beats b's.
func ownsOver(a, b podRecord) bool {
	if a.terminating != b.terminating {
		return !a.terminating
	}
	return a.claimed > b.claimed
}

// withOwnIPs returns pod without the shared IPs another pod owns; pod
// itself is not modified (stored values are shared with snapshots).
func withOwnIPs(pod netpol.Pod, key types.NamespacedName, owners map[netip.Addr]types.NamespacedName) netpol.Pod {
	lost := func(ip netip.Addr) bool {
		owner, shared := owners[ip]
		return shared && owner != key
	}
	if len(owners) == 0 || !slices.ContainsFunc(pod.IPs, lost) {
		return pod
	}
	pod.IPs = slices.DeleteFunc(slices.Clone(pod.IPs), lost)
	return pod
}
