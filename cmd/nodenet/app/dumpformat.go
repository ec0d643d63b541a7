package app

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nodenet/nodenet/agent/serve"
)

// noEndpoints is printed for a Service port with no endpoints: kube-proxy
// semantics, which nodenet keeps, are to reject (ICMP/RST) its traffic.
const noEndpoints = "no endpoints: connections are rejected"

// formatDump renders view for a human, one block per Service port:
//
//	default/web:http TCP
//	  ClusterIP     10.96.0.10:80
//	  NodePort      *:30080
//	  -> 10.244.1.2:8080  ready  node-a
//
// Wide adds each Service port's traffic policies, affinity and source
// ranges, and each endpoint's zone and whether it gets new connections
// (targets). It is pure so that the layout is pinned by a golden test.
func formatDump(view serve.DumpView, wide bool) string {
	if len(view.ServicePorts) == 0 {
		return "No Service ports programmed.\n"
	}
	var b strings.Builder
	for i, sp := range view.ServicePorts {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeServicePort(&b, sp, wide)
	}
	return b.String()
}

func writeServicePort(b *strings.Builder, sp serve.ServicePortView, wide bool) {
	fmt.Fprintf(b, "%s %s\n", servicePortTitle(sp), sp.Protocol)
	if wide {
		for _, line := range servicePortPolicies(sp) {
			fmt.Fprintf(b, "  %s\n", line)
		}
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, f := range frontends(sp) {
		fmt.Fprintf(tw, "  %s\t%s\n", f.kind, f.address)
	}
	// Flushing ends the column block: frontends and endpoints align
	// separately.
	_ = tw.Flush() // writes to a strings.Builder cannot fail
	if len(sp.Endpoints) == 0 {
		fmt.Fprintf(b, "  %s\n", noEndpoints)
	}
	for _, ep := range sp.Endpoints {
		fmt.Fprintf(tw, "  -> %s\t%s\t%s", ep.Address, endpointState(ep), nodeOrDash(ep.NodeName))
		if wide {
			fmt.Fprintf(tw, "\t%s\t%s", orDash(ep.Zone), endpointTargets(ep))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}

// servicePortTitle is "namespace/name:port", or "namespace/name" for an
// unnamed port, as kubectl users name it.
func servicePortTitle(sp serve.ServicePortView) string {
	if sp.PortName == "" {
		return sp.Service
	}
	return sp.Service + ":" + sp.PortName
}

type frontend struct{ kind, address string }

// frontends lists every address:port the Service port is reachable on.
func frontends(sp serve.ServicePortView) []frontend {
	port := strconv.Itoa(int(sp.Port))
	var out []frontend
	for _, ip := range sp.ClusterIPs {
		out = append(out, frontend{"ClusterIP", net.JoinHostPort(ip, port)})
	}
	if sp.NodePort != 0 {
		out = append(out, frontend{"NodePort", "*:" + strconv.Itoa(int(sp.NodePort))})
	}
	for _, ip := range sp.ExternalIPs {
		out = append(out, frontend{"ExternalIP", net.JoinHostPort(ip, port)})
	}
	for _, ip := range sp.LoadBalancerIPs {
		out = append(out, frontend{"LoadBalancer", net.JoinHostPort(ip, port)})
	}
	return out
}

// endpointState folds the EndpointSlice conditions into one word. A
// terminating endpoint that still serves is called out: kube-proxy only
// sends it traffic when no endpoint is ready.
func endpointState(ep serve.EndpointView) string {
	switch {
	case ep.Ready:
		return "ready"
	case ep.Terminating && ep.Serving:
		return "terminating,serving"
	case ep.Terminating:
		return "terminating"
	default:
		return "not-ready"
	}
}

func nodeOrDash(node string) string { return orDash(node) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// servicePortPolicies are the wide lines that say how the port treats a
// packet: traffic policies, affinity, source ranges, topology.
func servicePortPolicies(sp serve.ServicePortView) []string {
	var out []string
	if sp.ExternalTrafficPolicyLocal {
		line := "externalTrafficPolicy: Local"
		if sp.HealthCheckNodePort != 0 {
			line += fmt.Sprintf(" (health check on node port %d)", sp.HealthCheckNodePort)
		}
		out = append(out, line)
	}
	if sp.InternalTrafficPolicyLocal {
		out = append(out, "internalTrafficPolicy: Local")
	}
	if sp.SessionAffinitySeconds > 0 {
		out = append(out, fmt.Sprintf("sessionAffinity: ClientIP (%ds)", sp.SessionAffinitySeconds))
	}
	if len(sp.LoadBalancerSourceRanges) > 0 {
		out = append(out, "loadBalancerSourceRanges: "+strings.Join(sp.LoadBalancerSourceRanges, ", "))
	}
	if sp.TopologyAware {
		out = append(out, "topology-aware routing")
	}
	if len(sp.ShadowedClusterIPs) > 0 {
		out = append(out, "shadowed (an older Service owns them): "+strings.Join(sp.ShadowedClusterIPs, ", "))
	}
	return out
}

// endpointTargets says which traffic policies send the endpoint new
// connections: "cluster", "local", both, or "none".
func endpointTargets(ep serve.EndpointView) string {
	var out []string
	if ep.Target {
		out = append(out, "cluster")
	}
	if ep.LocalTarget {
		out = append(out, "local")
	}
	if len(out) == 0 {
		return "none"
	}
	return "targets:" + strings.Join(out, ",")
}
