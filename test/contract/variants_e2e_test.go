//go:build e2e

package contract

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// variant is one of the two iptables a node may have: the nf_tables one
// and the legacy (x_tables) one. The fake must agree with both; where
// they differ, it refuses what either refuses.
type variant struct {
	name, multi string
	mode        string // as `iptables --version` says it, "(nf_tables)"
}

var variants = []variant{{"nft", "xtables-nft-multi", "(nf_tables)"}, {"legacy", "xtables-legacy-multi", "(legacy)"}}

// eachVariant runs fn once per variant, with iptables, iptables-restore,
// iptables-save and their IPv6 twins on PATH being that variant's (a
// multi-call binary picks its command from its name). The agent's exec
// kernel finds them there. t.Setenv: the tests here are not parallel.
func eachVariant(t *testing.T, fn func(t *testing.T, v variant)) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			multi, err := exec.LookPath(v.multi)
			if err != nil {
				t.Fatalf("the contract tests need %s: %v", v.multi, err)
			}
			dir := t.TempDir()
			for _, cmd := range []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"} {
				if err := os.Symlink(multi, filepath.Join(dir, cmd)); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			if out, err := exec.Command("iptables", "--version").Output(); err != nil || !strings.Contains(string(out), v.mode) {
				t.Fatalf("iptables on PATH is not %s: %s %v", v.mode, out, err)
			}
			fn(t, v)
		})
	}
}
