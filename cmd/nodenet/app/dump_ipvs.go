package app

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/ipvs"
)

func newDumpIPVSCommand() *cobra.Command {
	opts := dumpOptions{Server: "127.0.0.1:10249"}
	family := ""
	cmd := &cobra.Command{
		Use:   "ipvs",
		Short: "Print the kernel's IPVS virtual and real servers, labelled with their Services",
		Long: `Print each IPVS virtual server of this node's kernel with its real servers,
their weights and active/inactive connection counts (read from the kernel, as
ipvsadm -Ln does), each labelled with the Service port and frontend kind it
serves. The labels come from the running agent's /dump (--server); without an
agent the servers are printed unlabelled, with a warning. Needs root.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			families, err := dumpFamilies(family)
			if err != nil {
				return err
			}
			var states []ipvs.VirtualServerState
			for _, fam := range families {
				s, err := readIPVS(cmd.ErrOrStderr(), fam, len(families) > 1)
				if err != nil {
					return err
				}
				states = append(states, s...)
			}
			agentView, err := fetchDump(cmd.Context(), opts.Server)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Warning: no Service names (%v).\n", err)
			}
			return printView(cmd.OutOrStdout(), newIPVSView(states, agentView), opts.Output, formatIPVS)
		},
	}
	cmd.Flags().StringVar(&family, "ip-family", family, "IPv4 or IPv6: print that family only. Empty: every usable family.")
	cmd.Flags().StringVar(&opts.Server, "server", opts.Server, "Address (host:port or URL) of the agent's metrics server, for the Service names.")
	addOutputFlag(cmd, &opts.Output)
	return cmd
}

// readIPVS lists family's virtual servers; an unusable family is an
// error only when asked for by name (as in `dump rules`).
func readIPVS(errw io.Writer, fam v1.IPFamily, quiet bool) ([]ipvs.VirtualServerState, error) {
	if err := (ipvs.Mode{}).Usable(fam); err != nil {
		if !quiet {
			return nil, fmt.Errorf("reading %s IPVS: %w", fam, err)
		}
		fmt.Fprintf(errw, "Skipped %s: IPVS is not usable here (%v).\n", fam, err)
		return nil, nil
	}
	k, err := ipvs.NewKernel("")
	if err != nil {
		return nil, err
	}
	states, err := ipvs.List(k, fam)
	if err != nil {
		return nil, fmt.Errorf("reading %s IPVS: %w", fam, err)
	}
	return states, nil
}

// ipvsView is `nodenet dump ipvs -o json`: the kernel's virtual servers
// with the Service port and frontend kind each serves.
type ipvsView struct {
	VirtualServers []ipvsVirtualServerView `json:"virtualServers"`
}

type ipvsVirtualServerView struct {
	// Address is "addr:port" ("[addr]:port" for IPv6).
	Address            string `json:"address"`
	Protocol           string `json:"protocol"`
	Scheduler          string `json:"scheduler"`
	PersistenceSeconds uint32 `json:"persistenceSeconds,omitempty"`
	// Service is "namespace/name:port" ("namespace/name" for an unnamed
	// port); empty when the agent names no Service port with this
	// frontend (another program's virtual server, or no agent).
	Service string `json:"service,omitempty"`
	// Frontend is ClusterIP, NodePort, ExternalIP or LoadBalancer.
	Frontend    string               `json:"frontend,omitempty"`
	RealServers []ipvsRealServerView `json:"realServers"`
}

type ipvsRealServerView struct {
	Address       string `json:"address"`
	Weight        int    `json:"weight"`
	ActiveConns   int    `json:"activeConns"`
	InactiveConns int    `json:"inactiveConns"`
}

// newIPVSView labels the kernel's virtual servers with the agent's
// Service ports: an exact frontend address first, else a NodePort (which
// IPVS serves on every NodePort address of the node).
func newIPVSView(states []ipvs.VirtualServerState, agent serve.DumpView) ipvsView {
	labels := ipvsLabels(agent)
	view := ipvsView{VirtualServers: []ipvsVirtualServerView{}}
	for _, vs := range states {
		v := ipvsVirtualServerView{Address: netip.AddrPortFrom(vs.Addr, vs.Port).String(), Protocol: string(vs.Protocol),
			Scheduler: vs.Scheduler, PersistenceSeconds: vs.PersistenceSeconds, RealServers: []ipvsRealServerView{}}
		l, ok := labels[vs.ServiceKey]
		if !ok {
			l = labels[ipvs.ServiceKey{Port: vs.Port, Protocol: vs.Protocol}]
		}
		v.Service, v.Frontend = l.service, l.kind
		for _, rs := range vs.Reals {
			v.RealServers = append(v.RealServers, ipvsRealServerView{Address: rs.AddrPort().String(), Weight: rs.Weight,
				ActiveConns: rs.ActiveConns, InactiveConns: rs.InactiveConns})
		}
		view.VirtualServers = append(view.VirtualServers, v)
	}
	return view
}

type ipvsLabel struct{ service, kind string }

// ipvsLabels indexes the agent's frontends by virtual server; NodePorts
// under the zero address (any node address).
func ipvsLabels(agent serve.DumpView) map[ipvs.ServiceKey]ipvsLabel {
	out := map[ipvs.ServiceKey]ipvsLabel{}
	for _, sp := range agent.ServicePorts {
		title, proto := servicePortTitle(sp), v1.Protocol(sp.Protocol)
		add := func(kind string, ips []string) {
			for _, ip := range ips {
				if a, err := netip.ParseAddr(ip); err == nil {
					out[ipvs.ServiceKey{Addr: a, Port: uint16(sp.Port), Protocol: proto}] = ipvsLabel{title, kind}
				}
			}
		}
		add("ClusterIP", sp.ClusterIPs)
		add("ExternalIP", sp.ExternalIPs)
		add("LoadBalancer", sp.LoadBalancerIPs)
		if sp.NodePort != 0 {
			out[ipvs.ServiceKey{Port: uint16(sp.NodePort), Protocol: proto}] = ipvsLabel{title, "NodePort"}
		}
	}
	return out
}
