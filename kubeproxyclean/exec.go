package kubeproxyclean

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// variants are the iptables binaries looked for, both families, both
// backends: kube-proxy picks one variant per node (kubelet's hint chain),
// and a node may have switched, so both are cleaned.
var variants = []string{"iptables-legacy", "iptables-nft", "ip6tables-legacy", "ip6tables-nft"}

// lockWait is how long a restore waits for the xtables lock that kubelet
// and CNI plugins also take (legacy; the nft variant accepts and ignores it).
const lockWait = "5"

// SystemIptables lists the installed variants; where none of the variant
// names is installed, the plain iptables and ip6tables.
func SystemIptables() []Iptables {
	var out []Iptables
	for _, v := range variants {
		if installed(v) {
			out = append(out, execIptables(v))
		}
	}
	if len(out) == 0 {
		for _, v := range []string{"iptables", "ip6tables"} {
			if installed(v) {
				out = append(out, execIptables(v))
			}
		}
	}
	return out
}

func installed(bin string) bool {
	for _, b := range []string{bin + "-save", bin + "-restore"} {
		if _, err := exec.LookPath(b); err != nil {
			return false
		}
	}
	return true
}

// execIptables runs <name>-save and <name>-restore.
type execIptables string

func (e execIptables) Name() string { return string(e) }

func (e execIptables) Save() (string, error) {
	return run(nil, string(e)+"-save")
}

func (e execIptables) Restore(payload []byte) error {
	_, err := run(payload, string(e)+"-restore", "-w", lockWait, "--noflush")
	return err
}

// SystemNftables is the nft tool, nil when not installed.
func SystemNftables() Nftables {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil
	}
	return execNft{}
}

type execNft struct{}

func (execNft) Tables() ([]string, error) {
	out, err := run(nil, "nft", "list", "tables")
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, line := range strings.Split(out, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(line), "table "); ok {
			tables = append(tables, t)
		}
	}
	return tables, nil
}

func (execNft) DeleteTable(family, name string) error {
	_, err := run(nil, "nft", "delete", "table", family, name)
	return err
}

func run(stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
