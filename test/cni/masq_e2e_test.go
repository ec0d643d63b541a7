//go:build e2e

package cnie2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

// The shared masquerade layout (cni/masqset.go): one chain per network,
// matched by ipsets of the network's pod addresses and subnets.

func (e *env) members(family string) string {
	e.t.Helper()
	out, err := exec.Command("ip", "netns", "exec", e.host, "ipset", "list", "NODENET-MASQ"+family+"-"+netHash("nnt"+e.id)).CombinedOutput()
	if err != nil {
		return ""
	}
	_, m, _ := strings.Cut(string(out), "Members:\n")
	return m
}

// netHash mirrors cni.networkHash (an unexported name the test pins down).
func netHash(network string) string {
	return hashHex("masq", network)[:15]
}

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// uplink adds a netns "outside" the node, routed from the host netns:
// 10.250.0.1 on the host, 10.250.0.2 outside, and returns the latter's path.
func (e *env) uplink() string {
	e.t.Helper()
	ext := e.nsName("ext")
	e.addNS(ext)
	e.ipHost("ip", "link", "add", "nntup", "type", "veth", "peer", "name", "eth0", "netns", ext)
	e.ipHost("ip", "addr", "add", "10.250.0.1/24", "dev", "nntup")
	e.ipHost("ip", "link", "set", "nntup", "up")
	for _, args := range [][]string{{"addr", "add", "10.250.0.2/24", "dev", "eth0"}, {"link", "set", "eth0", "up"}, {"link", "set", "lo", "up"}} {
		if out, err := exec.Command("ip", append([]string{"-n", ext}, args...)...).CombinedOutput(); err != nil {
			e.t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	return "/var/run/netns/" + ext
}

// TestMasqueradePackets sends real connections: to the outside they leave
// masqueraded (the server sees the host's address), to another pod they
// keep the pod's address. Both pods share one chain and one jump.
func TestMasqueradePackets(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1, p2 := e.pod("p1"), e.pod("p2")
	ext := e.uplink()
	r1 := e.mustAdd(l, rt("c1", p1))
	r2 := e.mustAdd(l, rt("c2", p2))
	listen(t, ext, ":8080")
	if got, err := dial(p1, "10.250.0.2:8080"); err != nil || !strings.HasPrefix(got, "pong:10.250.0.1:") {
		t.Fatalf("pod -> outside not masqueraded: %q %v", got, err)
	}
	listen(t, p2, ":8080")
	ip2 := r2.IPs[0].Address.IP.String()
	if got, err := dial(p1, net.JoinHostPort(ip2, "8080")); err != nil || !strings.HasPrefix(got, "pong:"+r1.IPs[0].Address.IP.String()+":") {
		t.Fatalf("pod -> pod masqueraded: %q %v", got, err)
	}
	save := e.ipHost("iptables-save", "-t", "nat")
	if strings.Count(save, ":NODENET-") != 1 || strings.Count(save, "-A POSTROUTING") != 1 {
		t.Fatalf("want one shared chain and one jump:\n%s", save)
	}
	if m := e.members("4"); !strings.Contains(m, ip2+` comment "c2/eth0"`) {
		t.Fatalf("pod set members:\n%s", m)
	}
}

// TestMasqueradeDrift: CHECK notices a missing member and a missing jump;
// the next ADD restores the jump (the set's reference count tells it).
func TestMasqueradeDrift(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", nil)
	p1, p2 := e.pod("p1"), e.pod("p2")
	r := e.mustAdd(l, rt("c1", p1))
	set := "NODENET-MASQ4-" + netHash(l.Name)
	e.ipHost("ipset", "del", set, r.IPs[0].Address.IP.String())
	if err := e.check(l, rt("c1", p1)); codeOf(err) != 100 || !strings.Contains(err.Error(), set) {
		t.Fatalf("CHECK without member: want code 100 naming %s, got %v", set, err)
	}
	e.mustAdd(l, rt("c1", p1)) // a repeated ADD puts it back
	e.ipHost("iptables", "-t", "nat", "-F", "POSTROUTING")
	if err := e.check(l, rt("c1", p1)); codeOf(err) != 100 || !strings.Contains(err.Error(), "POSTROUTING") {
		t.Fatalf("CHECK without jump: want code 100, got %v", err)
	}
	e.mustAdd(l, rt("c2", p2))
	if err := e.check(l, rt("c1", p1)); err != nil {
		t.Fatalf("CHECK after the next ADD re-made the jump: %v", err)
	}
	e.wantOneJump("after the repair")
}

// wantOneJump fails unless POSTROUTING holds exactly one rule (the jump to
// the shared chain).
func (e *env) wantOneJump(when string) {
	e.t.Helper()
	if save := e.ipHost("iptables-save", "-t", "nat"); strings.Count(save, "-A POSTROUTING") != 1 {
		e.t.Fatalf("%s: want one POSTROUTING jump:\n%s", when, save)
	}
}

func (e *env) restore(script string) {
	e.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", e.host, "iptables-restore", "--noflush")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("restore: %v %s\n%s", err, out, script)
	}
}

// delAll deletes every attachment and checks no member is left.
func (e *env) delAll(l *libcni.NetworkConfigList, rts ...*libcni.RuntimeConf) {
	e.t.Helper()
	for _, r := range rts {
		if err := e.del(l, r); err != nil {
			e.t.Fatal(err)
		}
	}
	if m := strings.TrimSpace(e.members("4")); m != "" {
		e.t.Fatalf("members left after DEL:\n%s", m)
	}
}
