package firewall

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/nodenet/nodenet/internal/netlinkdump"
)

// ipset is not nf_tables: a flush or a deleted member is announced
// nowhere. The controller asks SetsTampered once a second instead; with
// the kernel's header-only listing (what `ipset list -t` prints) that
// reads a few hundred bytes per set and never the members, so it costs
// the same with 10 pods or 100,000.

// setSizer is implemented by set kernels that can count members without
// listing them (NetlinkSets); others are listed in full.
type setSizer interface {
	SetSizes() (map[string]int, error)
}

// ipsetFlagListHeader asks IPSET_CMD_LIST for headers only
// (IPSET_FLAG_LIST_HEADER, 1 << IPSET_FLAG_BIT_LIST_HEADER).
const ipsetFlagListHeader = 1 << 2

// SetSizes returns every set's number of members (IPSET_ATTR_ELEMENTS of
// its header).
func (s *NetlinkSets) SetSizes() (map[string]int, error) {
	req := s.listRequest()
	flags := make([]byte, 4)
	binary.BigEndian.PutUint32(flags, ipsetFlagListHeader)
	req.AddData(nl.NewRtAttr(int(nl.IPSET_ATTR_FLAGS|nl.NLA_F_NET_BYTEORDER), flags))
	msgs, err := netlinkdump.Retry(func() ([][]byte, error) { return req.Execute(unix.NETLINK_NETFILTER, 0) })
	if err != nil {
		return nil, fmt.Errorf("ipset list headers: %w", err)
	}
	out := map[string]int{}
	for _, msg := range msgs {
		name, n, err := parseSetHeader(msg)
		if err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

func parseSetHeader(msg []byte) (name string, elements int, err error) {
	if len(msg) < nl.SizeofNfgenmsg {
		return "", 0, fmt.Errorf("ipset list headers: short message")
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofNfgenmsg:])
	if err != nil {
		return "", 0, fmt.Errorf("ipset list headers: %w", err)
	}
	elements = -1
	for _, a := range attrs {
		switch attrType(a) {
		case nl.IPSET_ATTR_SETNAME:
			name = cString(a.Value)
		case nl.IPSET_ATTR_DATA:
			data, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return "", 0, fmt.Errorf("ipset list headers: %w", err)
			}
			for _, d := range data {
				if attrType(d) == nl.IPSET_ATTR_ELEMENTS && len(d.Value) == 4 {
					elements = int(binary.BigEndian.Uint32(d.Value))
				}
			}
		}
	}
	if elements < 0 {
		return "", 0, fmt.Errorf("ipset list headers: set %q without a member count (kernel before 4.11?)", name)
	}
	return name, elements, nil
}

// setSizes counts the members of every set, by header when the kernel
// can.
func (f *Firewall) setSizes() (map[string]int, error) {
	if s, ok := f.kernels.Sets.(setSizer); ok {
		return s.SetSizes()
	}
	sets, err := f.kernels.Sets.ListSets()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, s := range sets {
		out[s.Name] = len(s.Members)
	}
	return out, nil
}

// publishSets records what a Sync applied (nil: unknown) for
// SetsTampered.
func (f *Firewall) publishSets(applied *desired) {
	if applied == nil {
		f.appliedSizes.Store(nil)
		return
	}
	sizes := make(map[string]int, len(applied.sets))
	for name, s := range applied.sets {
		sizes[name] = len(s.members)
	}
	f.appliedSizes.Store(&sizes)
}

// SetsTampered tells which of the last applied sets the kernel no longer
// holds as applied ("" when all are): one missing, or with another number
// of members (a flush, a deleted or added member). A member replaced by
// another keeps the count and is not seen (the hourly full sync mends it).
// Safe beside Sync: it may then see a sync's own changes half done, so a
// caller on another goroutine must check again after that sync.
func (f *Firewall) SetsTampered() (string, error) {
	applied := f.appliedSizes.Load()
	if applied == nil {
		return "", nil
	}
	sizes, err := f.setSizes()
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(*applied))
	for name := range *applied {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := (*applied)[name]
		got, ok := sizes[name]
		switch {
		case !ok:
			return "set " + name + " is missing", nil
		case got != want:
			return fmt.Sprintf("set %s has %d members, %d were applied", name, got, want), nil
		}
	}
	return "", nil
}
