package iptables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Accounting is the kernel's named packet counters (nfnetlink_acct; each
// network namespace has its own), which a rule with `-m nfacct
// --nfacct-name NAME` counts into. kube-proxy's iptables mode exports two
// of them as metrics (pkg/proxy/metrics); nodenet keeps their names.
type Accounting interface {
	// Ensure creates counter name unless it exists.
	Ensure(name string) error
	// Packets reads counter name's packet count; an error for which
	// errors.Is(err, fs.ErrNotExist) when it does not exist.
	Packets(name string) (uint64, error)
}

// The nfacct counters, named as kube-proxy names them (at most
// nfacctNameMax-1 bytes: NFACCT_NAME_MAX is 32 with the NUL).
const (
	// ctInvalidCounter counts the forwarded packets conntrack marks
	// INVALID that NODENET-FORWARD drops.
	ctInvalidCounter = "ct_state_invalid_dropped_pkts"
	// localhostNodePortsCounter would count NodePort packets accepted on
	// loopback; nodenet never serves NodePorts there (kube-proxy's
	// localhostNodePorts false), so no rule counts into it and it stays 0,
	// as kube-proxy's does with that setting.
	localhostNodePortsCounter = "localhost_nps_accepted_pkts"
	nfacctNameMax             = 32
)

// NetlinkAccounting is Accounting on the current network namespace.
type NetlinkAccounting struct{}

// nfnetlink_acct's message types and attributes
// (include/uapi/linux/netfilter/nfnetlink_acct.h).
const (
	nfnlMsgAcctNew = 0
	nfnlMsgAcctGet = 1
	nfacctAttrName = 1
	nfacctAttrPkts = 2
)

// Ensure implements Accounting: NEW with NLM_F_CREATE but not NLM_F_EXCL
// keeps an existing counter (and its count); without NLM_F_REPLACE the
// kernel answers EBUSY then, which means it exists.
func (NetlinkAccounting) Ensure(name string) error {
	if err := checkCounterName(name); err != nil {
		return err
	}
	_, err := acctRequest(nfnlMsgAcctNew, unix.NLM_F_CREATE|unix.NLM_F_ACK, name).Execute(unix.NETLINK_NETFILTER, 0)
	if err != nil && !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("creating nfacct counter %s: %w", name, err)
	}
	return nil
}

// Packets implements Accounting.
func (NetlinkAccounting) Packets(name string) (uint64, error) {
	if err := checkCounterName(name); err != nil {
		return 0, err
	}
	msgs, err := acctRequest(nfnlMsgAcctGet, unix.NLM_F_ACK, name).Execute(unix.NETLINK_NETFILTER, 0)
	if err != nil { // ENOENT: errors.Is(err, fs.ErrNotExist)
		return 0, fmt.Errorf("reading nfacct counter %s: %w", name, err)
	}
	for _, m := range msgs {
		if pkts, ok := packetsAttr(m); ok {
			return pkts, nil
		}
	}
	return 0, fmt.Errorf("reading nfacct counter %s: no packet count in the answer", name)
}

func checkCounterName(name string) error {
	if name == "" || len(name) >= nfacctNameMax {
		return fmt.Errorf("nfacct counter name %q: want 1 to %d bytes", name, nfacctNameMax-1)
	}
	return nil
}

func acctRequest(msg, flags int, name string) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_ACCT<<8|msg, flags)
	req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.AF_UNSPEC, Version: nl.NFNETLINK_V0})
	req.AddData(nl.NewRtAttr(nfacctAttrName, nl.ZeroTerminated(name)))
	return req
}

// packetsAttr reads NFACCT_PKTS (big-endian u64) from one answer: the
// nfgenmsg header, then attributes.
func packetsAttr(msg []byte) (uint64, bool) {
	if len(msg) < nl.SizeofNfgenmsg {
		return 0, false
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofNfgenmsg:])
	if err != nil {
		return 0, false
	}
	for _, a := range attrs {
		if a.Attr.Type&^unix.NLA_F_NESTED == nfacctAttrPkts && len(a.Value) == 8 {
			return binary.BigEndian.Uint64(a.Value), true
		}
	}
	return 0, false
}
