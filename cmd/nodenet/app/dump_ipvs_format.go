package app

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// formatIPVS renders the IPVS view for a human, one block per virtual
// server, ipvsadm -Ln's numbers with the Service's name:
//
//	TCP 10.96.0.10:80  rr  default/web:http  ClusterIP
//	  -> 10.244.1.2:8080  weight 1  active 2  inactive 0
//
// Wide adds nothing yet: every column fits the table.
func formatIPVS(view ipvsView, _ bool) string {
	if len(view.VirtualServers) == 0 {
		return "No IPVS virtual servers.\n"
	}
	var b strings.Builder
	for i, vs := range view.VirtualServers {
		if i > 0 {
			b.WriteByte('\n')
		}
		sched := vs.Scheduler
		if vs.PersistenceSeconds > 0 {
			sched += fmt.Sprintf(" persistent %ds", vs.PersistenceSeconds)
		}
		fmt.Fprintf(&b, "%s %s  %s  %s  %s\n", vs.Protocol, vs.Address, sched, orDash(vs.Service), orDash(vs.Frontend))
		if len(vs.RealServers) == 0 {
			b.WriteString("  no real servers: connections are refused\n")
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, rs := range vs.RealServers {
			fmt.Fprintf(tw, "  -> %s\tweight %d\tactive %d\tinactive %d\n", rs.Address, rs.Weight, rs.ActiveConns, rs.InactiveConns)
		}
		_ = tw.Flush() // writes to a strings.Builder cannot fail
	}
	return b.String()
}
