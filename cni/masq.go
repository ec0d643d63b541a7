package cni

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// Masquerade rules are applied with one iptables-restore --noflush per
// family instead of go-iptables' one exec per rule: each exec of the nft
// backend costs milliseconds and ADD latency is a goal.

type ipFamily struct {
	restore, save string
	multicast     string
	hostBits      int
}

var (
	familyV4 = ipFamily{"iptables-restore", "iptables-save", "224.0.0.0/4", 32}
	familyV6 = ipFamily{"ip6tables-restore", "ip6tables-save", "ff00::/8", 128}
)

func familyOf(ip net.IP) ipFamily {
	if ip.To4() != nil {
		return familyV4
	}
	return familyV6
}

// masqScripts builds one restore script per family masquerading traffic
// from each pod address to anything outside its own subnet (and not
// multicast), like the reference ip.SetupIPMasq. Declaring the chain in
// --noflush mode creates it or flushes a stale one.
func masqScripts(chain, comment string, addrs []net.IPNet) map[ipFamily][]byte {
	rules := map[ipFamily]*bytes.Buffer{}
	for _, addr := range addrs {
		f := familyOf(addr.IP)
		b := rules[f]
		if b == nil {
			b = &bytes.Buffer{}
			fmt.Fprintf(b, "*nat\n:%s - [0:0]\n", chain)
			rules[f] = b
		}
		subnet := net.IPNet{IP: addr.IP.Mask(addr.Mask), Mask: addr.Mask}
		c := fmt.Sprintf("-m comment --comment %q", comment)
		fmt.Fprintf(b, "-A %s -d %s -j ACCEPT %s\n", chain, subnet.String(), c)
		fmt.Fprintf(b, "-A %s ! -d %s -j MASQUERADE %s\n", chain, f.multicast, c)
		fmt.Fprintf(b, "-A POSTROUTING -s %s/%d -j %s %s\n", addr.IP, f.hostBits, chain, c)
	}
	out := map[ipFamily][]byte{}
	for f, b := range rules {
		b.WriteString("COMMIT\n")
		out[f] = b.Bytes()
	}
	return out
}

// parallel runs independent jobs at once and joins their errors. The jobs
// are execs of iptables (milliseconds each) and kernel calls that wait for
// RCU (veth deletion), so overlapping them cuts wall time even on one core.
func parallel(jobs []func() error) error {
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() { errs <- j() }()
	}
	var all []error
	for range jobs {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// async starts job and returns a function that waits for its result.
func async(job func() error) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- job() }()
	return func() error { return <-done }
}

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
	out, err := exec.Command(f.save, "-t", "nat").Output()
	if err != nil {
		return fmt.Errorf("%s: %w", f.save, execErr(err))
	}
	if script := teardownScript(string(out), chain); script != "" {
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

// deleteScripts mirrors masqScripts: the POSTROUTING jumps go, then the
// chain is flushed and removed.
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
		case strings.HasPrefix(line, "-A POSTROUTING ") && (strings.Contains(line, " -j "+chain+" ") || strings.HasSuffix(line, " -j "+chain)):
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

// masqExists reports whether chain is present, for CHECK.
func masqExists(chain string, f ipFamily) (bool, error) {
	out, err := exec.Command(f.save, "-t", "nat").Output()
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.save, execErr(err))
	}
	return strings.Contains(string(out), "\n:"+chain+" "), nil
}

func execErr(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}
