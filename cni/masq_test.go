package cni

import (
	"strings"
	"testing"
)

func TestSharedMasqNames(t *testing.T) {
	long := strings.Repeat("n", maxNameLen)
	for _, network := range []string{"n", "nodenet", long} {
		chain := sharedMasqChain(network)
		if len(chain) != MaxChainLen || !strings.HasPrefix(chain, "NODENET-MASQ-") {
			t.Errorf("chain %q: len %d", chain, len(chain))
		}
		for _, f := range allFamilies {
			for _, set := range []string{podSetName(network, f), netsSetName(network, f)} {
				if len(set) > maxSetNameLen || strings.HasPrefix(set, "NNP-") || strings.HasPrefix(set, "NODENET-FW") {
					t.Errorf("set %q: len %d", set, len(set))
				}
			}
		}
	}
	if podSetName("n", familyV4) == podSetName("n", familyV6) || podSetName("n", familyV4) == netsSetName("n", familyV4) {
		t.Error("set names collide")
	}
	if sharedMasqChain("a") == sharedMasqChain("b") {
		t.Error("chain names of two networks collide")
	}
}

func TestAttachmentKey(t *testing.T) {
	if k := attachmentKey("c1", "eth0"); k != "c1/eth0" {
		t.Errorf("key %q", k)
	}
	long := strings.Repeat("x", 1000)
	k := attachmentKey(long, "eth0")
	if len(k) > maxCommentLen || k == attachmentKey(long, "eth1") {
		t.Errorf("long key %q", k)
	}
}

func TestBootstrapScript(t *testing.T) {
	chain, pods, nets := sharedMasqChain("n"), podSetName("n", familyV4), netsSetName("n", familyV4)
	got := bootstrapScript("n", familyV4, "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
	for _, want := range []string{
		"*nat\n:" + chain + " - [0:0]\n",
		"-A " + chain + " -m set --match-set " + nets + " dst -m comment --comment \"nodenet masq net=n\" -j ACCEPT\n",
		"-A " + chain + " ! -d 224.0.0.0/4 -m comment --comment \"nodenet masq net=n\" -j MASQUERADE\n",
		"-A POSTROUTING -m set --match-set " + pods + " src -m set --match-set " + nets + " src -m comment --comment \"nodenet masq net=n\" -j " + chain + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %q:\n%s", want, got)
		}
	}
	// With the jump already there, a second bootstrap refills the chain only.
	save := "*nat\n-A POSTROUTING -m set --match-set " + pods + " src -j " + chain + "\nCOMMIT\n"
	if again := bootstrapScript("n", familyV4, save); strings.Contains(again, "-A POSTROUTING") {
		t.Errorf("jump added twice:\n%s", again)
	}
	if s6 := bootstrapScript("n", familyV6, ""); !strings.Contains(s6, "! -d ff00::/8 ") || !strings.Contains(s6, podSetName("n", familyV6)) {
		t.Errorf("v6 script:\n%s", s6)
	}
}
