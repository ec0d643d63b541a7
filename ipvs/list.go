package ipvs

import (
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// VirtualServerState is one virtual server as the kernel has it, with its
// real servers (weights and connection counts), for dumps.
type VirtualServerState struct {
	VirtualServer
	Reals []RealServer
}

// List reads family's virtual servers (every program's: the caller labels
// them) with their real servers, sorted by address then real server, so
// that two dumps of the same state are identical.
func List(k Kernel, family v1.IPFamily) ([]VirtualServerState, error) {
	vss, err := k.VirtualServers()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(vss, func(a, b VirtualServer) int { return strings.Compare(a.ServiceKey.String(), b.ServiceKey.String()) })
	var out []VirtualServerState
	for _, vs := range vss {
		if vs.Addr.Is4() != (family != v1.IPv6Protocol) {
			continue
		}
		reals, err := k.RealServers(vs.ServiceKey)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(reals, func(a, b RealServer) int { return a.AddrPort().Compare(b.AddrPort()) })
		out = append(out, VirtualServerState{VirtualServer: vs, Reals: reals})
	}
	return out, nil
}
