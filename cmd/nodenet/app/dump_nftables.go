package app

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/agent/serve"
	"github.com/nodenet/nodenet/nftables"
)

func newDumpNFTablesCommand() *cobra.Command {
	opts := dumpOptions{Server: "127.0.0.1:10249"}
	family := ""
	cmd := &cobra.Command{
		Use:   "nftables",
		Short: "Print nodenet's nftables objects, grouped by Service port",
		Long: `Print, for each Service port, the objects of nodenet's nftables table (the
nftables proxy mode) that serve it, read from the kernel: its chains with their
rules, its elements in the dispatch maps (ClusterIP, external IPs, NodePorts,
source ranges, no-endpoint rejects) and its endpoints in the endpoint maps.
Chains and most elements name their Service; elements that do not (cluster-ips,
no-endpoint maps) are matched with the running agent's frontends (--server);
without an agent they are listed as unattributed, with a warning. Needs root.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			families, err := dumpFamilies(family)
			if err != nil {
				return err
			}
			agentView, err := fetchDump(cmd.Context(), opts.Server)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Warning: elements that name no chain stay unattributed (%v).\n", err)
			}
			view := nftablesView{ServicePorts: []nftablesPortView{}}
			for _, fam := range families {
				listing, err := readNFTables(cmd.ErrOrStderr(), fam, len(families) > 1)
				if err != nil {
					return err
				}
				view.add(fam, nftables.ParseListing(listing), agentView)
			}
			return printView(cmd.OutOrStdout(), view, opts.Output, formatNFTables)
		},
	}
	cmd.Flags().StringVar(&family, "ip-family", family, "IPv4 or IPv6: print that family only. Empty: every usable family.")
	cmd.Flags().StringVar(&opts.Server, "server", opts.Server, "Address (host:port or URL) of the agent's metrics server, for the elements that name no chain.")
	addOutputFlag(cmd, &opts.Output)
	return cmd
}

// readNFTables lists family's nodenet table; an unusable family is an
// error only when asked for by name (as in `dump rules`).
func readNFTables(errw io.Writer, fam v1.IPFamily, quiet bool) (string, error) {
	if err := (nftables.Mode{}).Usable(fam); err != nil {
		if !quiet {
			return "", fmt.Errorf("reading %s nftables: %w", fam, err)
		}
		fmt.Fprintf(errw, "Skipped %s: nftables is not usable here (%v).\n", fam, err)
		return "", nil
	}
	listing, err := nftables.SaveRules(fam)
	if err != nil {
		return "", fmt.Errorf("reading %s nftables: %w", fam, err)
	}
	return listing, nil
}

// nftablesView is `nodenet dump nftables -o json`.
type nftablesView struct {
	ServicePorts []nftablesPortView `json:"servicePorts"`
	// Unattributed are elements no Service port of the agent claims
	// (hairpin pairs, affinity clients, or no agent to ask).
	Unattributed []nftablesElementView `json:"unattributed,omitempty"`
}

type nftablesPortView struct {
	Family string `json:"family"`
	// Service is "namespace/name"; PortName "" for an unnamed port.
	Service  string              `json:"service"`
	PortName string              `json:"portName"`
	Protocol string              `json:"protocol"`
	Chains   []nftablesChainView `json:"chains"`
	// Elements are the port's elements in the table's maps and sets.
	Elements []nftablesElementView `json:"elements"`
}

type nftablesChainView struct {
	Name  string   `json:"name"`
	Rules []string `json:"rules"`
}

type nftablesElementView struct {
	Family string `json:"family,omitempty"`
	// Container is the map or set; Element as nft lists it.
	Container string `json:"container"`
	Element   string `json:"element"`
}

// add groups one family's listing by Service port.
func (v *nftablesView) add(fam v1.IPFamily, l *nftables.TableListing, agent serve.DumpView) {
	ports, other := l.ByServicePort(nftablesFrontends(agent))
	for _, p := range ports {
		pv := nftablesPortView{Family: string(fam), Chains: []nftablesChainView{}, Elements: []nftablesElementView{}}
		pv.Service, pv.Protocol, pv.PortName = splitPortID(p.Port)
		for _, c := range p.Chains {
			pv.Chains = append(pv.Chains, nftablesChainView{Name: c.Name, Rules: c.Rules})
		}
		for _, e := range p.Elements {
			pv.Elements = append(pv.Elements, nftablesElementView{Container: e.Container, Element: e.Element})
		}
		v.ServicePorts = append(v.ServicePorts, pv)
	}
	for _, e := range other {
		v.Unattributed = append(v.Unattributed, nftablesElementView{Family: string(fam), Container: e.Container, Element: e.Element})
	}
}

// nftablesPortID is a Service port as nftables object names carry it:
// "namespace/name/protocol/port" (nftables/names.go).
func nftablesPortID(sp serve.ServicePortView) string {
	return sp.Service + "/" + strings.ToLower(sp.Protocol) + "/" + sp.PortName
}

// splitPortID is nftablesPortID reversed.
func splitPortID(id string) (service, protocol, port string) {
	parts := strings.Split(id, "/")
	if len(parts) != 4 {
		return id, "", ""
	}
	return parts[0] + "/" + parts[1], strings.ToUpper(parts[2]), parts[3]
}

// nftablesFrontends are the agent's frontends as nft lists element keys:
// "addr . proto . port" in the address-keyed maps, "proto . port" in the
// NodePort maps, the bare ClusterIP in cluster-ips (shared by the ports of
// one ClusterIP).
func nftablesFrontends(agent serve.DumpView) map[string][]string {
	out := map[string][]string{}
	for _, sp := range agent.ServicePorts {
		id := nftablesPortID(sp)
		proto, port := strings.ToLower(sp.Protocol), strconv.Itoa(int(sp.Port))
		for _, list := range [][]string{sp.ClusterIPs, sp.ExternalIPs, sp.LoadBalancerIPs} {
			for _, ip := range list {
				if a, err := netip.ParseAddr(ip); err == nil {
					key := a.String() + " . " + proto + " . " + port
					out[key] = append(out[key], id)
				}
			}
		}
		for _, ip := range sp.ClusterIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				out[a.String()] = append(out[a.String()], id)
			}
		}
		if sp.NodePort != 0 {
			key := proto + " . " + strconv.Itoa(int(sp.NodePort))
			out[key] = append(out[key], id)
		}
	}
	return out
}

// formatNFTables renders the view for a human, one block per Service port:
//
//	default/web:http TCP (IPv4)
//	  chain svc-…-default/web/tcp/http
//	    meta l4proto tcp dnat ip to numgen random mod 2 offset 0 map @eps-tcp-3a
//	  service-ips  10.96.0.10 . tcp . 80 : goto svc-…-default/web/tcp/http
//	  eps-tcp-3a   0 : 10.244.1.2 . 8080
//
// Wide adds nothing: rules are printed whole.
func formatNFTables(view nftablesView, _ bool) string {
	if len(view.ServicePorts) == 0 && len(view.Unattributed) == 0 {
		return "No nodenet nftables objects.\n"
	}
	var b strings.Builder
	for i, p := range view.ServicePorts {
		if i > 0 {
			b.WriteByte('\n')
		}
		title := p.Service
		if p.PortName != "" {
			title += ":" + p.PortName
		}
		fmt.Fprintf(&b, "%s %s (%s)\n", title, p.Protocol, p.Family)
		for _, c := range p.Chains {
			fmt.Fprintf(&b, "  chain %s\n", c.Name)
			for _, r := range c.Rules {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		writeNFTElements(&b, p.Elements)
	}
	if len(view.Unattributed) > 0 {
		if len(view.ServicePorts) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("unattributed\n")
		writeNFTElements(&b, view.Unattributed)
	}
	return b.String()
}

func writeNFTElements(b *strings.Builder, els []nftablesElementView) {
	width := 0
	for _, e := range els {
		width = max(width, len(e.Container))
	}
	for _, e := range els {
		fmt.Fprintf(b, "  %-*s  %s\n", width, e.Container, e.Element)
	}
}
