// Command fakeipam is an IPAM plugin binary for the e2e tests of nodenet's
// delegation path (ipam.type other than host-local is exec'd from
// CNI_PATH). It serves the ipam object with nodenet's host-local allocator,
// so results are checkable, but reaches it through a real exec.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/nodenet/nodenet/cni/hostlocal"
)

type conf struct {
	types.NetConf
	Raw struct {
		IPAM json.RawMessage `json:"ipam"`
	}
	// OmitGateway (ipam.omitGateway) returns addresses without a gateway,
	// as some IPAM plugins do, so the bridge must work one out.
	OmitGateway struct {
		IPAM struct {
			OmitGateway bool `json:"omitGateway"`
		} `json:"ipam"`
	}
}

func load(args *skel.CmdArgs) (*conf, *hostlocal.Allocator, error) {
	var c conf
	if err := json.Unmarshal(args.StdinData, &c.NetConf); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(args.StdinData, &c.Raw); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(args.StdinData, &c.OmitGateway); err != nil {
		return nil, nil, err
	}
	cfg, err := hostlocal.Parse(c.Raw.IPAM)
	if err != nil {
		return nil, nil, err
	}
	return &c, hostlocal.New(cfg, c.Name), nil
}

func main() {
	skel.PluginMainFuncs(skel.CNIFuncs{
		Add: func(args *skel.CmdArgs) error {
			c, a, err := load(args)
			if err != nil {
				return err
			}
			ips, err := a.Allocate(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName}, nil)
			if err != nil {
				return err
			}
			if c.OmitGateway.IPAM.OmitGateway {
				for _, ip := range ips {
					ip.Gateway = nil
				}
			}
			return types.PrintResult(&current.Result{CNIVersion: current.ImplementedSpecVersion, IPs: ips}, c.CNIVersion)
		},
		Del: func(args *skel.CmdArgs) error {
			_, a, err := load(args)
			if err != nil {
				return err
			}
			return a.Release(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName})
		},
		// CHECK fails when the attachment holds no address, so a test sees
		// nodenet forward CHECK and report the delegate's answer.
		Check: func(args *skel.CmdArgs) error {
			_, a, err := load(args)
			if err != nil {
				return err
			}
			held, err := a.Held(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName})
			if err == nil && len(held) == 0 {
				err = types.NewError(types.ErrUnknownContainer, "fakeipam: no address held by "+args.ContainerID, "")
			}
			return err
		},
		GC: func(args *skel.CmdArgs) error {
			c, a, err := load(args)
			if err != nil {
				return err
			}
			valid := map[hostlocal.Attachment]bool{}
			for _, v := range c.ValidAttachments {
				valid[hostlocal.Attachment{ContainerID: v.ContainerID, IfName: v.IfName}] = true
			}
			_, err = a.GC(valid)
			return err
		},
		Status: func(args *skel.CmdArgs) error {
			_, a, err := load(args)
			if err != nil {
				return err
			}
			if err := a.Status(); err != nil {
				return types.NewError(types.ErrPluginNotAvailable, fmt.Sprint(err), "")
			}
			return nil
		},
	}, version.All, "fakeipam")
}
