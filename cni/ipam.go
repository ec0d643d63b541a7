package cni

import (
	"errors"
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/nodenet/nodenet/cni/hostlocal"
)

// ipamDriver is either the built-in host-local or a delegate binary.
type ipamDriver interface {
	add(args *skel.CmdArgs) (*current.Result, error)
	del(args *skel.CmdArgs) error
	// check verifies the allocation behind prevResult's addresses.
	check(args *skel.CmdArgs, prev *current.Result) error
	// gc releases allocations not in valid.
	gc(args *skel.CmdArgs, valid map[hostlocal.Attachment]bool) error
	status(args *skel.CmdArgs) error
}

func (n *NetConf) ipam() ipamDriver {
	switch {
	case !n.layer3():
		return noIPAM{}
	case n.hostLocal != nil:
		return &builtinIPAM{conf: n, alloc: hostlocal.New(n.hostLocal, n.Name)}
	}
	return &delegateIPAM{plugin: n.IPAM.Type}
}

// noIPAM serves a layer-2 network: no addresses to hand out or release.
type noIPAM struct{}

func (noIPAM) add(*skel.CmdArgs) (*current.Result, error) {
	return &current.Result{CNIVersion: current.ImplementedSpecVersion}, nil
}
func (noIPAM) del(*skel.CmdArgs) error                               { return nil }
func (noIPAM) check(*skel.CmdArgs, *current.Result) error            { return nil }
func (noIPAM) gc(*skel.CmdArgs, map[hostlocal.Attachment]bool) error { return nil }
func (noIPAM) status(*skel.CmdArgs) error                            { return nil }

type builtinIPAM struct {
	conf  *NetConf
	alloc *hostlocal.Allocator
}

func (b *builtinIPAM) add(args *skel.CmdArgs) (*current.Result, error) {
	res := &current.Result{CNIVersion: current.ImplementedSpecVersion, Routes: b.conf.hostLocal.Routes}
	if path := b.conf.hostLocal.ResolvConf; path != "" {
		dns, err := hostlocal.ReadResolvConf(path)
		if err != nil {
			return nil, err
		}
		res.DNS = dns
	}
	ips, err := b.alloc.Allocate(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName}, b.conf.requestedIPs)
	switch {
	case errors.Is(err, hostlocal.ErrExhausted):
		// 50: this plugin cannot service ADD (same code STATUS reports).
		return nil, types.NewError(types.ErrPluginNotAvailable, "ipam: address pool exhausted", err.Error())
	case errors.Is(err, hostlocal.ErrRequestedUnavailable), errors.Is(err, hostlocal.ErrNoRanges):
		return nil, errConfig("ipam: %v", err)
	case err != nil:
		return nil, fmt.Errorf("ipam allocate: %w", err)
	}
	res.IPs = ips
	return res, nil
}

func (b *builtinIPAM) del(args *skel.CmdArgs) error {
	if err := b.alloc.Release(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName}); err != nil {
		return fmt.Errorf("ipam release: %w", err)
	}
	return nil
}

func (b *builtinIPAM) check(args *skel.CmdArgs, prev *current.Result) error {
	held, err := b.alloc.Held(hostlocal.Attachment{ContainerID: args.ContainerID, IfName: args.IfName})
	if err != nil {
		return fmt.Errorf("ipam check: %w", err)
	}
	for _, ipc := range prev.IPs {
		if !containsIP(held, ipc.Address.IP) {
			return errDrift("address %s is not allocated to %s/%s", ipc.Address.IP, args.ContainerID, args.IfName)
		}
	}
	return nil
}

func containsIP(list []net.IP, ip net.IP) bool {
	for _, l := range list {
		if l.Equal(ip) {
			return true
		}
	}
	return false
}

func (b *builtinIPAM) gc(_ *skel.CmdArgs, valid map[hostlocal.Attachment]bool) error {
	if _, err := b.alloc.GC(valid); err != nil {
		return fmt.Errorf("ipam gc: %w", err)
	}
	return nil
}

func (b *builtinIPAM) status(*skel.CmdArgs) error {
	err := b.alloc.Status()
	if err != nil {
		return types.NewError(types.ErrPluginNotAvailable, "ipam cannot serve ADD", err.Error())
	}
	return nil
}

// delegateIPAM runs another IPAM plugin from CNI_PATH with our stdin, as the
// reference bridge plugin does.
type delegateIPAM struct{ plugin string }

func (d *delegateIPAM) add(args *skel.CmdArgs) (*current.Result, error) {
	r, err := delegateAdd(d.plugin, args.StdinData)
	if err != nil {
		return nil, fmt.Errorf("ipam %s ADD: %w", d.plugin, err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		return nil, fmt.Errorf("ipam %s result: %w", d.plugin, err)
	}
	return res, nil
}

func (d *delegateIPAM) del(args *skel.CmdArgs) error {
	return wrapDelegate(d.plugin, "DEL", delegateNoResult("DEL", d.plugin, args.StdinData))
}

func (d *delegateIPAM) check(args *skel.CmdArgs, _ *current.Result) error {
	return wrapDelegate(d.plugin, "CHECK", delegateNoResult("CHECK", d.plugin, args.StdinData))
}

func (d *delegateIPAM) gc(args *skel.CmdArgs, _ map[hostlocal.Attachment]bool) error {
	return wrapDelegate(d.plugin, "GC", delegateNoResult("GC", d.plugin, args.StdinData))
}

func (d *delegateIPAM) status(args *skel.CmdArgs) error {
	return wrapDelegate(d.plugin, "STATUS", delegateNoResult("STATUS", d.plugin, args.StdinData))
}

func delegateNoResult(verb, plugin string, netconf []byte) error {
	_, err := delegate(verb, plugin, netconf)
	return err
}

func wrapDelegate(plugin, verb string, err error) error {
	if err != nil {
		return fmt.Errorf("ipam %s %s: %w", plugin, verb, err)
	}
	return nil
}
