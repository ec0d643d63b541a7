package cni

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// runRestore applies script with one iptables-restore --noflush: the whole
// script commits atomically or not at all. Only the slow path execs it: the
// first ADD of a network on a node (bootstrapMasq), or one that repairs it.
func runRestore(f ipFamily, script []byte) error {
	cmd := exec.Command(f.restore, "-w", "--noflush")
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(script), &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", f.restore, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// saveNAT returns iptables-save's view of the nat table.
func saveNAT(f ipFamily) (string, error) {
	out, err := exec.Command(f.save, "-t", "nat").Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.save, execErr(err))
	}
	return string(out), nil
}

func execErr(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}
