//go:build e2e

package clustere2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// TestSideBySideVerdicts probes Service shapes with real connections
// against upstream kube-proxy (iptables mode) and nodenet (iptables) on
// two node namespaces watching the same API server, and fails where their
// verdicts (who answered, the source the endpoint saw, refused, dropped)
// differ. Each node has its own outside client routed to it. The table is
// logged.
func TestSideBySideVerdicts(t *testing.T) {
	c := newCluster(t, 0)
	kp := c.addKubeProxyNode(t, "sk", 21)
	nn := c.addKubeProxyNode(t, "sn", 22)
	c.ensureNamespace(t, "web", nil)
	var eps []endpoint
	for i, name := range []string{"be-1", "be-2"} {
		be := &netns.Pod{NS: netns.New(t, c.net.Prefix+"-"+name), PodName: name}
		be.IP = c.net.Join(t, be.NS, "eth0", 51+i)
		be.StartEcho(t, echoPort, 0)
		eps = append(eps, endpoint{be, &node{name: "elsewhere"}})
	}
	shapes := sideBySideShapes(t, c, eps)
	kp.startKubeProxy(t, c, "iptables")
	nn.startNodenet(t, c)
	type side struct {
		name   string
		node   *kubeProxyNode
		client *netns.NS
		ip     string
	}
	var sides []side
	for i, k := range []*kubeProxyNode{kp, nn} {
		cl := netns.New(t, k.name+"-c")
		ip := c.net.Join(t, cl, "eth0", 101+i)
		for _, dst := range []string{"10.96.0.0/16", "192.0.2.0/24"} {
			cl.IP(t, "route", "add", dst, "via", k.ip)
		}
		sides = append(sides, side{[]string{"kube-proxy", "nodenet"}[i], k, cl, ip})
	}
	var table strings.Builder
	table.WriteString("| shape | probe | kube-proxy | nodenet |\n|---|---|---|---|\n")
	for _, s := range shapes {
		var verdicts []string
		for _, sd := range sides {
			from, addr := sd.node.ns.Name, s.addr(s.svc, sd.node.ip)
			if s.outside {
				from = sd.client.Name
			}
			var v string
			// The proxies program changes within about a second: the
			// verdict is the one that holds once both have synced.
			_ = netns.PollUntil(10*time.Second, 200*time.Millisecond, func() error {
				v = verdict(from, addr, s.tries, map[string]string{sd.node.ip: "node", sd.ip: "client"})
				if v != s.want {
					return errors.New(v)
				}
				return nil
			})
			verdicts = append(verdicts, v)
		}
		fmt.Fprintf(&table, "| %s | %s | %s | %s |\n", s.name, s.probe, verdicts[0], verdicts[1])
		if verdicts[0] != verdicts[1] {
			t.Errorf("%s: kube-proxy %q, nodenet %q", s.name, verdicts[0], verdicts[1])
		}
	}
	t.Logf("verdicts side by side:\n%s", table.String())
}

// shape is one Service shape and how it is probed.
type shape struct {
	name, probe string
	svc         *v1.Service
	outside     bool // from the node's outside client, else from the node
	addr        func(svc *v1.Service, nodeIP string) string
	tries       int    // connections per verdict (affinity: all the same endpoint?)
	want        string // the verdict polled for (kube-proxy's documented behaviour)
}

func clusterIPAddr(svc *v1.Service, _ string) string {
	return net.JoinHostPort(svc.Spec.ClusterIP, "80")
}

func nodePortAddr(svc *v1.Service, nodeIP string) string {
	return net.JoinHostPort(nodeIP, strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))
}

func lbAddr(svc *v1.Service, _ string) string {
	return net.JoinHostPort(svc.Status.LoadBalancer.Ingress[0].IP, "80")
}

func sideBySideShapes(t *testing.T, c *cluster, eps []endpoint) []shape {
	nodePort := func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort }
	mk := func(name string, mutate func(*v1.Service), eps ...endpoint) *v1.Service {
		svc := c.createService(t, "web", name, mutate)
		c.writeEndpoints(t, svc, eps...)
		return svc
	}
	lb := func(name string, ranges []string, ip string) *v1.Service {
		svc := mk(name, func(s *v1.Service) {
			s.Spec.Type = v1.ServiceTypeLoadBalancer
			s.Spec.LoadBalancerSourceRanges = ranges
		}, eps...)
		svc.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: ip}}
		got, err := c.admin.CoreV1().Services("web").UpdateStatus(context.Background(), svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	terminating := c.createService(t, "web", "terminating", nil)
	writeConditions(t, c, terminating, eps, false, true, true)
	notServing := c.createService(t, "web", "notserving", nil)
	writeConditions(t, c, notServing, eps, false, false, true)
	return []shape{
		{"ClusterIP", "from the node", mk("plain", nil, eps...), false, clusterIPAddr, 1, "answered, source node"},
		{"NodePort, externalTrafficPolicy Cluster", "from outside", mk("np", nodePort, eps...), true, nodePortAddr, 1, "answered, source node"},
		{"NodePort, externalTrafficPolicy Local, no local endpoint", "from outside", mk("nplocal", func(s *v1.Service) {
			nodePort(s)
			s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		}, eps...), true, nodePortAddr, 1, "dropped"},
		{"ClusterIP without endpoints", "from the node", mk("empty", nil), false, clusterIPAddr, 1, "refused"},
		{"NodePort without endpoints", "from outside", mk("npempty", nodePort), true, nodePortAddr, 1, "refused"},
		{"ClusterIP, sessionAffinity ClientIP", "from the node, 10 connections", mk("sticky", func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
		}, eps...), false, clusterIPAddr, 10, "answered, source node"},
		{"ClusterIP, terminating serving endpoints only", "from the node", terminating, false, clusterIPAddr, 1, "answered, source node"},
		{"ClusterIP, endpoints neither ready nor serving", "from the node", notServing, false, clusterIPAddr, 1, "refused"},
		{"LoadBalancer, client inside loadBalancerSourceRanges", "from outside", lb("lbin", []string{"198.18.0.0/15"}, "192.0.2.60"), true, lbAddr, 1, "answered, source node"},
		{"LoadBalancer, client outside loadBalancerSourceRanges", "from outside", lb("lbout", []string{"203.0.113.0/24"}, "192.0.2.61"), true, lbAddr, 1, "dropped"},
		{"externalIPs", "from outside", mk("extip", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.70"} }, eps...), true,
			func(*v1.Service, string) string { return "192.0.2.70:80" }, 1, "answered, source node"},
	}
}

// writeConditions rewrites the Service's slice with eps in the given
// conditions.
func writeConditions(t *testing.T, c *cluster, svc *v1.Service, eps []endpoint, ready, serving, terminating bool) {
	slice := endpointSlice(svc, eps...)
	for i := range slice.Endpoints {
		slice.Endpoints[i].Conditions = discovery.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating}
	}
	if _, err := c.admin.DiscoveryV1().EndpointSlices("web").Create(context.Background(), slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// verdict makes tries connections from namespace ns to addr: "answered,
// source <who>" (who the endpoint saw, named by names), "refused",
// "dropped" (timeout), or the error; with tries > 1, "several endpoints"
// when not all reached the same one.
func verdict(ns, addr string, tries int, names map[string]string) string {
	var out string
	_ = netns.Within(ns, func() error {
		seen := map[string]bool{}
		for range tries {
			line, err := dialLineTimeout(addr, 700*time.Millisecond)
			var ne net.Error
			switch {
			case errors.Is(err, syscall.ECONNREFUSED):
				out = "refused"
				return nil
			case errors.As(err, &ne) && ne.Timeout():
				out = "dropped"
				return nil
			case err != nil:
				out = err.Error()
				return nil
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				out = "garbled " + line
				return nil
			}
			host, _, _ := net.SplitHostPort(f[1])
			who := names[host]
			if who == "" {
				who = host
			}
			seen[f[0]] = true
			out = "answered, source " + who
		}
		if len(seen) > 1 && tries > 1 {
			out = "several endpoints"
		}
		return nil
	})
	return out
}
