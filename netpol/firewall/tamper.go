package firewall

import (
	"context"
	"strings"

	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
)

// Tampering. iptables here is the nf_tables backend (iptables-nft), whose
// every change the kernel announces on nfnetlink's NFNLGRP_NFTABLES group
// (what `nft monitor` prints). WatchTampering listens there (through
// internal/tamper/nfwatch, which drops the agent's own transactions) and
// reports changes to the firewall's chains and to filter FORWARD (its
// hook) in either family, within milliseconds; the controller then checks
// them against what was applied (Tampered) and repairs with a full sync.
// Nothing is polled for the chains, and a change to another table (the
// proxy's nat rules) is dropped after a name comparison.
//
// iptables-legacy makes no such announcements: there the controller
// compares the filter table's entry count and size twice a second
// (LegacyChanged, legacywatch.go). The guard table (guardtable.go) is
// nf_tables in either mode and announced like the chains. ipset changes are
// not announced either (ipset is not nf_tables): the controller compares
// the sets' member counts with what was applied every second
// (SetsTampered, setsizes.go).

// filterTableName is the table iptables-nft keeps filter rules in.
const filterTableName = "filter"

// WatchTampering calls notify with a short description of each change by
// someone else to the firewall's chains or the FORWARD chain in the
// current network namespace, and with "events lost" when announcements
// may have been missed. It returns when ctx is done. The subscription is
// internal/tamper/nfwatch's, shared with the proxy's watcher; the firewall's own
// restores are not reported (they register as nodenet's).
func WatchTampering(ctx context.Context, notify func(what string)) {
	nfwatch.Watch(ctx, touchesFirewall, func(r nfwatch.Report) {
		if r.Lost {
			notify("events lost")
			return
		}
		notify(r.String())
	})
}

// touchesFirewall selects changes to the firewall's chains and FORWARD,
// or to a whole filter table, in either family, and any change to the
// guard table.
func touchesFirewall(c nfwatch.Change) bool {
	if c.Family == "inet" && c.Table == guardTable {
		return true
	}
	if c.Table != filterTableName || (c.Family != "ip" && c.Family != "ip6") || c.Set != "" {
		return false
	}
	if c.Chain == "" {
		return c.Verb == "table deleted"
	}
	return c.Chain == forwardChain || c.Chain == topChain || strings.HasPrefix(c.Chain, chainPrefix+"-")
}
