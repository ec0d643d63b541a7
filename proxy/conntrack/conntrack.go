// Package conntrack deletes connection-tracking entries that would keep
// UDP and SCTP flows going to a removed endpoint, or to a rejection, after
// the rules changed. TCP needs none of this: a TCP client whose endpoint
// went away gets a reset and reconnects through the new rules.
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

// Entry is one tracked flow, as the fake keeps it.
type Entry struct {
	Protocol    uint8
	OrigSrc     netip.Addr
	OrigDst     netip.Addr
	OrigDstPort uint16
	ReplySrc    netip.Addr
}

// Matches tells whether f selects e. As in the kernel, a filter only sees
// the table of its family.
func (f Filter) Matches(e Entry) bool {
	return f.Protocol == e.Protocol && f.is6() == e.OrigDst.Is6() &&
		(!f.OrigDst.IsValid() || f.OrigDst == e.OrigDst) &&
		(f.OrigDstPort == 0 || f.OrigDstPort == e.OrigDstPort) &&
		(!f.ReplySrc.IsValid() || f.ReplySrc == e.ReplySrc)
}

// Table is the kernel surface: delete every entry any filter matches.
type Table interface {
	Delete(filters []Filter) (deleted int, err error)
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
