// Package nfwatch tells nodenet's syncers, within milliseconds, that
// someone else changed nf_tables objects they own. The kernel announces
// every committed nf_tables transaction on nfnetlink's NFNLGRP_NFTABLES
// group (what `nft monitor` prints): iptables-nft, ip6tables-nft and nft
// all write through it. One subscription per process is shared by every
// watcher (the proxy backend, the firewall), so an idle node pays for one
// blocked read and nothing else.
//
// Transactions nodenet made itself are dropped before any watcher sees
// them: each transaction ends with a NEWGEN message naming the process
// that committed it, and the exec'd iptables-restore / nft children
// register their PIDs (Ours). Without that every own sync would look
// like tampering, and a repair would trigger the next one.
//
// Set and map element changes are reported by their set or map (the
// nftables backend repairs a map from what it wrote); a report holds at
// most maxChanges objects and says when it was cut (Truncated).
//
// iptables-legacy and ipset make no announcements: watchers need a
// periodic check there (see each backend's README).
package nfwatch

import (
	"fmt"
	"strings"
)

// Change is one object a transaction changed.
type Change struct {
	Family string // "ip", "ip6", "inet", "bridge", ...
	Table  string
	Chain  string // "" for table and set changes
	Set    string // set changes only
	Verb   string // e.g. "rule deleted", "chain created"
}

func (c Change) String() string {
	obj := c.Chain
	if c.Set != "" {
		obj = "set " + c.Set
	}
	return strings.TrimSpace(fmt.Sprintf("%s: %s %s %s", c.Verb, c.Family, c.Table, obj))
}

// Report is what one watcher is told: the matching changes of one
// transaction by another process, or Lost when announcements were
// dropped (the socket's buffer overflowed, or it broke) and anything may
// have changed unseen.
type Report struct {
	Changes []Change
	By      string // "iptables (pid 1234)"
	Lost    bool
	// Truncated: the transaction changed more matching objects than
	// Changes holds (maxChanges).
	Truncated bool
}

// maxChanges bounds the changes kept per report: a watcher needs a few
// for the log line and their kinds, not the 100k of a foreign restore.
const maxChanges = 64

func (r Report) String() string {
	if r.Lost {
		return "change notifications lost"
	}
	parts := make([]string, 0, len(r.Changes))
	for _, c := range r.Changes {
		parts = append(parts, c.String())
	}
	return fmt.Sprintf("%s by %s", strings.Join(parts, "; "), r.By)
}
