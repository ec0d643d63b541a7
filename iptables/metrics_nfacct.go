package iptables

import (
	"k8s.io/component-base/metrics"
	"k8s.io/klog/v2"
)

// kube-proxy's two nfacct-based metrics (pkg/proxy/metrics, iptables
// mode), read from the kernel's counters at each scrape as kube-proxy
// does. The localhost one stays 0: nodenet never accepts NodePorts on
// loopback (kube-proxy's localhostNodePorts false, whose counter stays 0
// too).
var (
	invalidDroppedDesc = metrics.NewDesc("kubeproxy_iptables_ct_state_invalid_dropped_packets_total",
		"packets dropped by iptables to work around conntrack problems", nil, nil, metrics.ALPHA, "")
	localhostAcceptedDesc = metrics.NewDesc("kubeproxy_iptables_localhost_nodeports_accepted_packets_total",
		"Number of packets accepted on nodeports of loopback interface", nil, nil, metrics.ALPHA, "")
)

// acctCollector reports the counters of acct; a counter that does not
// exist (no nfacct in the kernel, or before the first full sync made it)
// has no series, as in kube-proxy.
type acctCollector struct {
	metrics.BaseStableCollector
	acct Accounting
}

var _ metrics.StableCollector = &acctCollector{}

func (c *acctCollector) DescribeWithStability(ch chan<- *metrics.Desc) {
	ch <- invalidDroppedDesc
	ch <- localhostAcceptedDesc
}

func (c *acctCollector) CollectWithStability(ch chan<- metrics.Metric) {
	for _, m := range []struct {
		counter string
		desc    *metrics.Desc
	}{{ctInvalidCounter, invalidDroppedDesc}, {localhostNodePortsCounter, localhostAcceptedDesc}} {
		n, err := c.acct.Packets(m.counter)
		if err != nil {
			klog.V(4).InfoS("No nfacct counter to report", "counter", m.counter, "err", err)
			continue
		}
		ch <- metrics.NewLazyConstMetric(m.desc, metrics.CounterValue, float64(n))
	}
}
