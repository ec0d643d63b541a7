package firewall

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/nodenet/nodenet/netpol"
)

// TestGroupDestinationsDispatchOnThePort: broadcast and multicast go to
// the ingress chain of the pod behind the port they leave by, for every
// ingress-isolated pod whose port is known, and for no other pod.
func TestGroupDestinationsDispatchOnThePort(t *testing.T) {
	m := compute(t, testInput())
	ports := map[netip.Addr]string{}
	for i, pod := range m.SortedLocalPods() {
		for _, a := range pod.IPs {
			ports[a] = "nnvport" + string(rune('a'+i))
		}
	}
	d := render(m, Options{}, []bool{false, true}, ports)
	v4, v6 := d.chains[false], d.chains[true]
	wantHead := []string{
		"-d 255.255.255.255/32 -j NODENET-FW-GROUP",
		"-d 224.0.0.0/4 -j NODENET-FW-GROUP",
	}
	if got := v4[ingressChain][:len(wantHead)]; !slices.Equal(got, wantHead) {
		t.Errorf("IPv4 ingress dispatch starts with %q, want %q", got, wantHead)
	}
	if got := v6[ingressChain][0]; got != "-d ff00::/8 -j NODENET-FW-GROUP" {
		t.Errorf("IPv6 ingress dispatch starts with %q", got)
	}
	var isolated, open int
	for _, pod := range m.SortedLocalPods() {
		line := "-m physdev --physdev-out " + ports[pod.IPs[0]] + " -j " + podChain(pod.Pod, netpol.Ingress)
		has := slices.Contains(v4[groupChain], line)
		if pod.Ingress.Isolated {
			isolated++
		} else {
			open++
		}
		if has != pod.Ingress.Isolated {
			t.Errorf("%s (ingress isolated %t): group rule present %t", pod.Pod, pod.Ingress.Isolated, has)
		}
	}
	if isolated == 0 || open == 0 {
		t.Fatalf("the fixture needs isolated and open pods: %d, %d", isolated, open)
	}
	if d := render(m, Options{}, []bool{false}, nil); len(d.chains[false][groupChain]) != 0 {
		t.Errorf("without ports: group rules %q", d.chains[false][groupChain])
	}
}
