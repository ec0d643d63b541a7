// Package podroutestest holds a stateful fake of podroutes.Kernel.
package podroutestest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/nodenet/nodenet/podroutes"
)

// Kernel keeps the routes like the main routing table does and, like the
// kernel, refuses a gateway that is not inside a connected subnet
// (ENETUNREACH): the case of nodes not on one L2 segment.
type Kernel struct {
	mu        sync.Mutex
	connected []netip.Prefix
	routes    map[netip.Prefix]netip.Addr
}

// New returns a kernel whose node has addresses in the connected prefixes.
func New(connected ...netip.Prefix) *Kernel {
	return &Kernel{connected: connected, routes: map[netip.Prefix]netip.Addr{}}
}

var _ podroutes.Kernel = (*Kernel)(nil)

func (k *Kernel) Routes() ([]podroutes.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []podroutes.Route
	for dst, via := range k.routes {
		out = append(out, podroutes.Route{Dst: dst, Via: via})
	}
	return out, nil
}

func (k *Kernel) Replace(r podroutes.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !r.Dst.IsValid() || r.Dst != r.Dst.Masked() || r.Dst.Addr().Is4() != r.Via.Is4() {
		return fmt.Errorf("route %s via %s: %w", r.Dst, r.Via, syscall.EINVAL)
	}
	if !slices.ContainsFunc(k.connected, func(p netip.Prefix) bool { return p.Contains(r.Via) }) {
		return fmt.Errorf("route %s via %s: %w", r.Dst, r.Via, syscall.ENETUNREACH)
	}
	k.routes[r.Dst] = r.Via
	return nil
}

func (k *Kernel) Delete(r podroutes.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if via, ok := k.routes[r.Dst]; ok && via == r.Via {
		delete(k.routes, r.Dst)
	}
	return nil
}

// DeleteByHand removes the route to dst as an operator would (`ip route
// del`), for repair tests.
func (k *Kernel) DeleteByHand(dst netip.Prefix) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.routes, dst)
}

// Dump lists the routes as `ip route` would, sorted: "<dst> via <gw>".
func (k *Kernel) Dump() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	lines := make([]string, 0, len(k.routes))
	for dst, via := range k.routes {
		lines = append(lines, fmt.Sprintf("%s via %s", dst, via))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
