package cni

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// bootstrapLock serializes bootstraps of concurrent first ADDs, so the
// POSTROUTING jump is added once. It is node-wide (not per network or
// netns): bootstraps are rare and short.
var bootstrapLock = "/run/nodenet/cni-masq.lock"

// bootstrapMasq makes the network's shared layout in family f whole: both
// sets, the chain with its two rules, the POSTROUTING jump. It runs when
// ADD finds the subnet set missing or under-referenced: the first ADD on a
// node, or after someone flushed the nat table. Every step is idempotent;
// the lock makes the check-then-add of the jump safe.
func bootstrapMasq(network string, f ipFamily) error {
	unlock, err := lockFile(bootstrapLock)
	if err != nil {
		return err
	}
	defer unlock()
	nets := netsSetName(network, f)
	if info, err := listIpset(nets); err == nil && info.References >= sharedRefs {
		return nil // a concurrent ADD did it while we waited
	}
	if err := createSets(network, f); err != nil {
		return err
	}
	save, err := saveNAT(f)
	if err != nil {
		return err
	}
	return runRestore(f, []byte(bootstrapScript(network, f, save)))
}

// createSets creates both sets unless they exist (no NLM_F_EXCL).
func createSets(network string, f ipFamily) error {
	for _, s := range []struct {
		name, kind string
		comments   bool
	}{{podSetName(network, f), "hash:ip", true}, {netsSetName(network, f), "hash:net", false}} {
		opts := netlink.IpsetCreateOptions{Replace: true, Family: f.setFamily, Comments: s.comments}
		if err := netlink.IpsetCreate(s.name, s.kind, opts); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("creating ipset %s: %w", s.name, err)
		}
	}
	return nil
}

// bootstrapScript declares the chain (which creates it, or flushes it),
// fills it and adds the jump unless save already has one.
func bootstrapScript(network string, f ipFamily, save string) string {
	chain, pods, nets := sharedMasqChain(network), podSetName(network, f), netsSetName(network, f)
	c := fmt.Sprintf("-m comment --comment %q", sharedComment(network))
	var b strings.Builder
	fmt.Fprintf(&b, "*nat\n:%s - [0:0]\n", chain)
	fmt.Fprintf(&b, "-A %s -m set --match-set %s dst %s -j ACCEPT\n", chain, nets, c)
	fmt.Fprintf(&b, "-A %s ! -d %s %s -j MASQUERADE\n", chain, f.multicast, c)
	if !hasJump(save, chain) {
		fmt.Fprintf(&b, "-A POSTROUTING -m set --match-set %s src -m set --match-set %s src %s -j %s\n", pods, nets, c, chain)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// hasJump reports whether iptables-save output has a POSTROUTING rule
// jumping to chain.
func hasJump(save, chain string) bool {
	for _, line := range strings.Split(save, "\n") {
		if strings.HasPrefix(line, "-A POSTROUTING ") && jumpsTo(line, chain) {
			return true
		}
	}
	return false
}

// sharedComment marks the shared rules.
func sharedComment(network string) string {
	c := "nodenet masq net=" + network
	if len(c) > 200 {
		c = c[:200]
	}
	return c
}

// lockFile takes an exclusive flock on path, creating it and its folder.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock folder: %w", err)
	}
	fd, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := unix.Flock(int(fd.Fd()), unix.LOCK_EX); err != nil {
		fd.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { fd.Close() }, nil
}

func jumpsTo(line, chain string) bool {
	return strings.Contains(line, " -j "+chain+" ") || strings.HasSuffix(line, " -j "+chain)
}

// chainDeclared reports whether an iptables-save output declares chain.
func chainDeclared(save, chain string) bool {
	return strings.Contains(save, "\n:"+chain+" ")
}
