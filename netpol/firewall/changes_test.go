package firewall

import (
	"github.com/nodenet/nodenet/netpol"
)

// modelChange is one edit of the cluster, applied in order.
type modelChange struct {
	name  string
	apply func(in *netpol.Input)
}

func modelChanges() []modelChange {
	return []modelChange{
		{"remote pod added", func(in *netpol.Input) {
			in.Pods = append(in.Pods, pod("x", "rb2", "n2", "10.2.0.11", "app=b"))
		}},
		{"local pod relabelled from b to a", func(in *netpol.Input) {
			setLabel(in, "x", "b", "app", "a")
		}},
		{"local pod added", func(in *netpol.Input) {
			in.Pods = append(in.Pods, pod("y", "c2", thisNode, "10.1.0.21", "app=c"))
		}},
		{"local pod deleted", func(in *netpol.Input) {
			deletePod(in, "x", "a")
		}},
		{"policy deleted", func(in *netpol.Input) {
			in.Policies = in.Policies[1:]
		}},
		{"every policy deleted", func(in *netpol.Input) {
			in.Policies = nil
		}},
		{"policies back", func(in *netpol.Input) {
			in.Policies = testPolicies()
		}},
	}
}

func setLabel(in *netpol.Input, ns, name, key, value string) {
	for i := range in.Pods {
		if p := &in.Pods[i]; p.Namespace == ns && p.Name == name {
			p.Labels = map[string]string{key: value}
		}
	}
}

func deletePod(in *netpol.Input, ns, name string) {
	out := in.Pods[:0]
	for _, p := range in.Pods {
		if p.Namespace != ns || p.Name != name {
			out = append(out, p)
		}
	}
	in.Pods = out
}
