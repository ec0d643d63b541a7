package controller

import (
	"cmp"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nodenet/nodenet/netpol"
)

// sortInput orders the snapshot: Compute does not need it, but a stable
// order keeps logs, dumps and tests independent of map iteration.
func sortInput(in *netpol.Input) {
	slices.SortFunc(in.Pods, func(a, b netpol.Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(in.Namespaces, func(a, b netpol.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(in.Policies, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}
