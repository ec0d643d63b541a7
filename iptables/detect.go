package iptables

import (
	"fmt"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxymode"
)

// Families are the IP families a node may run, in the order nodenet
// starts, cleans up and prints them (proxymode.Families, for the firewall,
// which programs iptables whatever the proxy mode).
var Families = proxymode.Families

// Usable tells whether family's iptables works in this network namespace,
// as kube-proxy decides which proxiers to run: its binaries are installed
// and its nat table can be listed (a kernel without IPv6, or without the
// ip6table_nat module, fails there). nil means usable.
func Usable(ipFamily v1.IPFamily) error {
	k, err := execKernelFor(ipFamily)
	if err != nil {
		return err
	}
	if _, err := k.ListChains(tableNAT); err != nil {
		return fmt.Errorf("%s nat table: %w", k.fam.save, err)
	}
	return nil
}

// execKernelFor is the exec Kernel of ipFamily in this network namespace.
func execKernelFor(ipFamily v1.IPFamily) (*execKernel, error) {
	fam, err := familyFor(ipFamily)
	if err != nil {
		return nil, err
	}
	return newExecKernel(fam)
}
