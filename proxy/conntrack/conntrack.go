// Package conntrack deletes connection-tracking entries that would keep
// UDP and SCTP flows going to a removed endpoint, or to a rejection, after
// the rules changed. TCP needs none of this: a TCP client whose endpoint
// went away gets a reset and reconnects through the new rules.
//
// Two ways in: Cleaner.Delete applies the filters the proxy computed from
// a change it saw, and Cleaner.Reconcile compares every entry with the
// endpoints still serving, which catches the changes the agent missed
// (a restart, a failed cleanup). The kernel sits behind Kernel (Netlink;
// a stateful fake in conntracktest).
package conntrack

import (
	"fmt"
	"net/netip"
	"strings"
)

// Filter selects entries by their original direction (what the client
// sent) and, optionally, by who answered (the endpoint after DNAT). Unset
// fields match anything.
type Filter struct {
	Protocol    uint8      // IPPROTO_UDP (17) or IPPROTO_SCTP (132)
	OrigDst     netip.Addr // the Service's address the client used
	OrigDstPort uint16
	ReplySrc    netip.Addr // the endpoint
	// IPv6 picks the family's table when neither address says it (a
	// NodePort's entries, whatever their endpoint).
	IPv6 bool
}

func (f Filter) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("proto=%d", f.Protocol))
	if f.OrigDst.IsValid() {
		parts = append(parts, "orig-dst="+f.OrigDst.String())
	}
	if f.OrigDstPort != 0 {
		parts = append(parts, fmt.Sprintf("orig-dport=%d", f.OrigDstPort))
	}
	if f.ReplySrc.IsValid() {
		parts = append(parts, "reply-src="+f.ReplySrc.String())
	}
	if f.IPv6 && !f.OrigDst.IsValid() && !f.ReplySrc.IsValid() {
		parts = append(parts, "family=ipv6")
	}
	return strings.Join(parts, " ")
}

// Entry is one tracked flow: what the client sent (original direction)
// and who answered (the reply's source: the endpoint after a DNAT, the
// original destination when nothing translated it).
type Entry struct {
	Protocol    uint8
	OrigSrc     netip.Addr
	OrigSrcPort uint16
	OrigDst     netip.Addr
	OrigDstPort uint16
	ReplySrc    netip.Addr
}

// IPv6 tells which family's table e is in.
func (e Entry) IPv6() bool { return e.OrigDst.Is6() }

// Matches tells whether f selects e. As in the kernel, a filter only sees
// the table of its family.
func (f Filter) Matches(e Entry) bool {
	return f.Protocol == e.Protocol && f.is6() == e.IPv6() &&
		(!f.OrigDst.IsValid() || f.OrigDst == e.OrigDst) &&
		(f.OrigDstPort == 0 || f.OrigDstPort == e.OrigDstPort) &&
		(!f.ReplySrc.IsValid() || f.ReplySrc == e.ReplySrc)
}

// Kernel is the conntrack table of one network namespace, one IP family
// at a time, as netlink offers it. Both calls are netlink dumps: like
// netlink's own, they may answer netlink.ErrDumpInterrupted together with
// what they read (List) or deleted (DeleteMatching); Cleaner retries them.
type Kernel interface {
	// List returns the family's entries.
	List(ipv6 bool) ([]Entry, error)
	// DeleteMatching deletes the family's entries that any filter
	// matches and says how many.
	DeleteMatching(ipv6 bool, filters []Filter) (int, error)
}

// is6 tells which family's table f applies to.
func (f Filter) is6() bool {
	switch {
	case f.OrigDst.IsValid():
		return f.OrigDst.Is6()
	case f.ReplySrc.IsValid():
		return f.ReplySrc.Is6()
	}
	return f.IPv6
}
