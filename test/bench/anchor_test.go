//go:build e2e

package bench

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkKubeProxyShapedRestore is the anchor: the ruleset kube-proxy's
// iptables mode writes for the same Services (a chain per Service and per
// endpoint), restored in one transaction. It is restored in flushing mode,
// the faster of the two here: kube-proxy itself uses --noflush, which with
// iptables-nft grows much faster than linearly with the number of chains
// (about 400 s at 10k Services on this machine), so this anchor flatters it.
func BenchmarkKubeProxyShapedRestore(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			payload := kubeProxyShapedPayload(cluster{services: n, endpointsPer: 10})
			for i := 0; i < b.N; i++ {
				cost := timedRestore(b, payload)
				b.ReportMetric(cost.seconds, "full-sync-s")
				b.ReportMetric(cost.peakMiB, "restore-peak-MiB")
			}
		})
	}
}

func kubeProxyShapedPayload(c cluster) []byte {
	var chains, rules strings.Builder
	chains.WriteString("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n")
	rules.WriteString("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n")
	for i := 0; i < c.services; i++ {
		svc := fmt.Sprintf("KUBE-SVC-%012X", i)
		fmt.Fprintf(&chains, ":%s - [0:0]\n", svc)
		comment := fmt.Sprintf(`-m comment --comment "bench/svc-%d:http cluster IP"`, i)
		fmt.Fprintf(&rules, "-A KUBE-SERVICES -d %s/32 -p tcp %s -m tcp --dport 80 -j %s\n", clusterIP(i), comment, svc)
		fmt.Fprintf(&rules, "-A %s ! -s 10.128.0.0/9 -d %s/32 -p tcp %s -m tcp --dport 80 -j KUBE-MARK-MASQ\n", svc, clusterIP(i), comment)
		for e := 0; e < c.endpointsPer; e++ {
			sep := fmt.Sprintf("KUBE-SEP-%06X%06X", i, e)
			ep := endpointIP(i, e, 0)
			fmt.Fprintf(&chains, ":%s - [0:0]\n", sep)
			prob := ""
			if left := c.endpointsPer - e; left > 1 {
				prob = fmt.Sprintf(" -m statistic --mode random --probability %0.10f", 1.0/float64(left))
			}
			fmt.Fprintf(&rules, "-A %s -m comment --comment \"bench/svc-%d:http -> %s:8080\"%s -j %s\n", svc, i, ep, prob, sep)
			fmt.Fprintf(&rules, "-A %s -s %s/32 -m comment --comment \"bench/svc-%d:http\" -j KUBE-MARK-MASQ\n", sep, ep, i)
			fmt.Fprintf(&rules, "-A %s -p tcp -m comment --comment \"bench/svc-%d:http\" -m tcp -j DNAT --to-destination %s:8080\n", sep, i, ep)
		}
	}
	return []byte(chains.String() + rules.String() + "COMMIT\n")
}

func countLines(text, substr string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}
