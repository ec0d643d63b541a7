package nftables

import (
	"fmt"
	"net/netip"

	"github.com/nodenet/nodenet/proxymode"
)

// Options configure one family's nftables backend (the seam's options:
// ServiceCIDRs, --service-cluster-ip-range, is read by this mode only).
type Options = proxymode.Options

// config is Options checked and reduced to this backend's family.
type config struct {
	family        family
	clusterCIDR   netip.Prefix // invalid when unset
	masqueradeAll bool
	masqMark      string // "0x00004000"
	nodePorts     nodePortAddrs
	serviceCIDRs  []netip.Prefix
}

func newConfig(o Options) (config, error) {
	fam, err := familyFor(o.Family)
	if err != nil {
		return config{}, err
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return config{}, fmt.Errorf("masquerade bit %d must be within [0, 31]", o.MasqueradeBit)
	}
	if err := o.NodePorts.Validate(); err != nil {
		return config{}, err
	}
	c := config{family: fam, masqueradeAll: o.MasqueradeAll, masqMark: fmt.Sprintf("0x%08x", uint32(1)<<o.MasqueradeBit)}
	for _, p := range o.ClusterCIDRs {
		if !fam.owns(p.Addr()) {
			continue
		}
		if c.clusterCIDR.IsValid() {
			return config{}, fmt.Errorf("cluster CIDRs %s and %s: at most one per IP family", c.clusterCIDR, p)
		}
		c.clusterCIDR = p.Masked()
	}
	for _, p := range o.ServiceCIDRs {
		if fam.owns(p.Addr()) {
			c.serviceCIDRs = append(c.serviceCIDRs, p.Masked())
		}
	}
	c.nodePorts = newNodePortAddrs(fam, o.NodePorts.OfFamily(fam.is4()))
	return c, nil
}
