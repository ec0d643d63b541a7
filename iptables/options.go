package iptables

import (
	"fmt"
	"net/netip"

	"github.com/nodenet/nodenet/nodeport"
	"github.com/nodenet/nodenet/proxymode"
)

// Options configure the iptables backend: the options every mode gets.
type Options = proxymode.Options

// config is Options checked and reduced to this backend's family.
type config struct {
	// countInvalid: the INVALID drop counts into ctInvalidCounter (the
	// kernel keeps nfacct counters and the counter exists; invalid.go).
	countInvalid  bool
	family        family
	clusterCIDR   netip.Prefix // invalid when unset
	masqueradeAll bool
	masqMark      string // "0x4000"
	nodePorts     nodeport.Addresses
	// primaryIPs are the node's primary IPs the dispatch chains were last
	// planned with (nodeportaddrs.go), with --nodeport-addresses primary.
	primaryIPs []netip.Addr
}

func configOf(o Options) (config, error) {
	fam, err := familyFor(o.Family)
	if err != nil {
		return config{}, err
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return config{}, fmt.Errorf("masquerade bit %d must be within [0, 31]", o.MasqueradeBit)
	}
	if err := o.NodePorts.Validate(); err != nil {
		return config{}, fmt.Errorf("node port addresses: %w", err)
	}
	c := config{family: fam, masqueradeAll: o.MasqueradeAll, masqMark: fmt.Sprintf("0x%x", uint32(1)<<o.MasqueradeBit),
		nodePorts: o.NodePorts.OfFamily(fam.is4())}
	for _, p := range o.ClusterCIDRs {
		if !fam.owns(p.Addr()) {
			continue
		}
		if c.clusterCIDR.IsValid() {
			return config{}, fmt.Errorf("cluster CIDRs %s and %s: at most one per IP family", c.clusterCIDR, p)
		}
		c.clusterCIDR = p.Masked()
	}
	return c, nil
}
