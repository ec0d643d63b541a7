package ipvs

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/pflag"
)

// Flags are the --ipvs-* command-line options, kube-proxy's names and
// meanings; Mode reads them when the agent builds its backends.
type Flags struct {
	Scheduler     string
	StrictARP     bool
	TCPTimeout    time.Duration
	TCPFinTimeout time.Duration
	UDPTimeout    time.Duration
	ExcludeCIDRs  []string
}

// AddFlags registers the options on fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Scheduler, "ipvs-scheduler", f.Scheduler, "The IPVS scheduler when --proxy-mode is ipvs: rr (default), wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh (the kernel needs ip_vs_<name>).")
	fs.BoolVar(&f.StrictARP, "ipvs-strict-arp", f.StrictARP, "Set arp_ignore=1 and arp_announce=2 so the Service addresses on "+DummyName+" are not announced by ARP (needed by MetalLB in layer-2 mode).")
	fs.DurationVar(&f.TCPTimeout, "ipvs-tcp-timeout", f.TCPTimeout, "The IPVS timeout of idle established TCP connections (0: leave the kernel's).")
	fs.DurationVar(&f.TCPFinTimeout, "ipvs-tcpfin-timeout", f.TCPFinTimeout, "The IPVS timeout of TCP connections after a FIN (0: leave the kernel's).")
	fs.DurationVar(&f.UDPTimeout, "ipvs-udp-timeout", f.UDPTimeout, "The IPVS timeout of UDP flows (0: leave the kernel's).")
	fs.StringSliceVar(&f.ExcludeCIDRs, "ipvs-exclude-cidrs", f.ExcludeCIDRs, "Comma-separated CIDRs whose IPVS virtual servers nodenet neither makes nor removes (another program's).")
}

// config turns the flags into the backend's Config (without the parts
// every mode shares).
func (f *Flags) config() (Config, error) {
	c := Config{Scheduler: f.Scheduler, StrictARP: f.StrictARP,
		TCPTimeout: f.TCPTimeout, TCPFinTimeout: f.TCPFinTimeout, UDPTimeout: f.UDPTimeout}
	for _, s := range f.ExcludeCIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Config{}, fmt.Errorf("--ipvs-exclude-cidrs: %w", err)
		}
		c.ExcludeCIDRs = append(c.ExcludeCIDRs, p.Masked())
	}
	return c, c.Validate()
}
