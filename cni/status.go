package cni

import (
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"
)

// cmdStatus answers "could an ADD succeed now?": code 50 when not (pool
// exhausted, data dir unusable, bridge name taken by a non-bridge).
func cmdStatus(args *skel.CmdArgs) error {
	n, err := parseConfig(args.StdinData)
	if err != nil {
		return err
	}
	if l, err := netlink.LinkByName(n.BridgeName); err == nil {
		if _, ok := l.(*netlink.Bridge); !ok {
			return types.NewError(types.ErrPluginNotAvailable, "bridge name is taken by a "+l.Type()+" link", n.BridgeName)
		}
	}
	return n.ipam().status(args)
}
