package cni

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// ipMasq without an exec per pod. Each network has, per family, one shared
// nat chain and two ipsets (names in masqnames.go):
//
//	POSTROUTING -m set --match-set <pods> src -m set --match-set <nets> src -j <chain>
//	<chain>     -m set --match-set <nets> dst -j ACCEPT
//	<chain>     ! -d <multicast> -j MASQUERADE
//
// which is the reference plugin's per-pod chain (accept the pod's subnet,
// masquerade the rest but multicast) for every pod at once. ADD and DEL only
// add or remove the pod's address in <pods> (and its subnet in <nets>)
// through netlink, microseconds instead of an iptables-restore exec of
// about 13 ms of CPU. The chain and jump are made once per node by the
// first ADD (masqboot.go).
//
// Each pod member carries its attachment (attachmentKey) as an ipset
// comment, so DEL and GC find it without prevResult and never take
// another pod's member: an address reused by a new pod is re-added with
// the new owner's comment.

// sharedRefs is how many rules reference <nets> when the layout is whole:
// the ACCEPT rule and the jump. The jump's <nets> match is redundant for
// packets; it is there so that this count, read in the netlink dump ADD
// makes anyway, vouches for both rules.
const sharedRefs = 2

// maxCommentLen is the longest ipset comment (IPSET_MAX_COMMENT_SIZE).
const maxCommentLen = 255

// attachmentKey names the owner of a pod member.
func attachmentKey(containerID, ifname string) string {
	if k := containerID + "/" + ifname; len(k) <= maxCommentLen {
		return k
	}
	return "sha256:" + hashHex(containerID, ifname)[:40]
}

// addMasq makes addrs masqueraded: each address joins its family's pod set,
// owned by key, after its subnet, and the nets reached without masquerade
// (nonMasq, of every family), have joined the subnet set.
func addMasq(network, key string, addrs, nonMasq []net.IPNet) error {
	extra := byFamily(nonMasq)
	for f, list := range byFamily(addrs) {
		if err := ensureSubnets(network, f, append(slices.Clone(list), extra[f]...)); err != nil {
			return err
		}
		set := podSetName(network, f)
		for _, a := range list {
			e := &netlink.IPSetEntry{IP: a.IP, Comment: key, Replace: true}
			if err := netlink.IpsetAdd(set, e); err != nil {
				return fmt.Errorf("adding %s to ipset %s: %w", a.IP, set, err)
			}
		}
	}
	return nil
}

// ensureSubnets checks that the network's shared layout is whole in family
// f (bootstrapping it if not) and that the subnets of addrs are in its
// subnet set.
func ensureSubnets(network string, f ipFamily, addrs []net.IPNet) error {
	set := netsSetName(network, f)
	info, err := listIpset(set)
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("listing ipset %s: %w", set, err)
	}
	if err != nil || info.References < sharedRefs {
		if err := bootstrapMasq(network, f); err != nil {
			return err
		}
		info = &netlink.IPSetResult{}
	}
	for _, a := range addrs {
		ones, _ := a.Mask.Size()
		subnet := a.IP.Mask(a.Mask)
		if ones == 0 || hasSubnet(info.Entries, subnet, ones) {
			continue // hash:net cannot hold /0; a /0 pod subnet masquerades nothing anyway
		}
		e := &netlink.IPSetEntry{IP: subnet, CIDR: uint8(ones), Replace: true}
		if err := netlink.IpsetAdd(set, e); err != nil {
			return fmt.Errorf("adding %s/%d to ipset %s: %w", subnet, ones, set, err)
		}
	}
	return nil
}

func hasSubnet(entries []netlink.IPSetEntry, ip net.IP, ones int) bool {
	for _, e := range entries {
		if int(e.CIDR) == ones && e.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// removeMasq deletes key's members from the network's pod sets; none is
// success (DEL idempotence).
func removeMasq(network, key string) error {
	var errs []error
	for _, f := range allFamilies {
		set := podSetName(network, f)
		members, err := ownedMembers(set, key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ip := range members {
			// Replace: a member gone meanwhile is not an error.
			if err := netlink.IpsetDel(set, &netlink.IPSetEntry{IP: ip, Replace: true}); err != nil {
				errs = append(errs, fmt.Errorf("removing %s from ipset %s: %w", ip, set, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ownedMembers lists the addresses in set owned by key; a missing set has
// none.
func ownedMembers(set, key string) ([]net.IP, error) {
	info, err := listIpset(set)
	if errors.Is(err, syscall.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing ipset %s: %w", set, err)
	}
	var out []net.IP
	for _, e := range info.Entries {
		if e.Comment == key {
			out = append(out, e.IP)
		}
	}
	return out, nil
}

func byFamily(addrs []net.IPNet) map[ipFamily][]net.IPNet {
	out := map[ipFamily][]net.IPNet{}
	for _, a := range addrs {
		f := familyOf(a.IP)
		out[f] = append(out[f], a)
	}
	return out
}

// listIpset lists one set (a netlink dump: retried when interrupted).
func listIpset(name string) (*netlink.IPSetResult, error) {
	return netlinkdump.Retry(func() (*netlink.IPSetResult, error) { return netlink.IpsetList(name) })
}
