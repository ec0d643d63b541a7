//go:build e2e

package firewall

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nodenet/nodenet/test/netns"
)

// TestRogueRouterAdvertisementIsGated: a pod's router advertisement,
// bridged to the other pods, would make them autoconfigure addresses
// outside every pod range, on which no chain and no gate applies; the
// sender could then reach a pod its policy denies. Between pods only
// neighbour solicitations and advertisements are needed (routers and
// their advertisements and redirects are the node's, which do not cross
// FORWARD).
func TestRogueRouterAdvertisementIsGated(t *testing.T) {
	topo := netns.NewProxyTopology(t, "fwra", "pod-a", "pod-b", "pod-c")
	a, c := topo.Pods[0], topo.Pods[2]
	a.StartEcho(t, 8080, 0)
	enforceDualStack(t, topo)

	c.Run(t, "ip", "-6", "addr", "add", "2001:db8:bad::c/64", "dev", "eth0", "nodad")
	c.Run(t, netns.EchoBin, "ra", "-dev", "eth0", "-prefix", "2001:db8:bad::/64")
	// pod-a autoconfigures at once when the advertisement reaches it
	// (DAD is off in the test namespaces); an absence needs a wait.
	var rogue string
	_ = netns.PollUntil(time.Second, 50*time.Millisecond, func() error {
		if rogue = addrIn(a.Run(t, "ip", "-6", "-o", "addr", "show", "dev", "eth0"), "2001:db8:bad:"); rogue == "" {
			return errors.New("no autoconfigured address")
		}
		return nil
	})
	if rogue == "" {
		return // the advertisement was stopped: nothing to reach
	}
	answers, err := netns.Dial(c.Name, "tcp", "["+rogue+"]:8080", 1, probeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Errorf("pod-c's router advertisement gave pod-a the address %s, outside every pod range; dialing it: %s", rogue, answers[0].Line)
}

// addrIn finds an address starting with prefix in `ip -o addr` output.
func addrIn(out, prefix string) string {
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, prefix) {
			return strings.Split(f, "/")[0]
		}
	}
	return ""
}
