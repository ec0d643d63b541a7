package iptablestest

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// baseMatch parses -s, -d, -p, -i, -o, -f and its argument.
func (f family) baseMatch(flag, arg string) (ruleMatch, error) {
	switch flag {
	case "-s", "-d":
		m, err := f.parseAddrMatch(arg)
		if err != nil {
			return ruleMatch{}, err
		}
		return ruleMatch{text: []string{flag, m.String()}, eval: m.evalFor(flag == "-s")}, nil
	case "-p":
		proto := strings.ToLower(arg)
		return ruleMatch{text: []string{"-p", proto}, eval: func(_ *traceState, env *traceEnv) float64 {
			return boolProb(proto == "all" || proto == env.proto)
		}}, nil
	}
	text := []string{flag}
	if arg != "" {
		text = append(text, arg)
	}
	return ruleMatch{text: text, unsupported: fmt.Errorf("%s: %w", flag, errUnsupported)}, nil
}

func boolProb(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// addrMatch is an address and a mask of the same family. The kernel
// compares (addr & mask) == (want & mask), so masks need not be
// contiguous: nodenet's shard dispatch uses 0.0.0.N/0.0.0.255.
type addrMatch struct{ addr, mask netip.Addr }

func (f family) parseAddrMatch(s string) (addrMatch, error) {
	addrText, maskText, hasMask := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrText)
	if err != nil {
		return addrMatch{}, fmt.Errorf("address %q: %w", s, err)
	}
	if !f.owns(addr) {
		return addrMatch{}, fmt.Errorf("address %q is not %s", s, f.ipFamily)
	}
	bits := f.hostBits
	if hasMask {
		if mask, err := netip.ParseAddr(maskText); err == nil {
			if mask.Is4() != addr.Is4() {
				return addrMatch{}, fmt.Errorf("mask of %q is of another family", s)
			}
			return addrMatch{addr: andAddr(addr, mask), mask: mask}, nil
		}
		if bits, err = strconv.Atoi(maskText); err != nil || bits < 0 || bits > f.hostBits {
			return addrMatch{}, fmt.Errorf("bad prefix length in %q", s)
		}
	}
	mask := prefixMask(addr.Is4(), bits)
	return addrMatch{addr: andAddr(addr, mask), mask: mask}, nil
}

func prefixMask(is4 bool, bits int) netip.Addr {
	var b [16]byte
	n := 16
	if is4 {
		n = 4
	}
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b[:n])
	return a
}

func andAddr(a, mask netip.Addr) netip.Addr {
	x, m := a.AsSlice(), mask.AsSlice()
	for i := range x {
		x[i] &= m[i]
	}
	out, _ := netip.AddrFromSlice(x)
	return out
}

// String prints a/len for contiguous masks and a/mask otherwise, as
// iptables -S does.
func (m addrMatch) String() string {
	bits := 0
	for _, b := range m.mask.AsSlice() {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) == 0 {
				if prefixMask(m.mask.Is4(), bits) == m.mask {
					return fmt.Sprintf("%s/%d", m.addr, bits)
				}
				return m.addr.String() + "/" + m.mask.String()
			}
			bits++
		}
	}
	return fmt.Sprintf("%s/%d", m.addr, bits)
}

func (m addrMatch) contains(a netip.Addr) bool {
	return a.Is4() == m.addr.Is4() && andAddr(a, m.mask) == m.addr
}

func (m addrMatch) evalFor(src bool) matchFunc {
	return func(st *traceState, env *traceEnv) float64 {
		if src {
			return boolProb(m.contains(env.src))
		}
		return boolProb(m.contains(st.dst))
	}
}
