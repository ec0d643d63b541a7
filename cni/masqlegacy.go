package cni

import (
	"bytes"
	"fmt"
	"net"
	"strings"
)

// Per-pod masquerade chains are the layout of releases before the shared
// chain (masqset.go): POSTROUTING -s <pod> -j NODENET-<20 hex>, that chain
// accepting the pod's subnet and masquerading the rest. ADD no longer makes
// them, but pods added by an older plugin still have them, so DEL, a
// repeated ADD and GC still remove them. These paths exec iptables; DEL
// takes them only for an attachment that has no member in the shared sets.

// teardownMasq removes every POSTROUTING jump to chain and the chain itself.
// Nothing there is success (DEL idempotence).
func teardownMasq(chain string, families []ipFamily) error {
	var jobs []func() error
	for _, f := range families {
		jobs = append(jobs, func() error { return teardownFamily(chain, f) })
	}
	return parallel(jobs)
}

func teardownFamily(chain string, f ipFamily) error {
	save, err := saveNAT(f)
	if err != nil {
		return err
	}
	if script := teardownScript(save, chain); script != "" {
		return runRestore(f, []byte(script))
	}
	return nil
}

// teardownMasqFor is teardownMasq when the addresses are known (prevResult
// on DEL): it deletes the exact rules in one restore per family, without
// the iptables-save exec. If anything differs (rule or chain already gone,
// a duplicate jump) that restore fails as a whole and changes nothing, and
// the save-based teardown runs instead.
func teardownMasqFor(chain, comment string, addrs []net.IPNet, families []ipFamily) error {
	if len(addrs) == 0 {
		return teardownMasq(chain, families)
	}
	var jobs []func() error
	for f, script := range deleteScripts(chain, comment, addrs) {
		jobs = append(jobs, func() error {
			if runRestore(f, script) == nil {
				return nil
			}
			return teardownFamily(chain, f)
		})
	}
	return parallel(jobs)
}

// deleteScripts deletes what the old ADD installed: the POSTROUTING jumps,
// then the chain, flushed and removed.
func deleteScripts(chain, comment string, addrs []net.IPNet) map[ipFamily][]byte {
	rules := map[ipFamily]*bytes.Buffer{}
	for _, addr := range addrs {
		f := familyOf(addr.IP)
		if rules[f] == nil {
			rules[f] = bytes.NewBufferString("*nat\n")
		}
		fmt.Fprintf(rules[f], "-D POSTROUTING -s %s/%d -j %s -m comment --comment %q\n", addr.IP, f.hostBits, chain, comment)
	}
	out := map[ipFamily][]byte{}
	for f, b := range rules {
		fmt.Fprintf(b, "-F %s\n-X %s\nCOMMIT\n", chain, chain)
		out[f] = b.Bytes()
	}
	return out
}

// teardownScript turns iptables-save output into a restore script deleting
// our jumps and chain, or "" when there is nothing to delete.
func teardownScript(save, chain string) string {
	var b strings.Builder
	exists := false
	for _, line := range strings.Split(save, "\n") {
		switch {
		case strings.HasPrefix(line, ":"+chain+" "):
			exists = true
		case strings.HasPrefix(line, "-A POSTROUTING ") && jumpsTo(line, chain):
			b.WriteString("-D" + strings.TrimPrefix(line, "-A") + "\n")
		}
	}
	if exists {
		fmt.Fprintf(&b, "-F %s\n-X %s\n", chain, chain)
	}
	if b.Len() == 0 {
		return ""
	}
	return "*nat\n" + b.String() + "COMMIT\n"
}

func jumpsTo(line, chain string) bool {
	return strings.Contains(line, " -j "+chain+" ") || strings.HasSuffix(line, " -j "+chain)
}

// chainDeclared reports whether an iptables-save output declares chain.
func chainDeclared(save, chain string) bool {
	return strings.Contains(save, "\n:"+chain+" ")
}

// masqComment is the comment of the old per-pod rules. It needs no quoting
// inside a restore script: both names were validated to [A-Za-z0-9_.-].
// Cut to stay far below the 256-byte limit.
func masqComment(network, containerID string) string {
	c := "nodenet name=" + network + " id=" + containerID
	if len(c) > 200 {
		c = c[:200]
	}
	return c
}
