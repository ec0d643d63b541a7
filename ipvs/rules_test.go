package ipvs_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/ipvs"
	"github.com/nodenet/nodenet/proxy"
)

func TestRuleSets(t *testing.T) {
	w := newWorld(t, ipvs.Config{NodeAddrs: func([]netip.Addr) ([]netip.Addr, error) { return addrs("192.0.2.1"), nil }})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10"), NodePort: 30080,
		LoadBalancerIPs: addrs("203.0.113.8"), LoadBalancerSourceRanges: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}},
		"10.244.1.10", "10.244.2.10")
	w.table.Endpoints[web][0].IsLocal = true // hairpin is possible for this node's endpoints only
	w.service(spn("ns", "local", v1.ProtocolUDP), proxy.ServicePort{ClusterIPs: addrs("10.96.0.11"), NodePort: 30081,
		ExternalPolicyLocal: true})
	w.sync(true)
	for kind, want := range map[ipvs.SetKind][]string{
		ipvs.SetClusterIP:     {"10.96.0.10,tcp:80", "10.96.0.11,udp:80"},
		ipvs.SetExternal:      {"192.0.2.1,tcp:30080", "203.0.113.8,tcp:80"},
		ipvs.SetLoopBack:      {"10.244.1.10,tcp:8080,10.244.1.10"},
		ipvs.SetSourceLimited: {"203.0.113.8,tcp:80"},
		ipvs.SetSourceAllowed: {"203.0.113.8,tcp:80,198.51.100.0/24"},
	} {
		if got := w.rules.Members(kind); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", kind, got, want)
		}
	}
	applies := w.rules.Applies
	w.sync(false)
	if w.rules.Applies != applies {
		t.Error("rules applied again with nothing changed")
	}
}

func TestRenderMasqueradeRules(t *testing.T) {
	spec := &ipvs.RuleSpec{ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}, MasqueradeMark: 0x4000}
	want := `*nat
:NODENET-IPVS-SERVICES - [0:0]
:NODENET-IPVS-POSTROUTING - [0:0]
-A NODENET-IPVS-SERVICES -m set --match-set NODENET-IPVS-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j MARK --or-mark 0x4000
-A NODENET-IPVS-SERVICES -m set --match-set NODENET-IPVS-EXTERNAL dst,dst -j MARK --or-mark 0x4000
-A NODENET-IPVS-POSTROUTING -m set --match-set NODENET-IPVS-LOOP-BACK dst,dst,src -j MASQUERADE
-A NODENET-IPVS-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE
COMMIT
*filter
:NODENET-IPVS-FIREWALL - [0:0]
-A NODENET-IPVS-FIREWALL -m set --match-set NODENET-IPVS-LB-FW dst,dst -m set ! --match-set NODENET-IPVS-LB-SRC dst,dst,src -j DROP
COMMIT
`
	if got := spec.Render(); got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	spec.MasqueradeAll = true
	if got := spec.Render(); slices.Contains([]string{got}, want) {
		t.Error("--masquerade-all changed nothing")
	}
}

func TestSetNamesFit(t *testing.T) {
	for _, k := range ipvs.SetKinds {
		if n := ipvs.SetName(k, true) + "-T"; len(n) > 31 {
			t.Errorf("%s: %d bytes, ipset allows 31", n, len(n))
		}
	}
}

// After one endpoint change only the set that changed is rewritten.
func TestRenderSetsOnlyChanged(t *testing.T) {
	prev := &ipvs.RuleSpec{Sets: map[ipvs.SetKind][]string{ipvs.SetClusterIP: {"10.96.0.1,tcp:80"}, ipvs.SetLoopBack: {"a"}}}
	next := &ipvs.RuleSpec{Sets: map[ipvs.SetKind][]string{ipvs.SetClusterIP: {"10.96.0.1,tcp:80"}, ipvs.SetLoopBack: {"b"}}}
	got := next.RenderSets(prev)
	if !strings.Contains(got, "NODENET-IPVS-LOOP-BACK") || strings.Contains(got, "NODENET-IPVS-CLUSTER-IP") {
		t.Errorf("sets rewritten:\n%s", got)
	}
	if next.RenderSets(next) != "" {
		t.Error("an unchanged spec rewrote sets")
	}
}

// Rules a new virtual server needs go in before it; an endpoint's removal
// reaches IPVS before the rules shrink.
func TestRuleOrder(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	w.rules.Kernel = w.k
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.1.10", "10.244.1.11")
	w.table.Endpoints[web][1].IsLocal = true
	w.sync(true)
	if got := strings.Join(w.k.Ops, "; "); !strings.HasPrefix(got, "rules; add 10.96.0.10:80/TCP") {
		t.Errorf("first sync: %s", got)
	}
	w.k.ResetCounts()
	w.endpoints(web, "10.244.1.10")
	w.sync(false, web)
	if got, want := strings.Join(w.k.Ops, "; "), "weight 10.96.0.10:80/TCP 10.244.1.11:8080 0; rules; delete-real 10.96.0.10:80/TCP 10.244.1.11:8080"; got != want {
		t.Errorf("removal: %s, want %s", got, want)
	}
}

func TestHooksInRestore(t *testing.T) {
	saved := "*nat\n-A PREROUTING -m comment --comment \"nodenet ipvs\" -j NODENET-IPVS-SERVICES\nCOMMIT\n"
	missing := ipvs.MissingHooks(saved)
	if len(missing) != len(ipvs.Hooks)-1 {
		t.Fatalf("missing %v", missing)
	}
	out := (&ipvs.RuleSpec{MasqueradeMark: 0x4000}).Render(missing...)
	for _, want := range []string{
		"-I OUTPUT 1 -m comment --comment \"nodenet ipvs\" -j NODENET-IPVS-SERVICES\n",
		"-I POSTROUTING 1 -m comment --comment \"nodenet ipvs\" -j NODENET-IPVS-POSTROUTING\nCOMMIT\n*filter",
		"-I INPUT 1 -m comment --comment \"nodenet ipvs\" -j NODENET-IPVS-FIREWALL\nCOMMIT\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("payload lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-I PREROUTING") {
		t.Error("a present hook inserted again")
	}
}

// An endpoint change that moves no set member leaves the rules alone.
func TestEndpointChangeKeepsRules(t *testing.T) {
	w := newWorld(t, ipvs.Config{})
	web := spn("ns", "web", v1.ProtocolTCP)
	w.service(web, proxy.ServicePort{ClusterIPs: addrs("10.96.0.10")}, "10.244.2.10")
	w.sync(true)
	applies := w.rules.Applies
	w.endpoints(web, "10.244.2.11")
	w.sync(false, web)
	if w.rules.Applies != applies {
		t.Error("rules applied for a remote endpoint's change")
	}
	w.table.Endpoints[web][0].IsLocal = true // now a hairpin member
	w.sync(false, web)
	if w.rules.Applies != applies+1 {
		t.Error("rules not applied for a local endpoint")
	}
}
