//go:build e2e

package clustere2e

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodenet/nodenet/test/netns"
)

// survivalModes are the proxy modes the restart and hook tests run in,
// each on a cluster of its own.
var survivalModes = []string{"iptables", "nftables"}

// trafficNode is one node running nodenet in a mode, with a backend pod
// "be-1" (nnt-echo on echoPort, a line server on linesPort) behind a
// Service with ports 80 and 90, and a client pod on the same node.
type trafficNode struct {
	c      *cluster
	nd     *node
	mode   string
	extra  []string // the agent's flags beyond the mode
	client *netns.Pod
	vip    string // ClusterIP:80
	lines  string // ClusterIP:90
}

func newTrafficNode(t *testing.T, mode string, extra ...string) *trafficNode {
	t.Helper()
	args := append([]string{"--proxy-mode", mode}, extra...)
	c := startCluster(t, clusterOptions{nodes: 1, agentArgs: args})
	nd := c.nodes[0]
	nd.waitHealthy(t)
	c.ensureNamespace(t, "web", nil)
	be := nd.addPod(t, "web", "be-1", nil)
	netns.Start(t, be.Name, "lines be-1", netns.EchoBin, "serve", "-name", "be-1", "-lines", ":"+strconv.Itoa(linesPort)).LogOnFailure(t)
	client := nd.addPod(t, "web", "client", nil)
	svc := c.createService(t, "web", "web", func(s *v1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "lines", Protocol: v1.ProtocolTCP, Port: 90,
			TargetPort: intstr.FromInt32(linesPort)})
	})
	c.writeEndpoints(t, svc, endpoint{be, nd})
	tn := &trafficNode{c: c, nd: nd, mode: mode, extra: extra, client: client,
		vip: net.JoinHostPort(svc.Spec.ClusterIP, "80"), lines: net.JoinHostPort(svc.Spec.ClusterIP, "90")}
	expectAnswer(t, client.Name, tn.vip, "be-1")
	return tn
}

// restartAgent starts the agent again with the same flags and waits for
// its first full sync (its own metrics: a new process starts at zero).
func (tn *trafficNode) restartAgent(t *testing.T) {
	t.Helper()
	tn.nd.startAgent(t, tn.c.agentKubeconfig, append([]string{"--proxy-mode", tn.mode}, tn.extra...)...)
	netns.Eventually(t, 60*time.Second, "the restarted agent's first full sync", func() error {
		if exited, err := tn.nd.agent.Exited(); exited {
			return netns.Permanent(fmt.Errorf("agent exited: %v", err))
		}
		fams, err := scrape(fmt.Sprintf("http://%s:%d/metrics", tn.nd.ip, metricsPort))
		if err != nil {
			return err
		}
		if histogramCount(fams["kubeproxy_sync_full_proxy_rules_duration_seconds"]) == 0 {
			return fmt.Errorf("no full sync yet")
		}
		return nil
	})
}

// holdConnection opens a long-lived connection from the client pod to
// the lines port and waits until it exchanges lines.
func (tn *trafficNode) holdConnection(t *testing.T) *netns.Proc {
	t.Helper()
	h := netns.Start(t, tn.client.Name, "held connection", netns.EchoBin, "hold", "-addr", tn.lines)
	h.LogOnFailure(t)
	exchanging(t, h)
	return h
}
