// Package nftnotfound tells a missing nftables object from other
// failures, for every knftables user of the tree (the nftables backend,
// the firewall's guard table).
package nftnotfound

import (
	"errors"
	"strings"
	"syscall"

	"sigs.k8s.io/knftables"
)

// Is tells a missing table, chain, set or map: knftables says so for what
// it lists with nft, but its netlink listing (UseNetlink) returns the
// kernel's ENOENT formatted into a plain error (mdlayher/netlink's
// receive error is not unwrapped by knftables v0.0.22).
func Is(err error) bool {
	return err != nil && (knftables.IsNotFound(err) || errors.Is(err, syscall.ENOENT) ||
		strings.Contains(err.Error(), syscall.ENOENT.Error()))
}
