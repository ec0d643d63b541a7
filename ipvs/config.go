package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// Config is the backend's part of the agent's configuration: the
// --ipvs-* flags (KubeProxyConfiguration's ipvs: block) and what the
// backend shares with the other modes.
type Config struct {
	Family v1.IPFamily
	// Scheduler is --ipvs-scheduler (rr when empty).
	Scheduler string
	// StrictARP is --ipvs-strict-arp: the node answers ARP only for
	// addresses on the receiving interface, so the addresses on
	// DummyName are not announced on the network (MetalLB needs it).
	StrictARP bool
	// TCPTimeout, TCPFinTimeout and UDPTimeout are --ipvs-tcp-timeout,
	// --ipvs-tcpfin-timeout and --ipvs-udp-timeout; zero leaves the
	// kernel's value.
	TCPTimeout, TCPFinTimeout, UDPTimeout time.Duration
	// ExcludeCIDRs is --ipvs-exclude-cidrs: virtual servers there are
	// neither made nor removed (another program's).
	ExcludeCIDRs []netip.Prefix
	// DrainTimeout bounds how long a removed TCP real server is kept at
	// weight 0 while it still has connections (5 minutes when zero).
	DrainTimeout time.Duration
	// ClusterCIDRs (--cluster-cidr): ClusterIP traffic from outside them
	// is masqueraded; MasqueradeAll (--masquerade-all) masquerades all.
	ClusterCIDRs  []netip.Prefix
	MasqueradeAll bool
	// MasqueradeBit is the fwmark bit that asks for masquerade
	// (--iptables-masquerade-bit, 14 when zero).
	MasqueradeBit int
	// Clock is the time source of draining (nil: the real clock).
	Clock clock.PassiveClock
	// NodeAddrs lists the addresses NodePorts answer on
	// (--nodeport-addresses), given the node's primary IPs; nil: none.
	// Addresses on DummyName are never NodePort addresses.
	NodeAddrs func(primaryIPs []netip.Addr) ([]netip.Addr, error)
}

// Schedulers are the --ipvs-scheduler values accepted (the kernel must
// have the ip_vs_<name> module).
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh"}

const defaultDrainTimeout = 5 * time.Minute

// Validate checks the flags' values.
func (c *Config) Validate() error {
	if c.Scheduler != "" && !slices.Contains(Schedulers, c.Scheduler) {
		return fmt.Errorf("--ipvs-scheduler %q: want one of %v", c.Scheduler, Schedulers)
	}
	for _, d := range []time.Duration{c.TCPTimeout, c.TCPFinTimeout, c.UDPTimeout} {
		if d < 0 {
			return fmt.Errorf("--ipvs-*-timeout: %v is negative", d)
		}
	}
	return nil
}

func (c *Config) withDefaults() *Config {
	out := *c
	if out.Scheduler == "" {
		out.Scheduler = "rr"
	}
	if out.MasqueradeBit == 0 {
		out.MasqueradeBit = 14
	}
	if out.Clock == nil {
		out.Clock = clock.RealClock{}
	}
	if out.DrainTimeout == 0 {
		out.DrainTimeout = defaultDrainTimeout
	}
	return &out
}

func (c *Config) excluded(a netip.Addr) bool {
	for _, p := range c.ExcludeCIDRs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (c *Config) is4() bool { return c.Family != v1.IPv6Protocol }
