//go:build vmguest

package guest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/proxy"
	"github.com/nodenet/nodenet/test/netns"
)

// TestRestartKeepsConnections: a restarted agent adopts the virtual
// servers it finds: a connection held through a ClusterIP keeps
// exchanging data across the restart, and the real server a killed run
// left at weight 0 (kubernetes#92019) is back at weight 1.
func TestRestartKeepsConnections(t *testing.T) {
	n := newIPVSNode(t, "pod-a")
	podA := n.topo.Pod(t, "pod-a")
	netns.Start(t, podA.Name, "line echo", netns.EchoBin, "serve", "-name", "pod-a", "-lines", ":9090").LogOnFailure(t)
	held := n.service("held", v1.ProtocolTCP, proxy.ServicePort{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.30")}}, "pod-a")
	n.table.Endpoints[held][0].Port = 9090
	n.sync(true)
	conn := netns.Start(t, n.topo.Client.Name, "held connection", netns.EchoBin, "hold", "-addr", "10.96.0.30:80")
	conn.LogOnFailure(t)
	exchanging(t, conn)

	real := podA.IP + ":9090"
	n.topo.Node.Run(t, "ipvsadm", "-e", "-t", "10.96.0.30:80", "-r", real, "-m", "-w", "0")
	n.start()
	n.sync(true)
	exchanging(t, conn)
	if save := n.topo.Node.Run(t, "ipvsadm", "-Sn"); !strings.Contains(save, "-r "+real+" -m -w 1") {
		t.Errorf("after the restart:\n%s\nwant %s at weight 1", save, real)
	}
}

// exchanging waits until the held connection answers three more lines,
// all on the one connection it opened.
func exchanging(t *testing.T, conn *netns.Proc) {
	t.Helper()
	count := func() (int, error) {
		n, peers := 0, map[string]bool{}
		for _, l := range strings.Split(conn.Output(), "\n") {
			if strings.HasPrefix(l, "ERR") {
				return 0, netns.Permanent(fmt.Errorf("held connection broke: %s", l))
			}
			if f := strings.Fields(l); len(f) == 3 { // "<pod> <client addr> <sequence>"
				n++
				peers[f[0]+" "+f[1]] = true
			}
		}
		if len(peers) > 1 {
			return 0, netns.Permanent(fmt.Errorf("answers from more than one connection: %v", peers))
		}
		return n, nil
	}
	before, _ := count()
	netns.Eventually(t, 10*time.Second, "held connection exchanges data", func() error {
		got, err := count()
		if err == nil && got < before+3 {
			err = fmt.Errorf("%d answers, want %d", got, before+3)
		}
		return err
	})
}
