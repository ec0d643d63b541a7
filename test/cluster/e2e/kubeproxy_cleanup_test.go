//go:build e2e

package clustere2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodenet/nodenet/test/netns"
)

// TestCleanupKubeProxy runs upstream kube-proxy (iptables mode, then
// nftables mode) in a node namespace against the API server with Services
// of several shapes, stops it, runs `nodenet cleanup --kube-proxy`, and
// compares every ruleset of the namespace (iptables-nft and
// iptables-legacy, both families, and nft's own tables) with that of a
// namespace that never saw kube-proxy. Both namespaces first get the rules
// of other programs (kubelet's KUBE-* chains, an unrelated iptables chain
// in each variant, an nft table), which must survive.
func TestCleanupKubeProxy(t *testing.T) {
	c := newCluster(t, 0)
	createCleanupServices(t, c)
	for i, mode := range []string{"iptables", "nftables"} {
		t.Run(mode, func(t *testing.T) {
			seen := c.addKubeProxyNode(t, mode[:2]+"-kp", 20+i)
			fresh := netns.New(t, c.net.Prefix+"-"+mode[:2]+"-fr")
			for _, ns := range []*netns.NS{seen.ns, fresh} {
				addOtherProgramsRules(t, ns)
			}
			want := ruleset(t, fresh)

			seen.startKubeProxy(t, c, mode)
			netns.Eventually(t, 30*time.Second, "kube-proxy's Service rules", func() error {
				if got := ruleset(t, seen.ns); !strings.Contains(got, "KUBE-SVC-") && !strings.Contains(got, "service-") {
					return fmt.Errorf("no Service rules yet:\n%s", got)
				}
				return nil
			})
			seen.kp.Stop()
			if strings.Contains(ruleset(t, seen.ns), "KUBE-SERVICES") == (mode == "nftables") {
				t.Fatalf("kube-proxy %s left no rules or iptables rules in nftables mode:\n%s", mode, ruleset(t, seen.ns))
			}
			for _, ns := range []*netns.NS{seen.ns, seen.ns, fresh} { // twice: idempotent
				if out, err := ns.Exec(nodenetBin, "cleanup", "--kube-proxy"); err != nil {
					t.Fatalf("nodenet cleanup --kube-proxy in %s: %v\n%s", ns.Name, err, out)
				}
			}
			if got := ruleset(t, seen.ns); got != want {
				t.Errorf("after kube-proxy and the cleanup:\n%s\nwant, as never touched by kube-proxy:\n%s", got, want)
			}
			if got := ruleset(t, fresh); got != want {
				t.Errorf("the cleanup changed a namespace kube-proxy never ran in:\n%s\nwas:\n%s", got, want)
			}
		})
	}
}

// createCleanupServices makes Services for most of kube-proxy's chain
// kinds: ClusterIP with affinity (KUBE-SVC, KUBE-SEP), NodePort with
// externalTrafficPolicy Local (KUBE-EXT, KUBE-SVL, KUBE-NODEPORTS), a
// LoadBalancer with source ranges (KUBE-FW, KUBE-PROXY-FIREWALL) and one
// without endpoints (KUBE-EXTERNAL-SERVICES rejects).
func createCleanupServices(t *testing.T, c *cluster) {
	t.Helper()
	c.ensureNamespace(t, "web", nil)
	elsewhere := &node{name: "elsewhere"}
	eps := []endpoint{{&netns.Pod{IP: "10.244.9.10"}, elsewhere}, {&netns.Pod{IP: "10.244.9.11"}, elsewhere}}
	affinity := c.createService(t, "web", "affinity", func(s *v1.Service) { s.Spec.SessionAffinity = v1.ServiceAffinityClientIP })
	c.writeEndpoints(t, affinity, eps...)
	local := c.createService(t, "web", "local", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeNodePort
		s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	})
	c.writeEndpoints(t, local, eps...)
	lb := c.createService(t, "web", "lb", func(s *v1.Service) {
		s.Spec.Type = v1.ServiceTypeLoadBalancer
		s.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"}
	})
	lb.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "192.0.2.200"}}
	if _, err := c.admin.CoreV1().Services("web").UpdateStatus(context.Background(), lb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.writeEndpoints(t, lb, eps...)
	c.createService(t, "web", "empty", func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort })
}

// otherProgramsRules are what must survive the cleanup: kubelet's chains
// (KUBE-IPTABLES-HINT tells kube-proxy to use iptables-nft; KUBE-FIREWALL
// carries the martian rule exactly as kube-proxy duplicates it) and an
// unrelated program's chain and NAT rule.
const otherProgramsRules = `*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*nat
:KUBE-KUBELET-CANARY - [0:0]
:NNT-OTHER - [0:0]
-A PREROUTING -p tcp --dport 2222 -j NNT-OTHER
-A NNT-OTHER -j RETURN
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:NNT-OTHER - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A INPUT -j NNT-OTHER
-A NNT-OTHER -p tcp --dport 2222 -j ACCEPT
%s
COMMIT
`

const martianRule = `-A KUBE-FIREWALL -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`

const otherNftTable = `table inet nnt-other {
	chain input {
		type filter hook input priority 10; policy accept;
		tcp dport 2224 accept
	}
}
`

func addOtherProgramsRules(t *testing.T, ns *netns.NS) {
	t.Helper()
	restore(t, ns, "iptables-nft-restore", fmt.Sprintf(otherProgramsRules, martianRule))
	restore(t, ns, "ip6tables-nft-restore", fmt.Sprintf(otherProgramsRules, ""))
	restore(t, ns, "iptables-legacy-restore", "*filter\n:NNT-LEGACY - [0:0]\n-A INPUT -j NNT-LEGACY\nCOMMIT\n")
	restore(t, ns, "nft", otherNftTable, "-f", "-")
}

func restore(t *testing.T, ns *netns.NS, bin, payload string, args ...string) {
	t.Helper()
	cmd := netns.Command(ns.Name, append([]string{bin}, args...)...)
	cmd.Stdin = strings.NewReader(payload)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s in %s: %v\n%s", bin, ns.Name, err, out)
	}
}

// ruleset is every ruleset of ns in a comparable form (netns.Ruleset).
func ruleset(t *testing.T, ns *netns.NS) string { return netns.Ruleset(t, ns) }
