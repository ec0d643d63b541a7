//go:build e2e

package cnie2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

// TestRuntimeRequests: what runtimes ask of one pod through the reference
// plugins' channels (the ips and mac capabilities, CNI_ARGS IP= and MAC=)
// lands on the pod interface and carries packets; a taken address is
// refused without leaking anything.
func TestRuntimeRequests(t *testing.T) {
	e := newEnv(t)
	l := e.confList("1.1.0", func(p map[string]any) {
		p["capabilities"] = map[string]bool{"ips": true, "mac": true}
	})
	p1, p2, p3 := e.pod("p1"), e.pod("p2"), e.pod("p3")
	caps := rt("c1", p1)
	caps.CapabilityArgs = map[string]any{"ips": []string{"10.199.0.77/24"}, "mac": "02:00:0a:c7:00:4d"}
	r1 := e.mustAdd(l, caps)
	env := rt("c2", p2)
	env.Args = [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "p2"}, {"IP", "10.199.0.78"}, {"MAC", "02:00:0a:c7:00:4e"}}
	r2 := e.mustAdd(l, env)
	for _, c := range []struct {
		pod, ip, mac string
		got          string
	}{
		{p1, "10.199.0.77/24", "02:00:0a:c7:00:4d", r1.IPs[0].Address.String() + " " + r1.Interfaces[2].Mac},
		{p2, "10.199.0.78/24", "02:00:0a:c7:00:4e", r2.IPs[0].Address.String() + " " + r2.Interfaces[2].Mac},
	} {
		if c.got != c.ip+" "+c.mac {
			t.Errorf("result %s, want %s %s", c.got, c.ip, c.mac)
		}
		out, _ := exec.Command("ip", "-n", strings.TrimPrefix(c.pod, "/var/run/netns/"), "addr", "show", "dev", "eth0").CombinedOutput()
		if !strings.Contains(string(out), "inet "+c.ip) || !strings.Contains(string(out), "link/ether "+c.mac) {
			t.Errorf("pod eth0 lacks %s %s:\n%s", c.ip, c.mac, out)
		}
	}
	listen(t, p1, "10.199.0.77:8092")
	if got, err := dial(p2, "10.199.0.77:8092"); err != nil || !strings.HasPrefix(got, "pong:10.199.0.78:") {
		t.Fatalf("pod at the requested address to pod at the requested address: %q %v", got, err)
	}
	// args.cni in the config itself (what meta-plugins write per pod).
	fromConf := e.confList("1.1.0", func(p map[string]any) {
		p["args"] = map[string]any{"cni": map[string]any{"ips": []string{"10.199.0.79"}, "mac": "02:00:0a:c7:00:4f"}}
	})
	p4 := e.pod("p4")
	if r := e.mustAdd(fromConf, rt("c4", p4)); r.IPs[0].Address.String() != "10.199.0.79/24" || r.Interfaces[2].Mac != "02:00:0a:c7:00:4f" {
		t.Errorf("args.cni: got %s %s", r.IPs[0].Address.String(), r.Interfaces[2].Mac)
	}
	taken := rt("c3", p3)
	taken.CapabilityArgs = map[string]any{"ips": []string{"10.199.0.77/24"}}
	if _, err := e.add(l, taken); codeOf(err) != types.ErrInvalidNetworkConfig || !strings.Contains(err.Error(), "10.199.0.77") {
		t.Fatalf("ADD asking a taken address: want code 7 naming it, got %v", err)
	}
	if a := e.allocations(); len(a) != 3 {
		t.Fatalf("refused ADD leaked an address: %v", a)
	}
	if out := e.ipHost("ip", "-o", "link", "show", "master", e.bridge); strings.Count(out, "nnv") != 3 {
		t.Fatalf("refused ADD leaked a port:\n%s", out)
	}
}

// TestDNSAndBridgeHardening: host-local's resolvConf fills the result's
// DNS, the config's dns wins over it (as with the reference bridge), and
// the bridge refuses router advertisements.
func TestDNSAndBridgeHardening(t *testing.T) {
	e := newEnv(t)
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 10.96.0.10\nsearch svc.cluster.local\noptions ndots:5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fromIPAM := e.confList("1.1.0", func(p map[string]any) { p["ipam"].(map[string]any)["resolvConf"] = resolv })
	r := e.mustAdd(fromIPAM, rt("c1", e.pod("p1")))
	if got := fmt.Sprint(r.DNS.Nameservers, r.DNS.Search, r.DNS.Options); got != "[10.96.0.10] [svc.cluster.local] [ndots:5]" {
		t.Errorf("DNS from resolvConf: %s", got)
	}
	fromConf := e.confList("1.1.0", func(p map[string]any) {
		p["ipam"].(map[string]any)["resolvConf"] = resolv
		p["dns"] = map[string]any{"nameservers": []string{"10.0.0.53"}}
	})
	r = e.mustAdd(fromConf, rt("c2", e.pod("p2")))
	if got := fmt.Sprint(r.DNS.Nameservers, r.DNS.Search); got != "[10.0.0.53] []" {
		t.Errorf("config dns must win over IPAM's: %s", got)
	}
	if got := strings.TrimSpace(e.ipHost("cat", "/proc/sys/net/ipv6/conf/"+e.bridge+"/accept_ra")); got != "0" {
		t.Errorf("bridge accept_ra = %s, want 0", got)
	}
	missing := e.confList("1.1.0", func(p map[string]any) { p["ipam"].(map[string]any)["resolvConf"] = resolv + ".gone" })
	if _, err := e.add(missing, rt("c3", e.pod("p3"))); err == nil || !strings.Contains(err.Error(), "resolvConf") {
		t.Fatalf("missing resolvConf: want an error naming it, got %v", err)
	}
	if a := e.allocations(); len(a) != 2 {
		t.Fatalf("failed ADD leaked an address: %v", a)
	}
}
