package nftables

import (
	"context"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/knftables"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// ruleCounter counts the rules of one chain of our table, with a
// not-found error (notFound) when the chain or the table is missing.
// Intact and the tamper repair only compare counts with what was written.
type ruleCounter interface {
	CountRules(ctx context.Context, chain string) (int, error)
}

// listingCounter counts through knftables' ListRules: `nft list chain`
// on the real kernel, the fake's memory in tests.
type listingCounter struct{ nft knftables.Interface }

func (c listingCounter) CountRules(ctx context.Context, chain string) (int, error) {
	rules, err := c.nft.ListRules(ctx, chain)
	return len(rules), err
}

// netlinkCounter asks the kernel for that chain alone. `nft list chain`
// first loads the whole table into its cache: at 10k Services each took
// ~0.4 s, so Intact's eleven held the sync goroutine (and the first
// change after a cold start) for ~4 s, and each repaired Service chain
// cost as much. The kernel filters a rule dump by table and chain
// (NFTA_RULE_TABLE, NFTA_RULE_CHAIN; Linux 4.19+), and a GETCHAIN answers
// ENOENT for a missing chain, which the empty dump cannot tell apart
// from an empty chain. Runs on the calling thread, in its network
// namespace, as the nft execs did.
type netlinkCounter struct {
	family uint8 // NFPROTO_IPV4 or NFPROTO_IPV6
	table  string
}

func newNetlinkCounter(f family) netlinkCounter {
	if f.is4() {
		return netlinkCounter{family: unix.NFPROTO_IPV4, table: TableName}
	}
	return netlinkCounter{family: unix.NFPROTO_IPV6, table: TableName}
}

func (c netlinkCounter) CountRules(_ context.Context, chain string) (int, error) {
	get := c.request(unix.NFT_MSG_GETCHAIN, 0)
	get.AddData(nl.NewRtAttr(unix.NFTA_CHAIN_TABLE, nl.ZeroTerminated(c.table)))
	get.AddData(nl.NewRtAttr(unix.NFTA_CHAIN_NAME, nl.ZeroTerminated(chain)))
	if _, err := get.Execute(unix.NETLINK_NETFILTER, 0); err != nil {
		return 0, fmt.Errorf("nftables chain %s: %w", chain, err) // ENOENT: notFound
	}
	dump := c.request(unix.NFT_MSG_GETRULE, unix.NLM_F_DUMP)
	dump.AddData(nl.NewRtAttr(unix.NFTA_RULE_TABLE, nl.ZeroTerminated(c.table)))
	dump.AddData(nl.NewRtAttr(unix.NFTA_RULE_CHAIN, nl.ZeroTerminated(chain)))
	rules, err := netlinkdump.Retry(func() ([][]byte, error) {
		return dump.Execute(unix.NETLINK_NETFILTER, unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_NEWRULE)
	})
	if err != nil {
		return 0, fmt.Errorf("nftables rules of chain %s: %w", chain, err)
	}
	return len(rules), nil
}

func (c netlinkCounter) request(msg, flags int) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_NFTABLES<<8|msg, flags)
	req.AddData(&nl.Nfgenmsg{NfgenFamily: c.family, Version: nl.NFNETLINK_V0})
	return req
}
