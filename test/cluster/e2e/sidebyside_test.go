//go:build e2e

package clustere2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// TestSideBySideVerdicts probes Service shapes with real TCP and UDP
// connections against upstream kube-proxy and nodenet in the same mode
// (iptables, then nftables, each with a control plane of its own) on two
// node namespaces watching the same API server, and fails where their
// verdicts (who answered, the source the endpoint saw, refused, dropped)
// differ. Each node has its own outside client routed to it and a pod
// behind it (hairpin, local endpoints). The table is logged.
func TestSideBySideVerdicts(t *testing.T) {
	for _, mode := range []string{"iptables", "nftables"} {
		t.Run(mode, func(t *testing.T) { sideBySide(t, mode) })
	}
}

// side is one proxy's node with its outside client and its pod.
type side struct {
	name   string
	node   *kubeProxyNode
	client *netns.NS
	pod    *netns.Pod
	// names are who the endpoint saw, by source address.
	names map[string]string
}

func sideBySide(t *testing.T, mode string) {
	c := newCluster(t, 0)
	kp := c.addKubeProxyNode(t, "sk", 21)
	nn := c.addKubeProxyNode(t, "sn", 22)
	c.ensureNamespace(t, "web", nil)
	var eps, eps6 []endpoint
	for i, name := range []string{"be-1", "be-2"} {
		be := &netns.Pod{NS: netns.New(t, c.net.Prefix+"-"+name), PodName: name}
		be.IP = c.net.Join(t, be.NS, "eth0", 51+i)
		be.StartEcho(t, echoPort, 0)
		eps = append(eps, endpoint{be, &node{name: "elsewhere"}})
		be6 := *be
		be6.IP = joinIPv6(t, be.NS, "eth0", 51+i)
		eps6 = append(eps6, endpoint{&be6, &node{name: "elsewhere"}})
	}
	var sides []side
	for i, k := range []*kubeProxyNode{kp, nn} {
		cl := netns.New(t, k.name+"-c")
		ip := c.net.Join(t, cl, "eth0", 101+i)
		for _, dst := range []string{"10.96.0.0/16", "192.0.2.0/24"} {
			cl.IP(t, "route", "add", dst, "via", k.ip)
		}
		pod, gw := podBehind(t, k, 21+i)
		ip6 := ipv6Node(t, k, 21+i)
		sides = append(sides, side{name: []string{"kube-proxy", "nodenet"}[i], node: k, client: cl, pod: pod,
			names: map[string]string{k.ip: "node", gw: "node", ip6: "node", ip: "client", pod.IP: "pod"}})
	}
	shapes := sideBySideShapes(t, c, eps, []endpoint{{sides[0].pod, &node{name: kp.name}}, {sides[1].pod, &node{name: nn.name}}})
	shapes = append(shapes, shape{"IPv6 ClusterIP", fromNode, "tcp", ipv6ClusterIP(t, c, eps6), 1, "answered, source node"})
	kp.startKubeProxy(t, c, mode)
	nn.startNodenet(t, c, "--proxy-mode", mode)
	var table strings.Builder
	table.WriteString("| shape | probe | kube-proxy | nodenet |\n|---|---|---|---|\n")
	for _, s := range shapes {
		var verdicts []string
		for _, sd := range sides {
			from := map[string]string{fromNode: sd.node.ns.Name, fromOutside: sd.client.Name, fromPod: sd.pod.Name}[s.from]
			var v string
			// The proxies program changes within about a second: the
			// verdict is the one that holds once both have synced.
			_ = netns.PollUntil(10*time.Second, 200*time.Millisecond, func() error {
				v = verdict(from, s.proto, s.addr(sd), s.tries, sd.names)
				if v != s.want {
					return errors.New(v)
				}
				return nil
			})
			verdicts = append(verdicts, v)
		}
		fmt.Fprintf(&table, "| %s | %s %s | %s | %s |\n", s.name, strings.ToUpper(s.proto), s.probe(), verdicts[0], verdicts[1])
		if verdicts[0] != verdicts[1] {
			t.Errorf("%s (%s): kube-proxy %q, nodenet %q", s.name, s.proto, verdicts[0], verdicts[1])
		}
	}
	t.Logf("verdicts side by side, %s mode:\n%s", mode, table.String())
}

// podBehind makes a pod namespace routed through node k (a veth, the
// pod at 10.244.<host>.2 with the node's end .1 as its default route)
// serving nnt-echo; it returns the pod and the node's address facing it.
func podBehind(t *testing.T, k *kubeProxyNode, host int) (*netns.Pod, string) {
	t.Helper()
	pod := &netns.Pod{NS: netns.New(t, k.name+"-p"), PodName: "pod-" + k.name[len(k.name)-2:]}
	gw, ip := fmt.Sprintf("10.244.%d.1", host), fmt.Sprintf("10.244.%d.2", host)
	k.ns.Veth(t, "nnt-pod", pod.NS, "eth0")
	k.ns.AddAddr(t, "nnt-pod", gw+"/24")
	pod.NS.AddAddr(t, "eth0", ip+"/24")
	pod.NS.IP(t, "route", "add", "default", "via", gw)
	pod.IP = ip
	pod.StartEcho(t, echoPort, 0)
	return pod, gw
}

// Where a shape's probe starts.
const (
	fromNode    = "node"
	fromOutside = "outside"
	fromPod     = "pod"
)

// shape is one Service shape and how it is probed.
type shape struct {
	name  string
	from  string // fromNode, fromOutside (the node's client) or fromPod (the pod behind the node)
	proto string // tcp or udp
	addr  func(sd side) string
	tries int    // connections per verdict (affinity: all the same endpoint?)
	want  string // the verdict polled for (kube-proxy's documented behaviour)
}

func (s shape) probe() string {
	p := "from " + map[string]string{fromNode: "the node", fromOutside: "outside", fromPod: "the pod"}[s.from]
	if s.tries > 1 {
		p += fmt.Sprintf(", %d connections", s.tries)
	}
	return p
}

func clusterIPAddr(svc *v1.Service) func(side) string {
	return func(side) string { return net.JoinHostPort(svc.Spec.ClusterIP, "80") }
}

func nodePortAddr(svc *v1.Service) func(side) string {
	return func(sd side) string {
		return net.JoinHostPort(sd.node.ip, strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))
	}
}

func lbAddr(svc *v1.Service) func(side) string {
	return func(side) string { return net.JoinHostPort(svc.Status.LoadBalancer.Ingress[0].IP, "80") }
}

// sideBySideShapes creates the Services: eps are endpoints on other
// hosts, local one pod behind each proxy's node (on that node).
func sideBySideShapes(t *testing.T, c *cluster, eps, local []endpoint) []shape {
	nodePort := func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort }
	udp := func(s *v1.Service) { s.Spec.Ports[0].Protocol = v1.ProtocolUDP }
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
	extIP := mk("extip", func(s *v1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.70"} }, eps...)
	const tcp, answered = "tcp", "answered, source node"
	return []shape{
		{"ClusterIP", fromNode, tcp, clusterIPAddr(mk("plain", nil, eps...)), 1, answered},
		{"NodePort, externalTrafficPolicy Cluster", fromOutside, tcp, nodePortAddr(mk("np", nodePort, eps...)), 1, answered},
		{"NodePort, externalTrafficPolicy Local, no local endpoint", fromOutside, tcp, nodePortAddr(mk("nplocal", func(s *v1.Service) {
			nodePort(s)
			s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		}, eps...)), 1, "dropped"},
		{"NodePort, externalTrafficPolicy Local, local endpoint", fromOutside, tcp, nodePortAddr(mk("nplocalep", func(s *v1.Service) {
			nodePort(s)
			s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		}, local...)), 1, "answered, source client"},
		{"ClusterIP without endpoints", fromNode, tcp, clusterIPAddr(mk("empty", nil)), 1, "refused"},
		{"NodePort without endpoints", fromOutside, tcp, nodePortAddr(mk("npempty", nodePort)), 1, "refused"},
		{"ClusterIP, sessionAffinity ClientIP", fromNode, tcp, clusterIPAddr(mk("sticky", func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
		}, eps...)), 10, answered},
		{"ClusterIP, terminating serving endpoints only", fromNode, tcp, clusterIPAddr(terminating), 1, answered},
		{"ClusterIP, endpoints neither ready nor serving", fromNode, tcp, clusterIPAddr(notServing), 1, "refused"},
		{"LoadBalancer, client inside loadBalancerSourceRanges", fromOutside, tcp, lbAddr(lb("lbin", []string{"198.18.0.0/15"}, "192.0.2.60")), 1, answered},
		{"LoadBalancer, client outside loadBalancerSourceRanges", fromOutside, tcp, lbAddr(lb("lbout", []string{"203.0.113.0/24"}, "192.0.2.61")), 1, "dropped"},
		{"externalIPs", fromOutside, tcp, func(side) string {
			return net.JoinHostPort(extIP.Spec.ExternalIPs[0], "80")
		}, 1, answered},
		{"hairpin: a pod to its own Service (internalTrafficPolicy Local, the pod the node's only endpoint)", fromPod, tcp,
			clusterIPAddr(mk("hairpin", func(s *v1.Service) {
				local := v1.ServiceInternalTrafficPolicyLocal
				s.Spec.InternalTrafficPolicy = &local
			}, local...)), 1, answered},
		{"ClusterIP", fromNode, "udp", clusterIPAddr(mk("udp", udp, eps...)), 1, answered},
		{"NodePort, externalTrafficPolicy Cluster", fromOutside, "udp", nodePortAddr(mk("udpnp", func(s *v1.Service) { nodePort(s); udp(s) }, eps...)), 1, answered},
		// From outside: on the node itself the REJECT in OUTPUT fails the
		// send (EPERM) before any ICMP could answer.
		{"ClusterIP without endpoints", fromOutside, "udp", clusterIPAddr(mk("udpempty", udp)), 1, "refused"},
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

// verdict makes tries connections (TCP, or UDP datagrams on a
// connected socket) with nnt-echo from namespace ns to addr: "answered,
// source <who>" (who the endpoint saw, named by names), "refused" (TCP
// reset or ICMP unreachable), "dropped" (timeout), or the error; with
// tries > 1, "several endpoints" when not all reached the same one.
func verdict(ns, proto, addr string, tries int, names map[string]string) string {
	answers, err := netns.Dial(ns, proto, addr, tries, 700*time.Millisecond)
	if len(answers) == 0 {
		return fmt.Sprint(err)
	}
	var out string
	seen := map[string]bool{}
	for _, a := range answers {
		switch a.Err {
		case "":
		case "timeout":
			return "dropped"
		default:
			return a.Err
		}
		who := names[a.Source]
		if who == "" {
			who = a.Source
		}
		seen[a.Pod] = true
		out = "answered, source " + who
	}
	if len(seen) > 1 {
		out = "several endpoints"
	}
	return out
}
