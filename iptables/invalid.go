package iptables

import "k8s.io/klog/v2"

// invalidDrop drops forwarded packets that conntrack marks INVALID, as
// kube-proxy does (unless conntrack is made liberal, which nodenet does
// not configure): such a packet of a DNATed connection, an out-of-window
// segment say, skips the reverse NAT, reaches the client from the pod's
// own address, and the client resets the connection
// (kubernetes/kubernetes#74839, #117924). It is NODENET-FORWARD's first
// rule, before the ESTABLISHED accept. When the kernel keeps nfacct
// counters it counts into ctInvalidCounter, which
// kubeproxy_iptables_ct_state_invalid_dropped_packets_total reads.
func (c *config) invalidDrop() string {
	rule := "-A " + filterForward + " -m conntrack --ctstate INVALID"
	if c.countInvalid {
		rule += " -m nfacct --nfacct-name " + ctInvalidCounter
	}
	return rule + " -j DROP"
}

// ensureCounters creates kube-proxy's two nfacct counters before a full
// sync writes the rule that names one (a restore naming a missing counter
// fails); false when the kernel has no nfacct (nfnetlink_acct), and the
// INVALID drop then counts nothing, as kube-proxy's does. nfacct counters
// belong to the network namespace, so both families' backends share
// them.
func (b *Backend) ensureCounters() bool {
	acct, ok := b.kernel.(Accounting)
	if !ok {
		return false
	}
	for _, name := range []string{ctInvalidCounter, localhostNodePortsCounter} {
		if err := acct.Ensure(name); err != nil {
			if !b.acctFailed {
				klog.ErrorS(err, "No nfacct counters: the INVALID drop is not counted", "counter", name)
			}
			b.acctFailed = true
			return false
		}
	}
	b.acctFailed = false
	return true
}
