package packettrace

import (
	"fmt"
	"net/netip"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/netpol"
	"github.com/nodenet/nodenet/netpol/netpolview"
)

// ModelPolicy is the verdict of a NetworkPolicy model computed here (the
// offline trace); a running agent's comes from its /netpol/trace.
type ModelPolicy struct{ Model *netpol.Model }

// Verdict: see Policy.
func (p ModelPolicy) Verdict(src, dst netip.Addr, port int32, protocol v1.Protocol) (bool, []string, error) {
	view, err := netpolview.Trace(p.Model, TraceQuery(src, dst, port, protocol))
	return view.Allowed, view.Reasons, err
}

// TraceQuery is the NetworkPolicy trace's question for one connection.
func TraceQuery(src, dst netip.Addr, port int32, protocol v1.Protocol) netpolview.TraceQuery {
	return netpolview.TraceQuery{From: src.String(), To: dst.String(), Port: fmt.Sprintf("%d/%s", port, protocol)}
}
