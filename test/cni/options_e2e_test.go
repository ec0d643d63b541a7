//go:build e2e

package cnie2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"
)

func TestDualStack(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["ranges"] = []any{
			[]any{map[string]any{"subnet": "10.199.0.0/24"}},
			[]any{map[string]any{"subnet": "fd00:199::/64"}},
		}
	})
	p1, p2 := e.pod("p1"), e.pod("p2")
	r1 := e.mustAdd(l, rt("c1", p1))
	e.mustAdd(l, rt("c2", p2))
	if len(r1.IPs) != 2 || r1.IPs[1].Address.IP.To4() != nil {
		t.Fatalf("want v4+v6, got %v", r1.IPs)
	}
	v6 := r1.IPs[1].Address.IP.String()
	listen(t, p1, "[::]:8086")
	// Immediately after ADD: no DAD wait, the address is usable at once.
	if got, err := dial(p2, net.JoinHostPort(v6, "8086")); err != nil || !strings.HasPrefix(got, "pong:[fd00:199::") {
		t.Fatalf("v6 pod->pod: %q %v", got, err)
	}
	if out, _ := exec.Command("ip", "-n", strings.TrimPrefix(p1, "/var/run/netns/"), "-6", "addr", "show", "dev", "eth0").CombinedOutput(); !strings.Contains(string(out), "nodad") || strings.Contains(string(out), "fd00:199::2/64 scope global tentative") {
		t.Fatalf("v6 address not nodad:\n%s", out)
	}
	if save := e.ipHost("ip6tables-save", "-t", "nat"); !strings.Contains(save, ":NODENET-") {
		t.Fatalf("no v6 masquerade chain:\n%s", save)
	}
	if err := e.check(l, rt("c1", p1)); err != nil {
		t.Fatal(err)
	}
	if m := e.members("6"); strings.Count(m, "comment") != 2 {
		t.Fatalf("want 2 v6 members:\n%s", m)
	}
	e.delAll(l, rt("c1", p1), rt("c2", p2))
	if m := strings.TrimSpace(e.members("6")); m != "" {
		t.Fatalf("v6 members left:\n%s", m)
	}
}

func TestBridgeOptions(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.0.0", func(p map[string]any) {
		p["isDefaultGateway"], p["isGateway"], p["ipMasq"] = false, false, false
		p["promiscMode"], p["hairpinMode"], p["mtu"] = true, false, 1400
		p["runtimeConfig"] = map[string]any{"mac": "02:00:00:00:00:42"}
	})
	p1 := e.pod("p1")
	r := e.mustAdd(l, rt("c1", p1))
	if r.Interfaces[2].Mac != "02:00:00:00:00:42" {
		t.Errorf("runtimeConfig.mac ignored: %s", r.Interfaces[2].Mac)
	}
	err := e.inHost(func() error {
		br, err := netlink.LinkByName(e.bridge)
		if err != nil {
			return err
		}
		if br.Attrs().Promisc == 0 {
			return fmt.Errorf("bridge not promiscuous")
		}
		if addrs, _ := netlink.AddrList(br, netlink.FAMILY_V4); len(addrs) != 0 {
			return fmt.Errorf("isGateway=false but bridge has %v", addrs)
		}
		host, err := netlink.LinkByName(r.Interfaces[1].Name)
		if err != nil {
			return err
		}
		if host.Attrs().MTU != 1400 {
			return fmt.Errorf("host veth mtu %d", host.Attrs().MTU)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ip", "-n", strings.TrimPrefix(p1, "/var/run/netns/"), "link", "show", "eth0").CombinedOutput()
	if !strings.Contains(string(out), "mtu 1400") {
		t.Errorf("pod mtu: %s", out)
	}
}

func TestForceAddress(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	e.ipHost("ip", "link", "add", e.bridge, "type", "bridge")
	e.ipHost("ip", "addr", "add", "10.199.0.77/24", "dev", e.bridge)
	p1 := e.pod("p1")
	if _, err := e.add(l, rt("c1", p1)); codeOf(err) != 7 {
		t.Fatalf("conflicting bridge address without forceAddress: want code 7, got %v", err)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("failed ADD leaked %v", a)
	}
	lf := e.confList("1.1.0", func(p map[string]any) { p["forceAddress"] = true })
	e.mustAdd(lf, rt("c1", p1))
	if out := e.ipHost("ip", "-4", "addr", "show", "dev", e.bridge); strings.Contains(out, "10.199.0.77") || !strings.Contains(out, "10.199.0.1/24") {
		t.Fatalf("forceAddress did not replace:\n%s", out)
	}
}

// TestVlan needs a kernel with bridge VLAN filtering; without it the ADD
// must fail with a clear invalid-config error and leak nothing.
func TestVlan(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["isDefaultGateway"], p["vlan"], p["preserveDefaultVlan"] = false, 42, false
	})
	p1 := e.pod("p1")
	r, err := e.add(l, rt("c1", p1))
	if err != nil {
		if codeOf(err) != 7 || !strings.Contains(err.Error(), "VLAN filtering") {
			t.Fatalf("vlan ADD failed unclearly: %v", err)
		}
		if a := e.allocations(); len(a) != 0 {
			t.Fatalf("leaked %v", a)
		}
		t.Logf("kernel lacks bridge VLAN filtering: checked the clean failure only")
		return
	}
	err = e.inHost(func() error {
		host, err := netlink.LinkByName(r.Interfaces[1].Name)
		if err != nil {
			return err
		}
		vlans, err := netlink.BridgeVlanList()
		if err != nil {
			return err
		}
		got := fmt.Sprint(vlans[int32(host.Attrs().Index)])
		if !strings.Contains(got, "42") || strings.Contains(got, "Vid:1 ") {
			return fmt.Errorf("port vlans %s, want only 42", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDelegatedIPAM drives the exec path for an ipam.type other than
// host-local through ADD, CHECK, STATUS, GC and DEL; each answer must be the
// delegate's, so the delegate is made to fail or report where nodenet alone
// would not.
func TestDelegatedIPAM(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["type"] = "fakeipam"
		p["ipam"].(map[string]any)["ranges"] = []any{[]any{map[string]any{"subnet": "10.199.0.0/29"}}}
	})
	p1, p2 := e.pod("p1"), e.pod("p2")
	r := e.mustAdd(l, rt("c1", p1))
	e.mustAdd(l, rt("c2", p2))
	if len(r.IPs) != 1 || !strings.HasPrefix(r.IPs[0].Address.String(), "10.199.0.") || r.IPs[0].Gateway.String() != "10.199.0.1" {
		t.Fatalf("delegated result %+v", r.IPs)
	}
	if err := e.check(l, rt("c1", p1)); err != nil {
		t.Fatal(err)
	}
	// The delegate's CHECK decides about the allocation: drop it by hand.
	if err := os.Remove(filepath.Join(e.dataDir, "nnt"+e.id, r.IPs[0].Address.IP.String())); err != nil {
		t.Fatal(err)
	}
	if err := e.check(l, rt("c1", p1)); codeOf(err) != types.ErrUnknownContainer || !strings.Contains(err.Error(), "fakeipam") {
		t.Fatalf("CHECK with the delegate's allocation gone: want its code 3, got %v", err)
	}
	e.killedAdd(l, "unrecorded", e.pod("unrecorded"), "")
	status := func() error {
		return e.inHost(func() error { return e.cni.GetStatusNetworkList(context.Background(), l) })
	}
	if err := status(); err != nil {
		t.Fatal(err)
	}
	for i := 3; i <= 5; i++ { // the /29 holds 5
		e.mustAdd(l, rt(fmt.Sprintf("c%d", i), e.pod(fmt.Sprintf("p%d", i))))
	}
	if err := status(); codeOf(err) != types.ErrPluginNotAvailable || !strings.Contains(err.Error(), "fakeipam") {
		t.Fatalf("STATUS on the delegate's full pool: want its code 50, got %v", err)
	}
	// libcni DELs what its cache knows and is not valid (c3..c5); the
	// unrecorded ADD's address only the delegate's GC can free.
	e.gc(l, []types.GCAttachment{{ContainerID: "c2", IfName: "eth0"}})
	if a := e.allocations(); len(a) != 1 {
		t.Fatalf("after delegated GC: %v, want c2's only", a)
	}
	if err := e.del(l, rt("c2", p2)); err != nil {
		t.Fatal(err)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("after delegated DEL: %v", a)
	}
}

// TestGatewayForDelegatedIPAM: with isGateway, an IPAM result without a
// gateway gets the subnet's first address, on the bridge and as the pod's
// default route, as with the reference bridge.
func TestGatewayForDelegatedIPAM(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["type"] = "fakeipam"
		p["ipam"].(map[string]any)["omitGateway"] = true
	})
	p1 := e.pod("p1")
	r := e.mustAdd(l, rt("c1", p1))
	if r.IPs[0].Gateway.String() != "10.199.0.1" {
		t.Fatalf("result gateway %v, want 10.199.0.1", r.IPs[0].Gateway)
	}
	if out := e.ipHost("ip", "-4", "addr", "show", "dev", e.bridge); !strings.Contains(out, "10.199.0.1/24") {
		t.Fatalf("bridge lacks the worked-out gateway:\n%s", out)
	}
	listen(t, "/var/run/netns/"+e.host, "10.199.0.1:8091")
	if got, err := dial(p1, "10.199.0.1:8091"); err != nil || !strings.HasPrefix(got, "pong:") {
		t.Fatalf("pod to the worked-out gateway: %q %v", got, err)
	}
	if out, _ := exec.Command("ip", "-n", strings.TrimPrefix(p1, "/var/run/netns/"), "route", "show", "default").CombinedOutput(); !strings.Contains(string(out), "via 10.199.0.1") {
		t.Fatalf("pod default route: %s", out)
	}
}

// TestLayer2Network: with no ipam (the reference bridge's layer-2 mode)
// pods get a port on the bridge and an interface that is up, nothing
// else; addresses set by hand then carry packets across the bridge.
// disableContainerInterface leaves the interface down, for whoever uses it
// (a VM) to bring up.
func TestLayer2Network(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		delete(p, "ipam")
		p["isDefaultGateway"] = false
	})
	p1, p2 := e.pod("p1"), e.pod("p2")
	for i, p := range []string{p1, p2} {
		r := e.mustAdd(l, rt(fmt.Sprintf("c%d", i+1), p))
		if len(r.IPs) != 0 || len(r.Interfaces) != 3 {
			t.Fatalf("layer-2 result: %+v", r)
		}
		ns := strings.TrimPrefix(p, "/var/run/netns/")
		ipIn(t, ns, "addr", "add", fmt.Sprintf("10.198.5.%d/24", i+1), "dev", "eth0")
	}
	listen(t, p1, "10.198.5.1:8093")
	if got, err := dial(p2, "10.198.5.1:8093"); err != nil || !strings.HasPrefix(got, "pong:10.198.5.2:") {
		t.Fatalf("layer-2 pod to pod: %q %v", got, err)
	}
	if err := e.check(l, rt("c1", p1)); err != nil {
		t.Fatalf("CHECK of a layer-2 pod: %v", err)
	}
	if a := e.allocations(); len(a) != 0 {
		t.Fatalf("layer-2 network allocated %v", a)
	}
	down := e.confList("1.1.0", func(p map[string]any) {
		delete(p, "ipam")
		p["isDefaultGateway"], p["disableContainerInterface"] = false, true
	})
	p3 := e.pod("p3")
	e.mustAdd(down, rt("c3", p3))
	out, err := exec.Command("ip", "-n", strings.TrimPrefix(p3, "/var/run/netns/"), "link", "show", "eth0").CombinedOutput()
	if err != nil || strings.Contains(string(out), ",UP") {
		t.Fatalf("disableContainerInterface: want eth0 down: %v\n%s", err, out)
	}
	if err := e.check(down, rt("c3", p3)); err != nil {
		t.Fatalf("CHECK of a pod whose interface is meant to be down: %v", err)
	}
	// GC of the layer-2 network: only the attachment not in the list goes.
	e.killedAdd(l, "unrecorded", e.pod("p4"), "")
	e.gc(l, []types.GCAttachment{{ContainerID: "c1", IfName: "eth0"}, {ContainerID: "c2", IfName: "eth0"}, {ContainerID: "c3", IfName: "eth0"}})
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.Count(out, "nnv") != 3 {
		t.Fatalf("after GC of the layer-2 network, want the 3 live ports:\n%s", out)
	}
	e.delAll(l, rt("c1", p1), rt("c2", p2))
	if err := e.del(down, rt("c3", p3)); err != nil {
		t.Fatal(err)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.TrimSpace(out) != "" {
		t.Fatalf("ports left: %s", out)
	}
}
