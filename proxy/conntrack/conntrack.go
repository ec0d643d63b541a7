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

// Matches tells whether f selects e.
func (f Filter) Matches(e Entry) bool {
	return f.Protocol == e.Protocol &&
		(!f.OrigDst.IsValid() || f.OrigDst == e.OrigDst) &&
		(f.OrigDstPort == 0 || f.OrigDstPort == e.OrigDstPort) &&
		(!f.ReplySrc.IsValid() || f.ReplySrc == e.ReplySrc)
}

// Table is the kernel surface: delete every entry any filter matches.
type Table interface {
	Delete(filters []Filter) (deleted int, err error)
}
