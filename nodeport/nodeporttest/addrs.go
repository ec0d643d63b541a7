// Package nodeporttest holds test doubles for package nodeport.
package nodeporttest

import (
	"net/netip"
	"sync"
)

// Addrs is a nodeport.AddrLister with the addresses a test gives it;
// Set replaces them (an address added to or removed from the node).
type Addrs struct {
	mu    sync.Mutex
	addrs []netip.Addr
	err   error
}

// NewAddrs returns a lister of addrs.
func NewAddrs(addrs ...netip.Addr) *Addrs { return &Addrs{addrs: addrs} }

// Set replaces the node's addresses.
func (a *Addrs) Set(addrs ...netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addrs = addrs
}

// Fail makes LocalAddrs return err (nil: succeed again).
func (a *Addrs) Fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

// LocalAddrs implements nodeport.AddrLister.
func (a *Addrs) LocalAddrs() ([]netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	return append([]netip.Addr(nil), a.addrs...), nil
}
