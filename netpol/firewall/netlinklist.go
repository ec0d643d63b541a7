package firewall

import (
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// ListSets implements SetKernel with a dump of our own: netlink's
// IpsetListAll logs a line for every set header attribute it does not
// know (bucketsize, initval on current kernels), which on a full sync
// would flood the agent's log. Only name, type, family and members are
// read. The kernel splits a large set over several messages, only the
// first carrying the type and family, so they are merged by name.
func (s *NetlinkSets) ListSets() ([]SetInfo, error) {
	req := s.listRequest()
	msgs, err := netlinkdump.Retry(func() ([][]byte, error) { return req.Execute(unix.NETLINK_NETFILTER, 0) })
	if err != nil {
		return nil, fmt.Errorf("ipset list: %w", err)
	}
	var out []SetInfo
	index := map[string]int{}
	for _, msg := range msgs {
		part, err := parseSetMessage(msg)
		if err != nil {
			return nil, err
		}
		i, seen := index[part.Name]
		if !seen {
			i = len(out)
			index[part.Name] = i
			out = append(out, SetInfo{Name: part.Name})
		}
		if part.Kind != "" {
			out[i].Kind, out[i].IPv6 = part.Kind, part.IPv6
		}
		out[i].Members = append(out[i].Members, part.Members...)
	}
	return out, nil
}

func attrType(a syscall.NetlinkRouteAttr) uint16 { return a.Attr.Type & nl.NLA_TYPE_MASK }

// parseSetMessage reads one message of a set dump.
func parseSetMessage(msg []byte) (SetInfo, error) {
	var info SetInfo
	if len(msg) < nl.SizeofNfgenmsg {
		return info, fmt.Errorf("ipset list: short message")
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofNfgenmsg:])
	if err != nil {
		return info, fmt.Errorf("ipset list: %w", err)
	}
	for _, a := range attrs {
		switch attrType(a) {
		case nl.IPSET_ATTR_SETNAME:
			info.Name = cString(a.Value)
		case nl.IPSET_ATTR_TYPENAME:
			info.Kind = SetKind(cString(a.Value))
		case nl.IPSET_ATTR_FAMILY:
			info.IPv6 = len(a.Value) > 0 && a.Value[0] == unix.AF_INET6
		case nl.IPSET_ATTR_ADT:
			if info.Members, err = parseEntries(a.Value); err != nil {
				return info, err
			}
		}
	}
	return info, nil
}

// parseEntries reads the members of an ADT container: one nested DATA
// attribute per member, holding IP (nested address) and maybe CIDR.
func parseEntries(b []byte) ([]netip.Prefix, error) {
	entries, err := nl.ParseRouteAttr(b)
	if err != nil {
		return nil, fmt.Errorf("ipset list entries: %w", err)
	}
	var out []netip.Prefix
	for _, e := range entries {
		if attrType(e) != nl.IPSET_ATTR_DATA {
			continue
		}
		fields, err := nl.ParseRouteAttr(e.Value)
		if err != nil {
			return nil, fmt.Errorf("ipset list entry: %w", err)
		}
		var a netip.Addr
		bits := -1
		for _, f := range fields {
			switch attrType(f) {
			case nl.IPSET_ATTR_IP:
				a = parseNestedAddr(f.Value)
			case nl.IPSET_ATTR_CIDR:
				if len(f.Value) > 0 {
					bits = int(f.Value[0])
				}
			}
		}
		if !a.IsValid() {
			continue
		}
		if bits < 0 {
			bits = a.BitLen()
		}
		out = append(out, netip.PrefixFrom(a, bits))
	}
	return out, nil
}

func parseNestedAddr(b []byte) netip.Addr {
	inner, err := nl.ParseRouteAttr(b)
	if err != nil || len(inner) == 0 {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(inner[0].Value)
	return a.Unmap()
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// listRequest is an IPSET_CMD_LIST dump of every set on the dump socket.
func (s *NetlinkSets) listRequest() *nl.NetlinkRequest {
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{
			Len:   uint32(unix.SizeofNlMsghdr),
			Type:  uint16(nl.IPSET_CMD_LIST | unix.NFNL_SUBSYS_IPSET<<8),
			Flags: uint16(nl.GetIpsetFlags(nl.IPSET_CMD_LIST)),
		},
		Sockets: s.list,
	}
	req.AddData(&nl.Nfgenmsg{NfgenFamily: uint8(unix.AF_NETLINK), Version: nl.NFNETLINK_V0})
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_PROTOCOL, nl.Uint8Attr(nl.IPSET_PROTOCOL)))
	return req
}
