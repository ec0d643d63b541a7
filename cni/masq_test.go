package cni

import (
	"net"
	"strings"
	"testing"
)

func TestMasqScripts(t *testing.T) {
	chain := masqChainName("n", "c", "eth0")
	_, v4, _ := net.ParseCIDR("10.1.2.0/24")
	_, v6, _ := net.ParseCIDR("fd00::/64")
	v4.IP = net.ParseIP("10.1.2.7").To4()
	v6.IP = net.ParseIP("fd00::7")
	scripts := masqScripts(chain, masqComment("n", "c"), []net.IPNet{*v4, *v6})
	if len(scripts) != 2 {
		t.Fatalf("want one script per family, got %d", len(scripts))
	}
	s4 := string(scripts[familyV4])
	for _, want := range []string{
		":" + chain + " - [0:0]",
		"-A " + chain + " -d 10.1.2.0/24 -j ACCEPT",
		"-A " + chain + " ! -d 224.0.0.0/4 -j MASQUERADE",
		"-A POSTROUTING -s 10.1.2.7/32 -j " + chain,
		`--comment "nodenet name=n id=c"`,
	} {
		if !strings.Contains(s4, want) {
			t.Errorf("v4 script lacks %q:\n%s", want, s4)
		}
	}
	if !strings.HasPrefix(s4, "*nat\n") || !strings.HasSuffix(s4, "COMMIT\n") {
		t.Errorf("v4 script framing:\n%s", s4)
	}
	s6 := string(scripts[familyV6])
	if !strings.Contains(s6, "! -d ff00::/8 -j MASQUERADE") || !strings.Contains(s6, "-s fd00::7/128 -j "+chain) {
		t.Errorf("v6 script:\n%s", s6)
	}
	if c := masqComment("n", strings.Repeat("x", 1000)); len(c) > 200 {
		t.Errorf("comment not bounded: %d", len(c))
	}
}

func TestDeleteScripts(t *testing.T) {
	chain := masqChainName("n", "c", "eth0")
	_, v4, _ := net.ParseCIDR("10.1.2.7/24")
	v4.IP = net.ParseIP("10.1.2.7").To4()
	got := string(deleteScripts(chain, "nodenet name=n id=c", []net.IPNet{*v4})[familyV4])
	want := "*nat\n-D POSTROUTING -s 10.1.2.7/32 -j " + chain + " -m comment --comment \"nodenet name=n id=c\"\n-F " + chain + "\n-X " + chain + "\nCOMMIT\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
