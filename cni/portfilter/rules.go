// Package portfilter is the CNI plugin's bridge port filter
// (anti-spoofing). It is a package of its own because the NetworkPolicy
// firewall reads its (port, address) pairs to find the bridge port of a
// pod (broadcast and multicast, see netpol/firewall).
package portfilter

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The bridge port filter: a pod may only send with the addresses IPAM gave
// it, at layer 3 (IPv4 and IPv6 source) and at layer 2 (ARP sender, IPv6
// neighbour advertisement target). Without it a pod that adds the node's
// address to its eth0 passes every NetworkPolicy (the firewall lets the
// node through), and one that answers ARP for the gateway takes its
// neighbours' traffic.
//
// It is one nftables table of the bridge family, made once per node by the
// first ADD and shared by every network of the plugin:
//
//	table bridge nodenet-ports
//	  set ports  { type ifname }                 enrolled host veths
//	  set addrs4 { type ifname . ipv4_addr }     (host veth, pod address)
//	  set addrs6 { type ifname . ipv6_addr }
//	  chain from-pods { type filter hook prerouting priority -300 }
//	    iifname @ports ether type arp  arp saddr ip != 0.0.0.0      iifname . arp saddr ip ∉ @addrs4 drop
//	    iifname @ports ether type ip   iifname . ip saddr ∉ @addrs4 drop
//	    iifname @ports ether type ip6  icmpv6 type nd-neighbor-advert
//	                   target ∉ fe80::/10  iifname . target ∉ @addrs6 drop
//	    iifname @ports ether type ip6  ip6 saddr ∉ {::, fe80::/10} iifname . ip6 saddr ∉ @addrs6 drop
//	    iifname @ports ether type ∉ {arp, ip, ip6} drop
//
// Five rules whatever the number of pods: ADD and DEL change set elements
// only, over netlink (no exec; nftables has no ipset-like tool with a
// netlink API in iptables' world: ebtables and arptables exec and cannot
// look an (interface, address) pair up). Why nftables' bridge family and
// not iptables' physdev match: it sees every frame a pod sends, ARP
// included, whatever net.bridge.bridge-nf-call-* says, and before
// br_netfilter hands IP packets to iptables (priority -300 < 0), so no
// conntrack entry is ever made for a spoofed packet.
//
// Only enrolled ports are filtered: a pod attached before the filter
// existed (an upgrade) keeps working, unfiltered, until it is recreated;
// enrolment and addresses are added in one transaction at ADD, before the
// pod's interface is up, so an enrolled port is never without its
// addresses. Link-local and unspecified IPv6 sources (neighbour and router
// solicitation, DAD, MLD) are not checked; link-local destinations are
// the firewall's business (it rejects them while a policy exists).
const (
	portTable     = "nodenet-ports"
	portChain     = "from-pods"
	portSet       = "ports"
	portAddrs4Set = "addrs4"
	portAddrs6Set = "addrs6"
)

// Registers: an interface name fills a 16-byte register, so a
// concatenated (ifname, address) key is register 1 followed by register 2;
// register 3 is scratch.
const (
	regIfname  = 1
	regAddr    = 2
	regScratch = 3
)

// nd-neighbor-advert's ICMPv6 type; its target address follows 4 bytes of
// flags (RFC 4861 4.4).
const (
	icmpv6NeighbourAdvert = 136
	naTargetOffset        = 8
)

var (
	filterTable = &nftables.Table{Family: nftables.TableFamilyBridge, Name: portTable}
	filterSets  = []*nftables.Set{
		// Host byte order only tells nft to print the names as strings.
		{Table: filterTable, Name: portSet, KeyType: nftables.TypeIFName, KeyByteOrder: binaryutil.NativeEndian},
		{Table: filterTable, Name: portAddrs4Set, Concatenation: true,
			KeyType: nftables.MustConcatSetType(nftables.TypeIFName, nftables.TypeIPAddr)},
		{Table: filterTable, Name: portAddrs6Set, Concatenation: true,
			KeyType: nftables.MustConcatSetType(nftables.TypeIFName, nftables.TypeIP6Addr)},
	}
)

// filterRules are the chain's rules, in order.
func filterRules() [][]expr.Any {
	ip4Zero := make([]byte, 4)
	ip6Zero := make([]byte, 16)
	return [][]expr.Any{
		seq(enrolled(), etherType(unix.ETH_P_ARP),
			load(expr.PayloadBaseNetworkHeader, 14, 4, regAddr), // ARP sender IP (Ethernet/IPv4)
			[]expr.Any{&expr.Cmp{Op: expr.CmpOpNeq, Register: regAddr, Data: ip4Zero}},
			notOwned(portAddrs4Set)),
		seq(enrolled(), etherType(unix.ETH_P_IP),
			load(expr.PayloadBaseNetworkHeader, 12, 4, regAddr),
			notOwned(portAddrs4Set)),
		seq(enrolled(), etherType(unix.ETH_P_IPV6),
			[]expr.Any{
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: regScratch},
				&expr.Cmp{Op: expr.CmpOpEq, Register: regScratch, Data: []byte{unix.IPPROTO_ICMPV6}},
			},
			load(expr.PayloadBaseTransportHeader, 0, 1, regScratch),
			[]expr.Any{&expr.Cmp{Op: expr.CmpOpEq, Register: regScratch, Data: []byte{icmpv6NeighbourAdvert}}},
			notLinkLocal(expr.PayloadBaseTransportHeader, naTargetOffset),
			load(expr.PayloadBaseTransportHeader, naTargetOffset, 16, regAddr),
			notOwned(portAddrs6Set)),
		seq(enrolled(), etherType(unix.ETH_P_IPV6),
			load(expr.PayloadBaseNetworkHeader, 8, 16, regAddr), // source address
			[]expr.Any{&expr.Cmp{Op: expr.CmpOpNeq, Register: regAddr, Data: ip6Zero}},
			notLinkLocal(expr.PayloadBaseNetworkHeader, 8),
			notOwned(portAddrs6Set)),
		seq(enrolled(),
			[]expr.Any{&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: regScratch}},
			notEtherType(unix.ETH_P_ARP), notEtherType(unix.ETH_P_IP), notEtherType(unix.ETH_P_IPV6),
			[]expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}),
	}
}

func seq(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// enrolled loads the input port's name into regIfname and goes on only
// for ports in the ports set.
func enrolled() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: regIfname},
		&expr.Lookup{SourceRegister: regIfname, SetName: portSet},
	}
}

func etherType(t uint16) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: regScratch},
		&expr.Cmp{Op: expr.CmpOpEq, Register: regScratch, Data: be16(t)},
	}
}

// notEtherType expects the ether type in regScratch already.
func notEtherType(t uint16) []expr.Any {
	return []expr.Any{&expr.Cmp{Op: expr.CmpOpNeq, Register: regScratch, Data: be16(t)}}
}

func load(base expr.PayloadBase, offset, n, reg uint32) []expr.Any {
	return []expr.Any{&expr.Payload{OperationType: expr.PayloadLoad, DestRegister: reg, Base: base, Offset: offset, Len: n}}
}

// notLinkLocal goes on only when the IPv6 address at offset is outside
// fe80::/10.
func notLinkLocal(base expr.PayloadBase, offset uint32) []expr.Any {
	return seq(load(base, offset, 2, regScratch), []expr.Any{
		&expr.Bitwise{SourceRegister: regScratch, DestRegister: regScratch, Len: 2, Mask: []byte{0xff, 0xc0}, Xor: []byte{0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: regScratch, Data: []byte{0xfe, 0x80}},
	})
}

// notOwned drops unless (port, address in regAddr) is in set.
func notOwned(set string) []expr.Any {
	return []expr.Any{
		&expr.Lookup{SourceRegister: regIfname, SetName: set, Invert: true},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
