package ipvs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// setSysctls sets what kube-proxy's IPVS mode sets, each for a reason:
func (b *Backend) setSysctls() error {
	settings := [][2]string{
		// Without it IPVS connections bypass conntrack, and the
		// masquerade rules (iptables nat POSTROUTING) never see them.
		{"net.ipv4.vs.conntrack", "1"},
		// A connection whose real server was deleted is dropped at once
		// (the client gets a reset and reconnects) instead of black-holing
		// until it times out.
		{"net.ipv4.vs.expire_nodest_conn", "1"},
		// Persistence templates pointing at a weight-0 (draining) real
		// server expire, so a sticky client moves to a live one.
		{"net.ipv4.vs.expire_quiescent_template", "1"},
	}
	if b.c.is4() {
		settings = append(settings, [2]string{"net.ipv4.ip_forward", "1"})
	} else {
		settings = append(settings, [2]string{"net.ipv6.conf.all.forwarding", "1"})
	}
	// conn_reuse_mode=1 (the default) made a reused source port wait
	// for the old connection's expiry, a 1 s stall per new connection under
	// load (kubernetes#81775); kube-proxy sets 0 on kernels before 5.9,
	// which fixed it, and leaves later kernels alone, as here.
	if old, err := kernelBefore(5, 9); err != nil {
		return err
	} else if old {
		settings = append(settings, [2]string{"net.ipv4.vs.conn_reuse_mode", "0"})
	}
	if b.c.StrictARP {
		// Answer ARP only for addresses of the receiving interface, and
		// announce from it: the dummy interface's Service addresses stay
		// off the network (what MetalLB in layer-2 mode needs).
		settings = append(settings, [2]string{"net.ipv4.conf.all.arp_ignore", "1"},
			[2]string{"net.ipv4.conf.all.arp_announce", "2"})
	}
	for _, s := range settings {
		if err := b.sysctls.Set(s[0], s[1]); err != nil {
			return err
		}
	}
	return nil
}

// kernelBefore tells whether the running kernel is older than major.minor.
func kernelBefore(major, minor int) (bool, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false, fmt.Errorf("uname: %w", err)
	}
	var maj, min int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &maj, &min); err != nil {
		return false, fmt.Errorf("kernel release %q: %w", u.Release, err)
	}
	return maj < major || maj == major && min < minor, nil
}
