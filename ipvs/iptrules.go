package ipvs

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"

	goiptables "github.com/coreos/go-iptables/iptables"
)

// execRules is the real Rules: `ipset restore` for the sets, then
// `iptables-restore --noflush` for our chains (atomic per table), then
// the hooks with go-iptables.
type execRules struct {
	ipv6          bool
	save, restore string
	ipt           *goiptables.IPTables
}

// NewRules returns the real Rules of the current network namespace.
func NewRules(ipv6 bool) (Rules, error) {
	proto, save, restore := goiptables.ProtocolIPv4, "iptables-save", "iptables-restore"
	if ipv6 {
		proto, save, restore = goiptables.ProtocolIPv6, "ip6tables-save", "ip6tables-restore"
	}
	ipt, err := goiptables.New(goiptables.IPFamily(proto), goiptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	return &execRules{ipv6: ipv6, save: save, restore: restore, ipt: ipt}, nil
}

func run(stdin string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (r *execRules) Apply(spec, prev *RuleSpec) error {
	if sets := spec.RenderSets(prev); sets != "" {
		if err := run(sets, "ipset", "restore", "-exist"); err != nil {
			return err
		}
	}
	if spec.SameChains(prev) {
		return nil // chains and hooks were checked with prev
	}
	// One listing and one restore, hooks included: each exec costs, and
	// under emulation a second or more.
	saved, err := exec.Command(r.save).Output()
	if err != nil {
		return fmt.Errorf("%s: %w", r.save, err)
	}
	return run(spec.Render(MissingHooks(string(saved))...), r.restore, "-w", "5", "--noflush")
}

func hookRule(h Hook) []string {
	return []string{"-m", "comment", "--comment", HookComment, "-j", h.Target}
}

func (r *execRules) Cleanup() error {
	for _, h := range Hooks {
		// A jump to a chain that does not exist cannot exist, and iptables
		// answers -C for it with exit status 2, which go-iptables' DeleteIfExists
		// takes for a failure (only 1 means "no such rule").
		ok, err := r.ipt.ChainExists(h.Table, h.Target)
		if err != nil {
			return err
		}
		if ok {
			if err := r.ipt.DeleteIfExists(h.Table, h.Chain, hookRule(h)...); err != nil {
				return fmt.Errorf("unhooking %s: %w", h.Target, err)
			}
		}
	}
	for _, h := range Hooks {
		if ok, err := r.ipt.ChainExists(h.Table, h.Target); err != nil {
			return err
		} else if ok {
			if err := r.ipt.ClearAndDeleteChain(h.Table, h.Target); err != nil {
				return fmt.Errorf("deleting %s: %w", h.Target, err)
			}
		}
	}
	for _, kind := range SetKinds {
		for _, name := range []string{SetName(kind, r.ipv6), SetName(kind, r.ipv6) + "-T"} {
			out, err := exec.Command("ipset", "destroy", name).CombinedOutput()
			if err != nil && !strings.Contains(string(out), "does not exist") {
				return fmt.Errorf("ipset destroy %s: %w: %s", name, err, out)
			}
		}
	}
	return nil
}
