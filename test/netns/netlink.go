package netns

import (
	"testing"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

// NetlinkHandle opens a netlink handle of the given families (e.g.
// unix.NETLINK_NETFILTER) inside the namespace, closed on cleanup: the
// test talks to the namespace's kernel without switching threads.
func (ns *NS) NetlinkHandle(t testing.TB, families ...int) *netlink.Handle {
	t.Helper()
	nsh, err := vnetns.GetFromName(ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh, families...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}
