//go:build e2e

package cnie2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
)

// listen opens a TCP listener inside netns path that answers "pong:<addr>".
func listen(t *testing.T, path, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	if err := inNS(path, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("listen %s in %s: %v", addr, path, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "pong:%s", c.RemoteAddr())
			c.Close()
		}
	}()
	return ln
}

// dial connects from netns path and returns what the server said.
func dial(path, addr string) (string, error) {
	var reply string
	err := inNS(path, func() error {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c)
		reply = string(b)
		return err
	})
	return reply, err
}

func TestTwoPodsAndGateway(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1, p2 := e.pod("p1"), e.pod("p2")
	r1 := e.mustAdd(l, rt("c1", p1))
	r2 := e.mustAdd(l, rt("c2", p2))
	ip1, ip2 := r1.IPs[0].Address.IP, r2.IPs[0].Address.IP
	if ip1.Equal(ip2) {
		t.Fatalf("both pods got %s", ip1)
	}
	gw := r1.IPs[0].Gateway
	if gw == nil || len(r1.Interfaces) != 3 || r1.Interfaces[2].Name != "eth0" || r1.Interfaces[2].Sandbox != p1 {
		t.Fatalf("result shape: %+v", r1)
	}
	listen(t, p1, ":8080")
	if got, err := dial(p2, net.JoinHostPort(ip1.String(), "8080")); err != nil || !strings.HasPrefix(got, "pong:"+ip2.String()) {
		t.Fatalf("pod2 -> pod1: %q %v", got, err)
	}
	listen(t, "/var/run/netns/"+e.host, net.JoinHostPort(gw.String(), "9090"))
	if got, err := dial(p1, net.JoinHostPort(gw.String(), "9090")); err != nil || !strings.HasPrefix(got, "pong:"+ip1.String()) {
		t.Fatalf("pod1 -> gateway: %q %v", got, err)
	}
	// lo is up in the pod.
	listen(t, p2, "127.0.0.1:7070")
	if _, err := dial(p2, "127.0.0.1:7070"); err != nil {
		t.Fatalf("pod lo: %v", err)
	}
	// Both pods are members of the network's masquerade set; DEL removes
	// them. The shared chain stays for the next pod.
	if m := e.members("4"); strings.Count(m, "comment") != 2 {
		t.Fatalf("want 2 members:\n%s", m)
	}
	e.delAll(l, rt("c1", p1), rt("c2", p2))
	if save := e.ipHost("iptables-save", "-t", "nat"); strings.Count(save, ":NODENET-") != 1 {
		t.Fatalf("want only the shared chain after DEL:\n%s", save)
	}
}

func TestHairpin(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1 := e.pod("p1")
	r := e.mustAdd(l, rt("c1", p1))
	ip := r.IPs[0].Address.IP.String()
	// Only with br_netfilter does the DNATed packet go back out through the
	// bridge port it came in on, which needs hairpin mode; routed, it would
	// get through without. So make sure it is on, as on a Kubernetes node.
	e.ipHost("sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1")
	// A "service" VIP DNATed back to the pod itself, as kube-proxy does,
	// with the masquerade kube-proxy adds for hairpin traffic.
	e.ipHost("iptables", "-t", "nat", "-A", "PREROUTING", "-d", "10.197.0.10/32", "-p", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", ip+":8080")
	e.ipHost("iptables", "-t", "nat", "-I", "POSTROUTING", "-s", ip+"/32", "-d", ip+"/32", "-j", "MASQUERADE")
	listen(t, p1, ":8080")
	if got, err := dial(p1, "10.197.0.10:80"); err != nil || !strings.HasPrefix(got, "pong:") {
		t.Fatalf("hairpin through VIP: %q %v", got, err)
	}
	// The port really is in hairpin mode.
	err := e.inHost(func() error {
		l, err := netlink.LinkByName(r.Interfaces[1].Name)
		if err != nil {
			return err
		}
		pi, err := netlink.LinkGetProtinfo(l)
		if err != nil {
			return err
		}
		if !pi.Hairpin {
			return fmt.Errorf("hairpin flag off on %s", l.Attrs().Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheckDetectsDrift(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	// Each drift on its own pod, made by hand as an admin or another
	// program would, and CHECK must name it (code 100).
	for i, c := range []struct {
		what  string
		drift func(ns string, r *current.Result)
		want  string
	}{
		{"route deleted", func(ns string, _ *current.Result) { ipIn(t, ns, "route", "del", "10.198.0.0/16") }, "10.198.0.0/16"},
		{"MAC changed", func(ns string, _ *current.Result) { ipIn(t, ns, "link", "set", "eth0", "address", "02:00:00:00:0d:01") }, "MAC"},
		// The pod gets a look-alike eth0 (same MAC, address and routes)
		// and the host a look-alike port: neither is the other's peer.
		{"interface replaced", func(ns string, r *current.Result) {
			ipIn(t, ns, "link", "del", "eth0")
			e.ipHost("ip", "link", "add", r.Interfaces[1].Name, "type", "veth", "peer", "name", "nntlook")
			e.ipHost("ip", "link", "set", r.Interfaces[1].Name, "master", e.bridge, "up")
			ipIn(t, ns, "link", "add", "eth0", "address", r.Interfaces[2].Mac, "type", "veth", "peer", "name", "nntlook")
			ipIn(t, ns, "addr", "add", r.IPs[0].Address.String(), "dev", "eth0")
			ipIn(t, ns, "link", "set", "eth0", "up")
			ipIn(t, ns, "route", "add", "10.198.0.0/16", "via", "10.199.0.1")
			ipIn(t, ns, "route", "add", "default", "via", "10.199.0.1")
		}, "not the peer"},
		// Last: it empties the set for every pod checked before.
		{"port filter forgotten", func(string, *current.Result) {
			e.ipHost("nft", "flush", "set", "bridge", "nodenet-ports", "addrs4")
		}, "port filter"},
	} {
		p := e.pod(fmt.Sprintf("d%d", i))
		r := e.mustAdd(l, rt(fmt.Sprintf("c%d", i), p))
		if err := e.check(l, rt(fmt.Sprintf("c%d", i), p)); err != nil {
			t.Fatalf("CHECK on fresh attachment: %v", err)
		}
		c.drift(strings.TrimPrefix(p, "/var/run/netns/"), r)
		err := e.check(l, rt(fmt.Sprintf("c%d", i), p))
		if codeOf(err) != 100 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CHECK after %s: want code 100 naming %q, got %v", c.what, c.want, err)
		}
	}
	// promiscMode asked for and turned off by hand; a packet capture on a
	// bridge whose config does not ask for it is no drift.
	promisc := e.confList("1.1.0", func(p map[string]any) {
		p["bridge"], p["promiscMode"], p["hairpinMode"] = e.bridge+"p", true, false
	})
	pp := e.pod("promisc")
	e.mustAdd(promisc, rt("promisc", pp))
	e.ipHost("ip", "link", "set", e.bridge+"p", "promisc", "off")
	if err := e.check(promisc, rt("promisc", pp)); codeOf(err) != 100 || !strings.Contains(err.Error(), "promiscuous") {
		t.Errorf("CHECK after promiscuous mode turned off: want code 100 naming it, got %v", err)
	}
	clean := e.pod("clean")
	e.mustAdd(l, rt("clean", clean))
	e.ipHost("ip", "link", "set", e.bridge, "promisc", "on")
	if err := e.check(l, rt("clean", clean)); err != nil {
		t.Errorf("CHECK on a bridge someone made promiscuous (a capture), config silent: %v", err)
	}
	// Missing netns is "container unknown" (3).
	p := e.pod("gone")
	e.mustAdd(l, rt("gone", p))
	_ = exec.Command("ip", "netns", "del", strings.TrimPrefix(p, "/var/run/netns/")).Run()
	if err := e.check(l, rt("gone", p)); codeOf(err) != 3 {
		t.Fatalf("CHECK without netns: want code 3, got %v", err)
	}
}

// ipIn runs ip in the named netns.
func ipIn(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s %v: %v %s", ns, args, err, out)
	}
}

func TestDelIdempotent(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1, p2 := e.pod("p1"), e.pod("p2")
	e.mustAdd(l, rt("c1", p1))
	e.mustAdd(l, rt("c2", p2))
	// DEL runs no helper program, even for an attachment already gone:
	// with no iptables on PATH, repeated DELs still succeed.
	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir())
	for i := 0; i < 2; i++ {
		if err := e.del(l, rt("c1", p1)); err != nil {
			t.Fatalf("DEL #%d: %v", i+1, err)
		}
	}
	os.Setenv("PATH", path)
	// DEL after the pod netns is gone (runtime tore the sandbox down first).
	_ = exec.Command("ip", "netns", "del", strings.TrimPrefix(p2, "/var/run/netns/")).Run()
	if err := e.del(l, rt("c2", p2)); err != nil {
		t.Fatalf("DEL without netns: %v", err)
	}
	if err := e.del(l, rt("never-added", "")); err != nil {
		t.Fatalf("DEL of unknown container: %v", err)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("addresses still allocated: %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("ports left on bridge: %s", out)
	}
}

func TestRepeatedAddSameAddress(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1 := e.pod("p1")
	a := e.mustAdd(l, rt("c1", p1))
	b := e.mustAdd(l, rt("c1", p1))
	if !a.IPs[0].Address.IP.Equal(b.IPs[0].Address.IP) {
		t.Fatalf("repeat ADD: %s then %s", a.IPs[0].Address.IP, b.IPs[0].Address.IP)
	}
	if err := e.check(l, rt("c1", p1)); err != nil {
		t.Fatalf("CHECK after repeat ADD: %v", err)
	}
	e.wantOneJump("repeat ADD")
}

func TestAddFailureCleansUp(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1 := e.pod("p1")
	ns := strings.TrimPrefix(p1, "/var/run/netns/")
	// eth0 already exists in the pod: creating the pod end must fail.
	if out, err := exec.Command("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "x0").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := e.add(l, rt("c1", p1)); err == nil {
		t.Fatal("ADD succeeded although eth0 exists")
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("failed ADD leaked addresses %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("failed ADD leaked ports: %s", out)
	}
	if save := e.ipHost("iptables-save", "-t", "nat"); strings.Contains(save, "NODENET-") {
		t.Fatalf("failed ADD leaked chains")
	}
}

// TestAddFailureAfterPlumbing makes the last step of ADD (the masquerade
// rules) fail, after the veth, the pod addresses and the routes are in
// place: everything must be rolled back.
func TestAddFailureAfterPlumbing(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1 := e.pod("p1")
	// The plugin inherits our environment: without iptables on PATH the
	// masquerade step (the network's first, which makes the chain) fails.
	oldPath := os.Getenv("PATH")
	os.Setenv("PATH", t.TempDir())
	_, err := e.add(l, rt("c1", p1))
	os.Setenv("PATH", oldPath)
	if err == nil || !strings.Contains(err.Error(), "iptables-") {
		t.Fatalf("ADD without iptables: want failure naming it, got %v", err)
	}
	if m := strings.TrimSpace(e.members("4")); m != "" {
		t.Fatalf("failed ADD leaked members:\n%s", m)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("failed ADD leaked addresses %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("failed ADD leaked ports: %s", out)
	}
	out, _ := exec.Command("ip", "-n", strings.TrimPrefix(p1, "/var/run/netns/"), "-o", "link").CombinedOutput()
	if strings.Contains(string(out), "eth0") {
		t.Fatalf("failed ADD left eth0 in the pod:\n%s", out)
	}
}
