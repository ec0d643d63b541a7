package cni

import (
	"strings"
	"testing"
)

func TestValidateNames(t *testing.T) {
	for _, id := range []string{"abc", "a-b_c.d", strings.Repeat("f", 64)} {
		if err := validateContainerID(id); err != nil {
			t.Errorf("container ID %q rejected: %v", id, err)
		}
	}
	for _, id := range []string{"", "../x", "a/b", ".hidden", "a b", "x\x00", strings.Repeat("a", 2000)} {
		if err := validateContainerID(id); err == nil {
			t.Errorf("container ID %q accepted", id)
		}
	}
	for _, n := range []string{"", "..", "a/b", "-x", "é"} {
		if err := validateNetworkName(n); err == nil {
			t.Errorf("network name %q accepted", n)
		}
	}
	for _, n := range []string{"", ".", "..", "eth0/1", "a:b", "a b", "sixteen-chars-xx"} {
		if err := validateIfName(n); err == nil {
			t.Errorf("ifname %q accepted", n)
		}
	}
	if err := validateIfName("eth0"); err != nil {
		t.Error(err)
	}
}

func TestDerivedNames(t *testing.T) {
	c := masqChainName("net", "container", "eth0")
	if len(c) != MaxChainLen || !strings.HasPrefix(c, "NODENET-") {
		t.Errorf("chain %q: len %d", c, len(c))
	}
	if c != masqChainName("net", "container", "eth0") {
		t.Error("chain name not deterministic")
	}
	if c == masqChainName("ne", "tcontainer", "eth0") || c == masqChainName("net", "container", "eth1") {
		t.Error("chain name collides")
	}
	v := hostVethName("container", "eth0")
	if len(v) > 15 || validateIfName(v) != nil {
		t.Errorf("veth name %q invalid", v)
	}
}

func TestTeardownScript(t *testing.T) {
	chain := masqChainName("n", "c", "eth0")
	save := "*nat\n:POSTROUTING ACCEPT [0:0]\n:" + chain + " - [0:0]\n:NODENET-other - [0:0]\n" +
		"-A POSTROUTING -s 10.0.0.2/32 -m comment --comment \"nodenet name=n id=c\" -j " + chain + "\n" +
		"-A POSTROUTING -s 10.0.0.3/32 -j NODENET-other\n" +
		"-A " + chain + " -d 10.0.0.0/24 -m comment --comment \"nodenet name=n id=c\" -j ACCEPT\n" +
		"-A NODENET-other -d 10.0.0.0/24 -m comment --comment \"nodenet name=n2 id=c\" -j ACCEPT\nCOMMIT\n"
	got := teardownScript(save, chain)
	want := "*nat\n-D POSTROUTING -s 10.0.0.2/32 -m comment --comment \"nodenet name=n id=c\" -j " + chain + "\n-F " + chain + "\n-X " + chain + "\nCOMMIT\n"
	if got != want {
		t.Errorf("script:\n%s\nwant:\n%s", got, want)
	}
	if teardownScript("*nat\nCOMMIT\n", chain) != "" {
		t.Error("nothing to delete must give empty script")
	}
	if owned := ownedChains(save, "n"); len(owned) != 1 || owned[0] != chain {
		t.Errorf("owned chains of network n: %v", owned)
	}
}
