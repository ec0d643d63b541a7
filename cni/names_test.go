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
	v := hostVethName("container", "eth0")
	if len(v) > 15 || validateIfName(v) != nil {
		t.Errorf("veth name %q invalid", v)
	}
}

func TestPortAliasKeepsLongNamesApart(t *testing.T) {
	long := strings.Repeat("n", 300)
	a, b := portAlias(long+"a"), portAlias(long+"b")
	if a == b || len(a) > 255 || len(b) > 255 {
		t.Errorf("aliases of two long networks: %q, %q", a, b)
	}
	if portAlias("nodenet") != "nodenet net=nodenet" {
		t.Errorf("short alias %q", portAlias("nodenet"))
	}
}

// TestLongContainerIDErrorIsShort: a 5,000-byte ID is refused for its
// length, not its characters, and the error quotes only its beginning.
func TestLongContainerIDErrorIsShort(t *testing.T) {
	err := validateContainerID(strings.Repeat("a", 5000))
	if err == nil {
		t.Fatal("accepted")
	}
	text := err.Msg + " " + err.Details
	if strings.Contains(text, "invalid characters") || !strings.Contains(err.Msg, "5000 bytes") {
		t.Errorf("error %q does not say the ID is too long", text)
	}
	if len(text) > 200 {
		t.Errorf("error is %d bytes long: %q", len(text), text)
	}
}
