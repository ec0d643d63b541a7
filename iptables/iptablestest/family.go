package iptablestest

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
)

// family is what the fake needs to know of an IP family. It is not
// package iptables' own: this package must not import the backend, so
// that the backend's internal tests can import it.
type family struct {
	ipFamily   v1.IPFamily
	hostBits   int
	rejectICMP string // REJECT's default --reject-with, as iptables -S prints it
}

// families are the fake's families by name; "" is IPv4, as in
// iptables.Options.
var families = map[v1.IPFamily]family{
	v1.IPv4Protocol: {v1.IPv4Protocol, 32, "icmp-port-unreachable"},
	v1.IPv6Protocol: {v1.IPv6Protocol, 128, "icmp6-port-unreachable"},
	"":              {v1.IPv4Protocol, 32, "icmp-port-unreachable"},
}

func (f family) owns(a netip.Addr) bool { return a.Is4() == (f.hostBits == 32) }

// The tables the fake keeps.
const (
	tableNAT    = "nat"
	tableFilter = "filter"
)
