package ipvstest

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/nodenet/nodenet/ipvs"
)

// Addrs is a fake ipvs.Addrs: binding needs the dummy interface, deleting
// it drops its addresses.
type Addrs struct {
	mu    sync.Mutex
	dummy bool
	bound map[netip.Addr]bool
	// Binds and Unbinds count the changes made.
	Binds, Unbinds int
}

// NewAddrs returns a fake with no dummy interface.
func NewAddrs() *Addrs { return &Addrs{bound: map[netip.Addr]bool{}} }

func (a *Addrs) EnsureDummy() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dummy = true
	return nil
}

func (a *Addrs) Bound() ([]netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []netip.Addr
	for ip := range a.bound {
		out = append(out, ip)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out, nil
}

func (a *Addrs) Bind(ip netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dummy {
		return fmt.Errorf("binding %s: %s missing", ip, ipvs.DummyName)
	}
	if !a.bound[ip] {
		a.Binds++
	}
	a.bound[ip] = true
	return nil
}

func (a *Addrs) Unbind(ip netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bound[ip] {
		a.Unbinds++
	}
	delete(a.bound, ip)
	return nil
}

func (a *Addrs) DeleteDummy() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dummy = false
	a.bound = map[netip.Addr]bool{}
	return nil
}

// HasDummy says whether the dummy interface exists.
func (a *Addrs) HasDummy() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dummy
}

// Sysctls is a fake ipvs.Sysctls: it records the values written.
type Sysctls struct {
	mu     sync.Mutex
	Values map[string]string
}

// NewSysctls returns an empty fake.
func NewSysctls() *Sysctls { return &Sysctls{Values: map[string]string{}} }

func (s *Sysctls) Set(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Values[key] = value
	return nil
}
