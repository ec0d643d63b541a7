//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestFlushedHooksAreRepaired: someone flushes nat PREROUTING (a firewall
// reload does that); the agent notices within its sync period and puts
// its hooks back, so the ClusterIP answers again.
func TestFlushedHooksAreRepaired(t *testing.T) {
	s := webScenario(t, "--cluster-cidr", "10.244.0.0/16", "--iptables-sync-period", "2s")
	if nftMode() {
		netns.Run(t, s.topo.Node.Name, "nft", "flush", "chain", "ip", "nodenet", "nat-prerouting")
	} else {
		netns.Run(t, s.topo.Node.Name, "iptables", "-t", "nat", "-F", "PREROUTING")
	}
	netns.Eventually(t, 8*time.Second, "ClusterIP answers again after the flush", func() error {
		ans, err := netns.Dial(s.pod("pod-c"), "tcp", webIP+":80", 1, 500*time.Millisecond)
		if err != nil {
			return err
		}
		if ans[0].Err != "" {
			return fmt.Errorf("%s", ans[0].Line)
		}
		return nil
	})
}
