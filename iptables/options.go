package iptables

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// Options configure the iptables backend.
type Options struct {
	// Family is the IP family this backend programs (one backend per family).
	Family v1.IPFamily
	// ClusterCIDRs: traffic to a ClusterIP from outside them is masqueraded.
	// At most one per family, as kube-proxy's --cluster-cidr.
	ClusterCIDRs []netip.Prefix
	// MasqueradeAll masquerades all Service traffic (--masquerade-all).
	MasqueradeAll bool
	// MasqueradeBit is the fwmark bit that asks for masquerade (kube-proxy: 14).
	MasqueradeBit int
	// NodePortAddresses limits NodePorts to local addresses in these CIDRs;
	// empty means every local address (kube-proxy's iptables default).
	NodePortAddresses []netip.Prefix
	// NodePortPrimary limits NodePorts to the node's primary IPs
	// (--nodeport-addresses primary), fed by Backend.SetPrimaryNodeIPs;
	// until then NodePorts are exposed nowhere. Excludes NodePortAddresses.
	NodePortPrimary bool
}

// config is Options checked and reduced to this backend's family.
type config struct {
	family        family
	clusterCIDR   netip.Prefix // invalid when unset
	masqueradeAll bool
	masqMark      string // "0x4000"
	nodePortCIDRs []netip.Prefix
	// primary is set with NodePortPrimary; primaryIPs and primaryVersion
	// are its state as of the current sync (nodeportaddrs.go).
	primary        *primaryIPs
	primaryIPs     []netip.Addr
	primaryVersion int
}

func (o Options) config() (config, error) {
	fam, err := familyFor(o.Family)
	if err != nil {
		return config{}, err
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return config{}, fmt.Errorf("masquerade bit %d must be within [0, 31]", o.MasqueradeBit)
	}
	c := config{family: fam, masqueradeAll: o.MasqueradeAll, masqMark: fmt.Sprintf("0x%x", uint32(1)<<o.MasqueradeBit)}
	for _, p := range o.ClusterCIDRs {
		if !fam.owns(p.Addr()) {
			continue
		}
		if c.clusterCIDR.IsValid() {
			return config{}, fmt.Errorf("cluster CIDRs %s and %s: at most one per IP family", c.clusterCIDR, p)
		}
		c.clusterCIDR = p.Masked()
	}
	if o.NodePortPrimary {
		if len(o.NodePortAddresses) > 0 {
			return config{}, fmt.Errorf("node port addresses: primary cannot be combined with CIDRs")
		}
		c.primary = &primaryIPs{}
	}
	for _, p := range o.NodePortAddresses {
		if fam.owns(p.Addr()) {
			c.nodePortCIDRs = append(c.nodePortCIDRs, p.Masked())
		}
	}
	return c, nil
}
