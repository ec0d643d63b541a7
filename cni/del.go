package cni

import (
	"errors"
	"net"

	"github.com/containernetworking/cni/pkg/skel"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// cmdDel tears an attachment down. Every step treats "already gone" as
// success, so DEL can be repeated, and runs without the pod netns (the
// host-side names are derived from the container ID and ifname alone).
func cmdDel(args *skel.CmdArgs) error {
	n, err := loadArgs(args)
	if err != nil {
		return err
	}
	// The masquerade members go first, before the address is released (see
	// addMasq). The remaining steps are independent, so they overlap (veth
	// deletion waits for an RCU grace period, a per-pod chain's teardown is
	// an exec). A failure in one does not stop the others: the address is
	// released even if a link lingers, and the runtime retries DEL on error.
	var merr error
	jobs := []func() error{
		func() error { return deleteHostVeth(hostVethName(args.ContainerID, args.IfName)) },
	}
	if n.IPMasq {
		var found bool
		found, merr = removeMasq(n.Name, attachmentKey(args.ContainerID, args.IfName))
		if !found {
			jobs = append(jobs, func() error { return n.teardownLegacyMasq(args, n.prevAddrs()) })
		}
	}
	jobs = append(jobs, func() error { return n.ipam().del(args) })
	return errors.Join(merr, parallel(jobs))
}

// dropMasq removes an attachment's masquerading before a repeated ADD: its
// members in the shared sets or, for a pod an older release added, its
// per-pod chain.
func (n *NetConf) dropMasq(args *skel.CmdArgs) error {
	found, err := removeMasq(n.Name, attachmentKey(args.ContainerID, args.IfName))
	if found || err != nil {
		return err
	}
	return n.teardownLegacyMasq(args, nil)
}

// teardownLegacyMasq removes the per-pod chain an older release made
// (masqlegacy.go); prev, when known, saves an iptables-save exec.
func (n *NetConf) teardownLegacyMasq(args *skel.CmdArgs, prev []net.IPNet) error {
	chain := masqChainName(n.Name, args.ContainerID, args.IfName)
	return teardownMasqFor(chain, masqComment(n.Name, args.ContainerID), prev, n.families())
}

// prevAddrs returns prevResult's addresses, or nil without one (spec
// versions before 0.4.0, or a runtime that lost its cache).
func (n *NetConf) prevAddrs() []net.IPNet {
	if n.PrevResult == nil {
		return nil
	}
	prev, err := current.NewResultFromResult(n.PrevResult)
	if err != nil {
		return nil
	}
	var out []net.IPNet
	for _, ipc := range prev.IPs {
		out = append(out, ipc.Address)
	}
	return out
}

// families guesses which iptables families may hold our rules: those of
// prevResult, else of the configured ranges, else both.
func (n *NetConf) families() []ipFamily {
	if n.PrevResult != nil {
		if prev, err := current.NewResultFromResult(n.PrevResult); err == nil && len(prev.IPs) > 0 {
			return familiesOf(prev.IPs)
		}
	}
	if n.hostLocal != nil {
		var ips []*current.IPConfig
		for _, set := range n.hostLocal.Ranges {
			ips = append(ips, &current.IPConfig{Address: net.IPNet(set[0].Subnet)})
		}
		return familiesOf(ips)
	}
	return []ipFamily{familyV4, familyV6}
}
