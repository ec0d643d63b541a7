//go:build e2e

package firewall

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/firewall"
	"github.com/nodenet/nodenet/test/objects"
)

// BenchmarkFirewallSync measures the firewall on the real kernel in a
// fresh namespace: the first (full) sync of a generated cluster, a full
// resync, and the median partial sync after one remote pod add, one
// label change and one local pod add. Compute (the model) is reported
// apart; the sync figures are Firewall.Sync alone.
func BenchmarkFirewallSync(b *testing.B) {
	c := benchCluster(1000, 20, 25, 200)
	b.Run(fmt.Sprintf("pods=%d/local=%d/policies=%d", c.Pods, c.Pods/10, c.Policies), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runFirewallBench(b, c)
		}
	})
}

func runFirewallBench(b *testing.B, c objects.Cluster) {
	ns := newNode(b)
	in := clusterInput(c)
	start := time.Now()
	m := compute(b, in)
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "compute-ms")
	var fw *firewall.Firewall
	mustWithin(b, ns.Name, func() (err error) {
		fw, err = firewall.New(firewall.Options{LogDrops: true})
		return err
	})
	sync := func(m *netpol.Model, full bool) time.Duration {
		var took time.Duration
		mustWithin(b, ns.Name, func() error {
			start := time.Now()
			err := fw.Sync(m, full)
			took = time.Since(start)
			return err
		})
		return took
	}
	b.ReportMetric(sync(m, false).Seconds(), "full-sync-s")
	b.ReportMetric(sync(m, true).Seconds(), "full-resync-s")
	reportRules(b, ns.Name)
	const rounds = 11
	b.ReportMetric(median(rounds, func(r int) time.Duration {
		in.Pods = append(in.Pods, netpol.PodFromAPI(c.Pod(c.Pods+r*10+1, "app-1"))) // remote
		return sync(compute(b, in), false)
	}), "remote-pod-add-ms")
	b.ReportMetric(median(rounds, func(r int) time.Duration {
		in.Pods[1+r*10].Labels = map[string]string{"app": "app-2"} // remote pod moves between peers
		return sync(compute(b, in), false)
	}), "label-change-ms")
	b.ReportMetric(median(rounds, func(r int) time.Duration {
		in.Pods = append(in.Pods, netpol.PodFromAPI(c.Pod(c.Pods+(r+100)*10, "app-1"))) // local, selected by several policies
		return sync(compute(b, in), false)
	}), "local-pod-add-ms")
	mustWithin(b, ns.Name, firewall.Cleanup)
}

// reportRules reports how big the ruleset is.
func reportRules(b *testing.B, ns string) {
	save, err := execIn(ns, "iptables-save", "-t", "filter")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(strings.Count(save, "\n-A NODENET-FW")), "rules")
	sets, err := execIn(ns, "ipset", "list", "-name")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(strings.Count(sets, "NNP-")), "sets")
}

// median runs one change per round and returns the median duration in ms.
func median(rounds int, round func(r int) time.Duration) float64 {
	var d []float64
	for r := 0; r < rounds; r++ {
		d = append(d, float64(round(r).Microseconds())/1000)
	}
	sort.Float64s(d)
	return d[len(d)/2]
}
