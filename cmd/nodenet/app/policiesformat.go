package app

import (
	"fmt"
	"strings"

	"github.com/nodenet/nodenet/netpol/netpolview"
)

// maxListed bounds the pods and addresses printed for one peer: a
// namespace-wide peer may hold thousands (-o json has them all).
const maxListed = 5

// formatPolicies renders view for a human, one block per local pod:
//
//	x/db 10.1.0.10
//	  ingress: isolated by x/db-allow
//	    allow from pods x/api (10.2.0.10) ports TCP:5432 (x/db-allow)
//	  egress: not isolated (all allowed)
//
// then the invalid policies, if any. Wide lists every pod and address of a
// peer, and names the peer's address set and where it comes from. It is
// pure so that a golden test pins the layout.
func formatPolicies(view netpolview.PoliciesView, wide bool) string {
	var b strings.Builder
	invalid := map[string]bool{}
	for _, p := range view.InvalidPolicies {
		invalid[p.Policy] = true
	}
	if len(view.Pods) == 0 {
		fmt.Fprintf(&b, "No pods on node %s.\n", view.Node)
	}
	for i, pod := range view.Pods {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s %s\n", pod.Pod, strings.Join(pod.IPs, ", "))
		writeDirection(&b, "ingress", "from", pod.Ingress, invalid, wide)
		writeDirection(&b, "egress", "to", pod.Egress, invalid, wide)
	}
	if len(view.InvalidPolicies) > 0 {
		b.WriteString("\nInvalid NetworkPolicies (they allow nothing, yet isolate the pods they select):\n")
		for _, p := range view.InvalidPolicies {
			fmt.Fprintf(&b, "  %s: %s\n", p.Policy, p.Error)
		}
	}
	return b.String()
}

func writeDirection(b *strings.Builder, name, preposition string, d netpolview.DirectionView, invalid map[string]bool, wide bool) {
	if !d.Isolated {
		fmt.Fprintf(b, "  %s: not isolated (all allowed)\n", name)
		return
	}
	by := make([]string, len(d.IsolatedBy))
	for i, p := range d.IsolatedBy {
		by[i] = p
		if invalid[p] {
			by[i] += " (invalid)"
		}
	}
	fmt.Fprintf(b, "  %s: isolated by %s\n", name, strings.Join(by, ", "))
	if len(d.Rules) == 0 {
		b.WriteString("    nothing allowed\n")
	}
	for _, r := range d.Rules {
		fmt.Fprintf(b, "    allow %s %s ports %s (%s)", preposition, describePeer(r.Peer, wide), describePorts(r.Ports), r.Policy)
		if wide && r.Peer.Name != "" {
			fmt.Fprintf(b, " [set %s: %s]", r.Peer.Name, r.Peer.Origin)
		}
		b.WriteByte('\n')
	}
}

func describePeer(p netpolview.PeerView, wide bool) string {
	limit := maxListed
	if wide {
		limit = len(p.Pods) + len(p.Addresses)
	}
	switch p.Kind {
	case "pods":
		if len(p.Pods) == 0 {
			return "pods (none match now)"
		}
		return fmt.Sprintf("pods %s (%s)", shortList(p.Pods, limit), shortList(p.Addresses, limit))
	case "ipBlock":
		if len(p.Except) == 0 {
			return p.CIDR
		}
		return fmt.Sprintf("%s except %s", p.CIDR, strings.Join(p.Except, ", "))
	}
	return p.Kind // "anywhere"
}

func describePorts(ports []netpolview.PortView) string {
	if len(ports) == 0 {
		return "any"
	}
	out := make([]string, len(ports))
	for i, p := range ports {
		switch {
		case p.Port == 0:
			out[i] = p.Protocol
		case p.EndPort == 0:
			out[i] = fmt.Sprintf("%s:%d", p.Protocol, p.Port)
		default:
			out[i] = fmt.Sprintf("%s:%d-%d", p.Protocol, p.Port, p.EndPort)
		}
	}
	return strings.Join(out, ", ")
}

// shortList joins at most limit items and says how many it left out.
func shortList(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, ... (+%d more)", strings.Join(items[:limit], ", "), len(items)-limit)
}
