package iptables

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"runtime/debug"
	"strings"

	goiptables "github.com/coreos/go-iptables/iptables"

	"github.com/nodenet/nodenet/internal/tamper/nfwatch"
)

// Kernel is the narrow surface the backend needs from iptables. The real
// one execs iptables-restore and uses go-iptables; the fake keeps the
// state in memory and validates what it is given.
type Kernel interface {
	// Restore applies payload (iptables-save format) atomically without
	// flushing tables: only the chains it declares are flushed.
	Restore(payload []byte) error
	// ListRules returns chain's rules in `-S` form; a missing chain is empty.
	ListRules(table, chain string) ([]string, error)
	// ListChains returns every chain of table.
	ListChains(table string) ([]string, error)
	// DeleteRule removes rulespec from chain; a missing rule or chain is fine.
	DeleteRule(table, chain string, rulespec ...string) error
	// Save returns table in iptables-save format.
	Save(table string) (string, error)
}

// execKernel is the Kernel of the current network namespace.
// It keeps nfacct counters too (Accounting): the INVALID drop counts
// into one.
type execKernel struct {
	NetlinkAccounting
	fam family
	ipt *goiptables.IPTables
}

// restoreLockWait is how long iptables-restore waits for the xtables lock
// that other programs on the node (kubelet, CNI plugins) also take.
const restoreLockWait = "5"

func newExecKernel(fam family) (*execKernel, error) {
	proto := goiptables.ProtocolIPv4
	if fam.ipFamily == familyV6.ipFamily {
		proto = goiptables.ProtocolIPv6
	}
	registerMetrics()
	ipt, err := goiptables.New(goiptables.IPFamily(proto), goiptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	return &execKernel{fam: fam, ipt: ipt}, nil
}

// releaseBeforeRestore is the payload size from which Restore first hands
// the agent's free heap back to the kernel (see returnFreeMemory).
const releaseBeforeRestore = 1 << 20

func (k *execKernel) Restore(payload []byte) error {
	if len(payload) >= releaseBeforeRestore {
		returnFreeMemory()
	}
	cmd := exec.Command(k.fam.restore, "-w", restoreLockWait, "--noflush")
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := nfwatch.RunOurs(cmd)
	restoreLines.Observe(float64(bytes.Count(payload, []byte{'\n'})))
	if err != nil {
		return fmt.Errorf("%s: %w: %s", k.fam.restore, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (k *execKernel) ListRules(table, chain string) ([]string, error) {
	rules, err := k.ipt.List(table, chain)
	if isMissingChain(err) {
		return nil, nil
	}
	return rules, err
}

func (k *execKernel) ListChains(table string) ([]string, error) { return k.ipt.ListChains(table) }

func (k *execKernel) DeleteRule(table, chain string, rulespec ...string) error {
	return k.ipt.DeleteIfExists(table, chain, rulespec...)
}

func (k *execKernel) Save(table string) (string, error) {
	out, err := exec.Command(k.fam.save, "-t", table).Output()
	if err != nil {
		return "", fmt.Errorf("%s -t %s: %w", k.fam.save, table, err)
	}
	return string(out), nil
}

// isMissingChain recognises iptables' answer for a chain that does not
// exist. iptables-nft 1.8.9 says "chain ... is incompatible, use 'nft'
// tool" (status 1) instead of "No chain", which IsNotExist misses. Other
// status-1 failures are real errors: taking them for "missing" would make
// a full sync insert duplicate hooks.
func isMissingChain(err error) bool {
	var ipterr *goiptables.Error
	if !errors.As(err, &ipterr) {
		return false
	}
	if ipterr.IsNotExist() {
		return true
	}
	msg := ipterr.Error()
	return ipterr.ExitStatus() == 1 && (strings.Contains(msg, "No chain") || strings.Contains(msg, "incompatible"))
}

// returnFreeMemory collects garbage and returns the free heap to the
// kernel before a large restore. iptables-restore needs about as much
// memory as the agent (~220 MiB for 10k Services × 10 endpoints) and
// runs beside it, in the same container; the Go runtime keeps the heap
// it has grown (to twice what was live, by default) and returns it only
// slowly, so without this the two peaks add up. It costs one forced GC,
// tens of milliseconds at 10k, and only syncs that write a megabyte or
// more (full ones, at scale) pay it.
func returnFreeMemory() { debug.FreeOSMemory() }
