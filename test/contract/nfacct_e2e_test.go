//go:build e2e

package contract

import (
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/nodenet/nodenet/iptables"
	"github.com/nodenet/nodenet/iptables/iptablestest"
	"github.com/nodenet/nodenet/test/netns"
)

// TestNfacctContract runs the same counter operations against
// iptables.NetlinkAccounting in a namespace and against the fake kernel,
// and compares what each answers: a missing counter (fs.ErrNotExist),
// Ensure (twice, keeping the count), a name too long, and a restore
// whose rule names a counter that does not exist (refused by both). The
// real counter then counts a packet through a `-m nfacct` rule.
func TestNfacctContract(t *testing.T) {
	ns := newNS(t, "acct")
	real := nsAccounting{ns: ns.Name}
	fake := iptablestest.NewFakeKernel(v1.IPv4Protocol)
	for name, acct := range map[string]iptables.Accounting{"kernel": real, "fake": fake} {
		if _, err := acct.Packets("nnt_acct"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: Packets of a missing counter: %v, want fs.ErrNotExist", name, err)
		}
		if err := acct.Ensure(strings.Repeat("x", 32)); err == nil {
			t.Errorf("%s: a 32-byte name was accepted (NFACCT_NAME_MAX is 32 with the NUL)", name)
		}
		for range 2 {
			if err := acct.Ensure("nnt_acct"); err != nil {
				t.Fatalf("%s: Ensure: %v", name, err)
			}
			if n, err := acct.Packets("nnt_acct"); n != 0 || err != nil {
				t.Errorf("%s: Packets = %d, %v, want 0", name, n, err)
			}
		}
	}
	missing := "*filter\n-A OUTPUT -m nfacct --nfacct-name nnt_missing -j ACCEPT\nCOMMIT\n"
	_, errReal := ns.Exec("sh", "-c", "printf '"+missing+"' | iptables-restore --noflush")
	errFake := fake.Restore([]byte(missing))
	if errReal == nil || errFake == nil {
		t.Errorf("a rule naming a missing counter: kernel says %v, fake says %v; want both to refuse", errReal, errFake)
	}

	// The kernel counts: one UDP datagram to the loopback address
	// through OUTPUT.
	ns.IP(t, "link", "set", "lo", "up")
	ns.Run(t, "iptables", "-A", "OUTPUT", "-o", "lo", "-p", "udp", "--dport", "9",
		"-m", "nfacct", "--nfacct-name", "nnt_acct", "-j", "ACCEPT")
	err := netns.Within(ns.Name, func() error {
		c, err := net.Dial("udp", "127.0.0.1:9")
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("x"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := real.Packets("nnt_acct"); n != 1 || err != nil {
		t.Errorf("after one datagram: Packets = %d, %v, want 1", n, err)
	}
}

// nsAccounting is iptables.NetlinkAccounting working in namespace ns.
type nsAccounting struct{ ns string }

func (a nsAccounting) Ensure(name string) error {
	return netns.Within(a.ns, func() error { return iptables.NetlinkAccounting{}.Ensure(name) })
}

func (a nsAccounting) Packets(name string) (n uint64, err error) {
	err = netns.Within(a.ns, func() (e error) { n, e = iptables.NetlinkAccounting{}.Packets(name); return e })
	return n, err
}

// The twin keeps nfacct counters on both sides, so a backend run
// against it writes its counted INVALID drop, and sameState compares how
// each lists that rule.
var _ iptables.Accounting = (*twin)(nil)

func (w *twin) Ensure(name string) error {
	errK := nsAccounting{ns: w.kernel.(nsKernel).ns}.Ensure(name)
	w.agree("nfacct ensure "+name, errK, w.fake.Ensure(name), "")
	return errK
}

func (w *twin) Packets(name string) (uint64, error) {
	n, errK := nsAccounting{ns: w.kernel.(nsKernel).ns}.Packets(name)
	_, errF := w.fake.Packets(name)
	w.agree("nfacct packets "+name, errK, errF, "")
	return n, errK
}
