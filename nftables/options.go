package nftables

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// Options configure the nftables backend; they mean what the iptables
// backend's do (iptables.Options), plus ServiceCIDRs.
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
	// empty means every local address but loopback.
	NodePortAddresses []netip.Prefix
	// NodePortPrimary limits NodePorts to the node's primary IPs
	// (--nodeport-addresses primary), fed by SetPrimaryNodeIPs; until
	// then NodePorts are exposed nowhere. Excludes NodePortAddresses.
	NodePortPrimary bool
	// ServiceCIDRs (--service-cluster-ip-range): traffic to an address in
	// them that is no live ClusterIP is dropped, as kube-proxy's nftables
	// mode does. Empty: no such drop.
	ServiceCIDRs []netip.Prefix
}

// config is Options checked and reduced to this backend's family.
type config struct {
	family        family
	clusterCIDR   netip.Prefix // invalid when unset
	masqueradeAll bool
	masqMark      string // "0x00004000"
	nodePorts     nodePortAddrs
	serviceCIDRs  []netip.Prefix
}

func (o Options) config() (config, error) {
	fam, err := familyFor(o.Family)
	if err != nil {
		return config{}, err
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return config{}, fmt.Errorf("masquerade bit %d must be within [0, 31]", o.MasqueradeBit)
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
	c.nodePorts, err = newNodePortAddrs(fam, o.NodePortAddresses, o.NodePortPrimary)
	return c, err
}
