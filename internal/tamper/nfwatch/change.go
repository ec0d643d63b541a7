package nfwatch

import (
	"encoding/binary"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// An announcement is an nfnetlink message: a 4-byte nfgenmsg (the
// family first) and attributes. Only the names are read (the table, the
// chain or set): a rule's expressions are one nested attribute that is
// skipped, so a 130k-rule transaction costs a header walk per rule, not
// a decode of every expression.

// nfgenmsgLen is the size of struct nfgenmsg before the attributes.
const nfgenmsgLen = 4

// announcement is what one announcement type changed, and the
// attributes holding its table and its chain or set name.
type announcement struct {
	verb              string
	table, chain, set uint16
}

// kindOf describes an announcement type; false for types not reported. A
// switch, not a map: a package variable with an initializer would give
// the package an init function (see hub).
func kindOf(msgType uint16) (announcement, bool) {
	switch msgType {
	case unix.NFT_MSG_NEWTABLE:
		return announcement{"table created", unix.NFTA_TABLE_NAME, 0, 0}, true
	case unix.NFT_MSG_DELTABLE:
		return announcement{"table deleted", unix.NFTA_TABLE_NAME, 0, 0}, true
	case unix.NFT_MSG_NEWCHAIN:
		return announcement{"chain created", unix.NFTA_CHAIN_TABLE, unix.NFTA_CHAIN_NAME, 0}, true
	case unix.NFT_MSG_DELCHAIN:
		return announcement{"chain deleted", unix.NFTA_CHAIN_TABLE, unix.NFTA_CHAIN_NAME, 0}, true
	case unix.NFT_MSG_NEWRULE:
		return announcement{"rule added", unix.NFTA_RULE_TABLE, unix.NFTA_RULE_CHAIN, 0}, true
	case unix.NFT_MSG_DELRULE:
		return announcement{"rule deleted", unix.NFTA_RULE_TABLE, unix.NFTA_RULE_CHAIN, 0}, true
	case unix.NFT_MSG_NEWSET:
		return announcement{"set created", unix.NFTA_SET_TABLE, 0, unix.NFTA_SET_NAME}, true
	case unix.NFT_MSG_DELSET:
		return announcement{"set deleted", unix.NFTA_SET_TABLE, 0, unix.NFTA_SET_NAME}, true
	case unix.NFT_MSG_NEWSETELEM:
		return announcement{"element added", unix.NFTA_SET_ELEM_LIST_TABLE, 0, unix.NFTA_SET_ELEM_LIST_SET}, true
	case unix.NFT_MSG_DELSETELEM:
		return announcement{"element deleted", unix.NFTA_SET_ELEM_LIST_TABLE, 0, unix.NFTA_SET_ELEM_LIST_SET}, true
	}
	return announcement{}, false
}

// changeOf reads one announcement; false for other types (objects,
// flowtables). Set and map elements are reported by their set (the
// elements themselves are one nested attribute, skipped): the nftables
// backend repairs a map someone changed from what it wrote. Elements the
// datapath adds to a dynamic set (affinity) are not announced.
func changeOf(msgType uint16, data []byte) (Change, bool) {
	k, ok := kindOf(msgType)
	if !ok || len(data) < nfgenmsgLen {
		return Change{}, false
	}
	c := Change{Family: familyName(data[0]), Verb: k.verb}
	ad, err := netlink.NewAttributeDecoder(data[nfgenmsgLen:])
	if err != nil {
		return Change{}, false
	}
	for ad.Next() {
		switch ad.Type() {
		case k.table:
			c.Table = ad.String()
		case k.chain:
			if k.chain != 0 {
				c.Chain = ad.String()
			}
		case k.set:
			if k.set != 0 {
				c.Set = ad.String()
			}
		}
	}
	return c, ad.Err() == nil && c.Table != ""
}

// genOf reads the committing process of a NEWGEN announcement.
func genOf(data []byte) (pid uint32, comm string) {
	if len(data) < nfgenmsgLen {
		return 0, ""
	}
	ad, err := netlink.NewAttributeDecoder(data[nfgenmsgLen:])
	if err != nil {
		return 0, ""
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_GEN_PROC_PID:
			if b := ad.Bytes(); len(b) == 4 {
				pid = binary.BigEndian.Uint32(b)
			}
		case unix.NFTA_GEN_PROC_NAME:
			comm = ad.String()
		}
	}
	return pid, comm
}

func familyName(f uint8) string {
	switch f {
	case unix.NFPROTO_IPV4:
		return "ip"
	case unix.NFPROTO_IPV6:
		return "ip6"
	case unix.NFPROTO_INET:
		return "inet"
	case unix.NFPROTO_BRIDGE:
		return "bridge"
	case unix.NFPROTO_ARP:
		return "arp"
	case unix.NFPROTO_NETDEV:
		return "netdev"
	}
	return "unknown"
}
