//go:build e2e

package firewall

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/test/netns"
)

// legacyChecksPerMinute is the firewall's legacy check rate
// (netpol/controller legacyCheckInterval, 500 ms) for both families.
const legacyChecksPerMinute = 2 * 120

// BenchmarkLegacyFilterCheck measures the idle cost of the firewall's
// iptables-legacy change check (netpol/firewall/legacywatch.go): one
// IPT_SO_GET_INFO / IP6T_SO_GET_INFO getsockopt on the filter table
// (here holding 10,000 rules, which the call never copies), as CPU time
// of this process per check and per idle minute of the agent.
func BenchmarkLegacyFilterCheck(b *testing.B) {
	ns := newNode(b)
	var rules strings.Builder
	rules.WriteString("*filter\n:NODENET-FW-BENCH - [0:0]\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&rules, "-A NODENET-FW-BENCH -s 10.%d.%d.0/24 -j RETURN\n", i/256, i%256)
	}
	rules.WriteString("COMMIT\n")
	cmd := netns.Command(ns.Name, "iptables-legacy-restore")
	cmd.Stdin = strings.NewReader(rules.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("iptables-legacy-restore: %v: %s", err, out)
	}
	ns.Run(b, "ip6tables-legacy", "-N", "NODENET-FW-BENCH")
	mustWithin(b, ns.Name, func() error {
		for _, fam := range []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol} {
			if _, err := iptables.ReadLegacyTable(fam, "filter"); err != nil {
				return err
			}
		}
		before := cpuTime(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			fam := v1.IPv4Protocol
			if i%2 == 1 {
				fam = v1.IPv6Protocol
			}
			if _, err := iptables.ReadLegacyTable(fam, "filter"); err != nil {
				return err
			}
		}
		b.StopTimer()
		perCheck := (cpuTime(b) - before) / time.Duration(b.N)
		b.ReportMetric(float64(perCheck.Nanoseconds()), "cpu-ns/check")
		b.ReportMetric((perCheck * legacyChecksPerMinute).Seconds(), "cpu-s/idle-min")
		return nil
	})
}
