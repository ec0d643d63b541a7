package packettrace

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
)

// denyFrom is a Policy that denies every connection from one address.
type denyFrom netip.Addr

func (d denyFrom) Verdict(src, dst netip.Addr, port int32, _ v1.Protocol) (bool, []string, error) {
	if src == netip.Addr(d) {
		return false, []string{"ingress of test: denied by test/deny"}, nil
	}
	return true, []string{"not isolated"}, nil
}

var (
	nodeIP   = netip.MustParseAddr("192.168.0.1")
	podA     = netip.MustParseAddr("10.244.1.10") // local endpoint of web
	podC     = netip.MustParseAddr("10.244.1.20") // local client pod
	outside  = netip.MustParseAddr("198.51.100.7")
	stranger = netip.MustParseAddr("192.0.2.99")
)

func ep(addr string, local, target, localTarget bool) serve.EndpointView {
	return serve.EndpointView{Address: addr, Ready: true, Serving: true, IsLocal: local, Target: target, LocalTarget: localTarget}
}

// testNode: web (NodePort, LB with source ranges, eTP Local, affinity),
// empty (no endpoints), itp (internalTrafficPolicy Local, remote only),
// cluster-masq settings given per test.
func testNode(proxy serve.ProxyConfigView) *Node {
	return &Node{
		Dump: serve.DumpView{
			Node:  &serve.NodeView{Name: "node-a", PrimaryIPs: []string{nodeIP.String()}},
			Proxy: &proxy,
			ServicePorts: []serve.ServicePortView{
				{
					Service: "default/web", PortName: "http", Protocol: "TCP", Port: 80, NodePort: 30080,
					ClusterIPs: []string{"10.96.0.10"}, LoadBalancerIPs: []string{"203.0.113.10"}, ExternalIPs: []string{"203.0.113.11"},
					LoadBalancerSourceRanges:   []string{"198.51.100.0/24"},
					ExternalTrafficPolicyLocal: true, SessionAffinitySeconds: 60,
					Endpoints: []serve.EndpointView{ep("10.244.1.10:8080", true, true, true), ep("10.244.2.10:8080", false, true, false)},
				},
				{Service: "default/empty", Protocol: "UDP", Port: 53, ClusterIPs: []string{"10.96.0.53"}, Endpoints: []serve.EndpointView{}},
				{
					Service: "default/itp", Protocol: "TCP", Port: 80, ClusterIPs: []string{"10.96.0.20"}, InternalTrafficPolicyLocal: true,
					Endpoints: []serve.EndpointView{ep("10.244.2.20:80", false, true, false)},
				},
				{
					Service: "default/plain", Protocol: "TCP", Port: 80, NodePort: 30090, ClusterIPs: []string{"10.96.0.30"},
					Endpoints: []serve.EndpointView{ep("10.244.1.10:80", true, true, true)},
				},
			},
		},
		LocalAddrs: []netip.Addr{nodeIP, netip.MustParseAddr("127.0.0.1")},
		Pods:       map[string][]netip.Addr{"default/a": {podA}, "default/client": {podC}},
		Policy:     denyFrom(stranger),
	}
}

var withCIDR = serve.ProxyConfigView{ClusterCIDRs: []string{"10.244.0.0/16"}}

func TestTrace(t *testing.T) {
	tests := []struct {
		name    string
		proxy   serve.ProxyConfigView
		q       Query
		outcome Outcome
		targets []string // addresses, in order
		masq    []bool
		want    []string // details that must appear
	}{
		{"ClusterIP from a pod inside the cluster CIDR", withCIDR, Query{"default/client", "default/plain", "80"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{false}, []string{"not masqueraded: the source is inside --cluster-cidr 10.244.0.0/16"}},
		{"ClusterIP from outside the cluster CIDR", withCIDR, Query{outside.String(), "10.96.0.30", "80/TCP"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"masqueraded: the source is outside --cluster-cidr"}},
		{"ClusterIP with --masquerade-all", serve.ProxyConfigView{MasqueradeAll: true}, Query{"default/client", "10.96.0.30", "80"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"--masquerade-all"}},
		{"ClusterIP without any cluster CIDR", serve.ProxyConfigView{}, Query{outside.String(), "10.96.0.30", "80"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{false}, []string{"no --cluster-cidr"}},
		{"NodePort under Cluster is masqueraded", withCIDR, Query{outside.String(), nodeIP.String(), "30090"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"matched NodePort 192.168.0.1:30090/TCP", "externalTrafficPolicy Cluster"}},
		{"NodePort not on loopback by default", withCIDR, Query{"127.0.0.1", "127.0.0.1", "30090"}, Forwarded, nil, nil,
			[]string{"no NodePort 30090 is served there"}},
		{"NodePort only on primary IPs", serve.ProxyConfigView{NodePortAddresses: []string{"primary"}}, Query{outside.String(), nodeIP.String(), "30090"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, nil},
		{"eTP Local from outside: local endpoints, client address kept", withCIDR, Query{outside.String(), "203.0.113.11", "http"}, Delivered,
			[]string{"10.244.1.10:8080"}, []bool{false}, []string{"this node's endpoints only", "externalTrafficPolicy Local keeps the client's address", "sessionAffinity ClientIP"}},
		{"eTP Local from a pod: all endpoints", withCIDR, Query{"default/client", "203.0.113.11", "80"}, Delivered,
			[]string{"10.244.1.10:8080", "10.244.2.10:8080"}, []bool{false, false}, []string{"(1/2)"}},
		{"eTP Local from the node: all endpoints, masqueraded", withCIDR, Query{nodeIP.String(), nodeIP.String(), "30080"}, Delivered,
			[]string{"10.244.1.10:8080", "10.244.2.10:8080"}, []bool{true, true}, []string{"this node's own address"}},
		{"source range admits", withCIDR, Query{outside.String(), "203.0.113.10", "80"}, Delivered,
			[]string{"10.244.1.10:8080"}, []bool{false}, []string{"inside loadBalancerSourceRanges 198.51.100.0/24"}},
		{"source range drops", withCIDR, Query{stranger.String(), "203.0.113.10", "80"}, Dropped, nil, nil,
			[]string{"outside loadBalancerSourceRanges (198.51.100.0/24): DROP"}},
		{"no endpoints: REJECT", withCIDR, Query{"default/client", "default/empty", "53/UDP"}, Rejected, nil, nil, []string{"no usable endpoint"}},
		{"iTP Local without a local endpoint: DROP", withCIDR, Query{"default/client", "default/itp", "80"}, Dropped, nil, nil, []string{"has no local endpoints"}},
		{"hairpin is masqueraded", withCIDR, Query{"default/a", "default/plain", "80"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"hairpin"}},
		{"policy deny after DNAT: REJECT", withCIDR, Query{stranger.String(), "10.96.0.30", "80"}, Rejected,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"denied: REJECT (ICMP admin-prohibited, the client sees \"no route to host\"): ingress of test: denied by test/deny"}},
		{"ClusterIP without that port: nothing answers", withCIDR, Query{"default/client", "10.96.0.30", "81"}, Dropped, nil, nil,
			[]string{"no Service port 81"}},
		{"pod to pod, no Service", withCIDR, Query{"default/client", "default/a", "8080"}, Delivered,
			[]string{"10.244.1.10:8080"}, []bool{false}, []string{"no Service frontend"}},
		{"neither end is ours", withCIDR, Query{stranger.String(), "10.9.9.9", "80"}, Forwarded, nil, nil, []string{"routing decides"}},
		{"from a Service: its local endpoint", withCIDR, Query{"default/web", "default/plain", "80"}, Delivered,
			[]string{"10.244.1.10:80"}, []bool{true}, []string{"default/web stands for Service default/web: 10.244.1.10 is one of its endpoints (pod default/a)", "hairpin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Trace(testNode(tt.proxy), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(a.Reasons, "\n")
			if a.Outcome != tt.outcome || a.Allowed != tt.outcome.OK() {
				t.Fatalf("outcome %s (allowed %v), want %s:\n%s", a.Outcome, a.Allowed, tt.outcome, all)
			}
			if len(a.Endpoints) != len(tt.targets) {
				t.Fatalf("endpoints %+v, want %v:\n%s", a.Endpoints, tt.targets, all)
			}
			for i, e := range a.Endpoints {
				if e.Address != tt.targets[i] || e.Masquerade != tt.masq[i] {
					t.Errorf("endpoint %d = %s masq %v, want %s masq %v", i, e.Address, e.Masquerade, tt.targets[i], tt.masq[i])
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("steps lack %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestTraceQuestions(t *testing.T) {
	for _, q := range []Query{
		{"default/nope", "default/web", "80"},
		{"default/client", "default/nope", "80"},
		{"default/client", "default/web", "81"},
		{"default/client", "default/web", "80/ICMP"},
		{"default/client", "default/web", ""},
		{"default/client", "default/a", "http"},
		{"default/client", "10.9.9.9", "http"},
		{"10.244.1.20", "fd00::1", "80"},
		{"not an address", "default/web", "80"},
		{"default/client", "a/b/c", "80"},
		{"default/client", "default/web", "0"},
	} {
		if _, err := Trace(testNode(withCIDR), q); !errors.Is(err, ErrQuestion) {
			t.Errorf("%+v: err = %v, want ErrQuestion", q, err)
		}
	}
}

func TestTracePolicyOff(t *testing.T) {
	n := testNode(withCIDR)
	n.Policy = nil
	a, err := Trace(n, Query{stranger.String(), "10.96.0.30", "80"})
	if err != nil || a.Outcome != Delivered || !strings.Contains(strings.Join(a.Reasons, "\n"), "NetworkPolicy off") {
		t.Errorf("%v %+v", err, a)
	}
}
