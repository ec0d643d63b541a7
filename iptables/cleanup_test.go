package iptables

import (
	"strings"
	"testing"
)

// TestCleanupLeavesCNIChains: the bundled CNI plugin's ipMasq chains share
// the NODENET- prefix; cleanup and dump rules must leave them to the pods.
func TestCleanupLeavesCNIChains(t *testing.T) {
	_, f := syncedFake(t, goldenTable())
	const cniChain = "NODENET-0123456789abcdef0123"
	cni := "*nat\n:" + cniChain + " - [0:0]\n-A " + cniChain + " -d 10.244.0.0/16 -j ACCEPT\n" +
		"-A " + cniChain + " -j MASQUERADE\n-A POSTROUTING -s 10.244.1.5/32 -j " + cniChain + "\nCOMMIT\n"
	if err := f.Restore([]byte(cni)); err != nil {
		t.Fatal(err)
	}
	saved, err := SaveKernelRules(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(saved, cniChain) || !strings.Contains(saved, natServices) {
		t.Errorf("dump rules must show the agent's chains only:\n%s", saved)
	}
	if err := CleanupKernel(f); err != nil {
		t.Fatalf("cleanup with a pod's CNI chain present: %v", err)
	}
	dump := f.Dump()
	if !strings.Contains(dump, "-A "+cniChain+" -j MASQUERADE") {
		t.Errorf("cleanup touched the CNI chain:\n%s", dump)
	}
	for _, c := range append(fixedChains, "NODENET-SVC-0A") {
		if strings.Contains(dump, ":"+c+" ") {
			t.Errorf("cleanup left %s:\n%s", c, dump)
		}
	}
}
