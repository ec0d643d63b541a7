package portfilter

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// ifNameKey is an interface name as an nftables ifname key: NUL-padded to
// IFNAMSIZ.
func ifNameKey(name string) []byte {
	k := make([]byte, unix.IFNAMSIZ)
	copy(k, name)
	return k
}

// Enrol filters the host veth port: it joins the ports set with its
// addresses, in one transaction (an enrolled port without addresses
// would drop the pod's traffic). The table is made or repaired first when
// its chain is not whole.
func Enrol(port string, addrs []net.IPNet) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	if err := ensurePortFilter(c); err != nil {
		return err
	}
	sets := portFilterSets()
	key := ifNameKey(port)
	if err := c.SetAddElements(sets[portSet], []nftables.SetElement{{Key: key}}); err != nil {
		return fmt.Errorf("enrolling port %s: %w", port, err)
	}
	for _, a := range addrs {
		set, addr := sets[portAddrs6Set], a.IP.To16()
		if ip4 := a.IP.To4(); ip4 != nil {
			set, addr = sets[portAddrs4Set], ip4
		}
		el := nftables.SetElement{Key: append(append([]byte{}, key...), addr...)}
		if err := c.SetAddElements(set, []nftables.SetElement{el}); err != nil {
			return fmt.Errorf("adding %s of port %s: %w", a.IP, port, err)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("enrolling port %s in table bridge %s: %w", port, portTable, err)
	}
	return nil
}

// ensurePortFilter makes the table whole unless its chain already has
// every rule. One transaction declares the table, the sets (kept if they
// exist, elements and all), the chain, flushes the chain and adds the
// rules: concurrent first ADDs each commit a whole chain, never a doubled
// one.
func ensurePortFilter(c *nftables.Conn) error {
	chain := portFilterChain()
	if rules, err := c.GetRules(filterTable, chain); err == nil && len(rules) == len(filterRules()) {
		return nil
	}
	c.AddTable(filterTable)
	for _, s := range portFilterSets() {
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("declaring set %s: %w", s.Name, err)
		}
	}
	c.AddChain(chain)
	c.FlushChain(chain)
	for _, exprs := range filterRules() {
		c.AddRule(&nftables.Rule{Table: filterTable, Chain: chain, Exprs: exprs})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("making table bridge %s: %w", portTable, err)
	}
	return nil
}

func portFilterChain() *nftables.Chain {
	return &nftables.Chain{
		Name: portChain, Table: filterTable, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRef(-300),
	}
}

// portFilterSets are fresh copies: AddSet assigns IDs into its argument.
func portFilterSets() map[string]*nftables.Set {
	out := map[string]*nftables.Set{}
	for _, s := range filterSets {
		c := *s
		out[s.Name] = &c
	}
	return out
}

// ForgetIf removes ports and their addresses from the filter (DEL,
// GC). A missing table means nothing to forget.
func ForgetIf(drop func(port string) bool) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	if exists, err := portFilterExists(c); err != nil || !exists {
		return err
	}
	var errs []error
	for _, s := range portFilterSets() {
		els, err := c.GetSetElements(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("listing set %s: %w", s.Name, err))
			continue
		}
		var gone []nftables.SetElement
		for _, el := range els {
			if len(el.Key) >= unix.IFNAMSIZ && drop(string(bytes.TrimRight(el.Key[:unix.IFNAMSIZ], "\x00"))) {
				gone = append(gone, nftables.SetElement{Key: el.Key})
			}
		}
		if len(gone) == 0 {
			continue
		}
		if err := c.SetDeleteElements(s, gone); err != nil {
			errs = append(errs, fmt.Errorf("removing from set %s: %w", s.Name, err))
		}
	}
	if err := c.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("forgetting ports in table bridge %s: %w", portTable, err))
	}
	return errors.Join(errs...)
}

// Forget is DEL's ForgetIf.
func Forget(port string) error {
	return ForgetIf(func(p string) bool { return p == port })
}

// portFilterExists tells whether the table is there. google/nftables
// does not wrap the kernel's ENOENT for a missing set, so absence is
// asked for rather than inferred from an error.
func portFilterExists(c *nftables.Conn) (bool, error) {
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyBridge)
	if err != nil {
		return false, fmt.Errorf("listing bridge tables: %w", err)
	}
	for _, t := range tables {
		if t.Name == portTable {
			return true, nil
		}
	}
	return false, nil
}

// Ports returns the enrolled (address → host veth) pairs of the current
// network namespace; none when the table does not exist.
func Ports() (map[netip.Addr]string, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	out := map[netip.Addr]string{}
	if exists, err := portFilterExists(c); err != nil || !exists {
		return out, err
	}
	sets := portFilterSets()
	for _, name := range []string{portAddrs4Set, portAddrs6Set} {
		els, err := c.GetSetElements(sets[name])
		if err != nil {
			return nil, fmt.Errorf("listing set %s: %w", name, err)
		}
		for _, el := range els {
			if len(el.Key) <= unix.IFNAMSIZ {
				continue
			}
			if addr, ok := netip.AddrFromSlice(el.Key[unix.IFNAMSIZ:]); ok {
				out[addr] = string(bytes.TrimRight(el.Key[:unix.IFNAMSIZ], "\x00"))
			}
		}
	}
	return out, nil
}
