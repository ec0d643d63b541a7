package cni

import (
	"errors"

	"github.com/containernetworking/cni/pkg/skel"

	"github.com/nodenet/nodenet/cni/portfilter"
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
	// deletion waits for an RCU grace period). A failure in one does not
	// stop the other: the address is released even if a link lingers, and
	// the runtime retries DEL on error.
	var merr error
	if n.masquerades() {
		merr = removeMasq(n.Name, attachmentKey(args.ContainerID, args.IfName))
	}
	return errors.Join(merr, parallel([]func() error{
		func() error { return deleteHostVeth(hostVethName(args.ContainerID, args.IfName)) },
		func() error { return portfilter.Forget(hostVethName(args.ContainerID, args.IfName)) },
		func() error { return n.ipam().del(args) },
	}))
}
