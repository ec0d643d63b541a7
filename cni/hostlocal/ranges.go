package hostlocal

import (
	"fmt"
	"math/big"
	"net"
)

func (s RangeSet) canonicalize() error {
	if len(s) == 0 {
		return fmt.Errorf("empty range set")
	}
	for i := range s {
		if err := s[i].canonicalize(); err != nil {
			return fmt.Errorf("range %d: %w", i, err)
		}
		if s[i].isV4() != s[0].isV4() {
			return fmt.Errorf("range %d: mixes address families within one range set", i)
		}
		for j := 0; j < i; j++ {
			if s[i].overlaps(&s[j]) {
				return fmt.Errorf("ranges %d and %d overlap", j, i)
			}
		}
	}
	return nil
}

func (s RangeSet) overlaps(o RangeSet) bool {
	for i := range s {
		for j := range o {
			if s[i].overlaps(&o[j]) {
				return true
			}
		}
	}
	return false
}

// rangeFor returns the index of the range holding ip, or -1.
func (s RangeSet) rangeFor(ip net.IP) int {
	for i := range s {
		if s[i].contains(ip) {
			return i
		}
	}
	return -1
}

func (r *Range) isV4() bool { return r.Subnet.IP.To4() != nil }

// canonicalize fills defaults the way the reference host-local does: the
// pool is the subnet minus network address (and broadcast for IPv4), the
// gateway defaults to the first address.
func (r *Range) canonicalize() error {
	if r.Subnet.IP == nil || r.Subnet.Mask == nil {
		return fmt.Errorf("missing subnet")
	}
	if v4 := r.Subnet.IP.To4(); v4 != nil {
		r.Subnet.IP = v4
		if len(r.Subnet.Mask) == net.IPv6len {
			r.Subnet.Mask = r.Subnet.Mask[12:]
		}
	}
	ones, bits := r.Subnet.Mask.Size()
	if bits == 0 || len(r.Subnet.IP)*8 != bits {
		return fmt.Errorf("subnet %s: mask does not match address family", (*net.IPNet)(&r.Subnet))
	}
	if ones > bits-2 {
		return fmt.Errorf("subnet %s too small to allocate from", (*net.IPNet)(&r.Subnet))
	}
	if !r.Subnet.IP.Equal(r.Subnet.IP.Mask(r.Subnet.Mask)) {
		return fmt.Errorf("subnet %s has host bits set", (*net.IPNet)(&r.Subnet))
	}
	first := addIP(r.Subnet.IP, 1)
	last := lastIP(net.IPNet(r.Subnet))
	if r.isV4() {
		last = addIP(last, -1) // broadcast
	}
	var err error
	if r.RangeStart, err = r.inSubnetOr(r.RangeStart, first, "rangeStart"); err != nil {
		return err
	}
	if r.RangeEnd, err = r.inSubnetOr(r.RangeEnd, last, "rangeEnd"); err != nil {
		return err
	}
	if cmpIP(r.RangeStart, r.RangeEnd) > 0 {
		return fmt.Errorf("rangeStart %s after rangeEnd %s", r.RangeStart, r.RangeEnd)
	}
	if r.Gateway, err = r.inSubnetOr(r.Gateway, first, "gateway"); err != nil {
		return err
	}
	return nil
}

func (r *Range) inSubnetOr(ip, def net.IP, key string) (net.IP, error) {
	if ip == nil {
		return def, nil
	}
	if r.isV4() {
		if ip.To4() == nil {
			return nil, fmt.Errorf("%s %s is not IPv4", key, ip)
		}
		ip = ip.To4()
	}
	if !(*net.IPNet)(&r.Subnet).Contains(ip) {
		return nil, fmt.Errorf("%s %s not in subnet %s", key, ip, (*net.IPNet)(&r.Subnet))
	}
	return ip, nil
}

// contains reports whether ip lies inside the allocatable pool.
func (r *Range) contains(ip net.IP) bool {
	if r.isV4() {
		if ip = ip.To4(); ip == nil {
			return false
		}
	} else if ip.To4() != nil {
		return false
	}
	return cmpIP(ip, r.RangeStart) >= 0 && cmpIP(ip, r.RangeEnd) <= 0
}

func (r *Range) overlaps(o *Range) bool {
	if r.isV4() != o.isV4() {
		return false
	}
	return r.contains(o.RangeStart) || r.contains(o.RangeEnd) || o.contains(r.RangeStart)
}

// size is the number of addresses in the pool, gateway included.
func (r *Range) size() *big.Int {
	n := new(big.Int).Sub(ipToInt(r.RangeEnd), ipToInt(r.RangeStart))
	return n.Add(n, big.NewInt(1))
}

func ipToInt(ip net.IP) *big.Int { return new(big.Int).SetBytes(ip) }

func intToIP(n *big.Int, length int) net.IP {
	b := n.Bytes()
	ip := make(net.IP, length)
	copy(ip[length-len(b):], b)
	return ip
}

// NextIP is ip + 1, carried across bytes.
func NextIP(ip net.IP) net.IP { return addIP(ip, 1) }

func addIP(ip net.IP, d int64) net.IP {
	n := ipToInt(ip)
	return intToIP(n.Add(n, big.NewInt(d)), len(ip))
}

func cmpIP(a, b net.IP) int {
	if a4, b4 := a.To4(), b.To4(); a4 != nil && b4 != nil {
		a, b = a4, b4
	}
	return ipToInt(a).Cmp(ipToInt(b))
}

func lastIP(n net.IPNet) net.IP {
	ip := make(net.IP, len(n.IP))
	for i := range n.IP {
		ip[i] = n.IP[i] | ^n.Mask[i]
	}
	return ip
}

// InPool returns the first of addrs that a range's pool could hand out
// (inside the pool and not the range's gateway), with that range's
// subnet; nil if none. The plugin passes the node's own addresses: a pool
// holding one would give a pod an address the node answers for.
func (c *Config) InPool(addrs []net.IP) (net.IP, *net.IPNet) {
	for _, set := range c.Ranges {
		for i := range set {
			r := &set[i]
			for _, a := range addrs {
				if r.contains(a) && !a.Equal(r.Gateway) {
					return a, (*net.IPNet)(&r.Subnet)
				}
			}
		}
	}
	return nil, nil
}
