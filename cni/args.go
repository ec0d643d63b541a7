package cni

import (
	"errors"
	"os"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netns"
)

// loadArgs validates the runtime-supplied names and parses the config. skel
// validates the names too; we do it again because they become file names
// and must never let a crafted value reach outside the data dir.
func loadArgs(args *skel.CmdArgs) (*NetConf, error) {
	if err := validateContainerID(args.ContainerID); err != nil {
		return nil, err
	}
	if err := validateIfName(args.IfName); err != nil {
		return nil, types.NewError(err.Code, "CNI_IFNAME: "+err.Msg, err.Details)
	}
	return parseConfig(args.StdinData)
}

// openPodNS opens CNI_NETNS; a missing namespace is the spec's "container
// unknown or does not exist".
func openPodNS(path string) (netns.NsHandle, error) {
	if path == "" {
		return -1, types.NewError(types.ErrInvalidEnvironmentVariables, "CNI_NETNS is required", "")
	}
	h, err := netns.GetFromPath(path)
	if errors.Is(err, os.ErrNotExist) {
		return -1, types.NewError(types.ErrUnknownContainer, "netns does not exist", path)
	}
	if err != nil {
		return -1, types.NewError(types.ErrInvalidNetNS, "cannot open netns: "+err.Error(), path)
	}
	return h, nil
}
