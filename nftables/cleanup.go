package nftables

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/knftables"
)

// Usable tells whether nftables works for family here: the nft binary
// runs (v1.0.1 or later) and may change this network namespace's
// ruleset. nil means usable.
func Usable(ipFamily v1.IPFamily) error {
	f, err := familyFor(ipFamily)
	if err != nil {
		return err
	}
	_, err = knftables.New(f.nft, TableName)
	return err
}

// Cleanup removes nodenet's table of family, and nothing else (the
// kube-proxy table and iptables-nft's tables are others'). It is
// idempotent.
func Cleanup(ipFamily v1.IPFamily) error {
	f, err := familyFor(ipFamily)
	if err != nil {
		return err
	}
	nft, err := knftables.New(f.nft, TableName)
	if err != nil {
		return err
	}
	return CleanupInterface(nft)
}

// CleanupInterface is Cleanup through nft (a fake in tests). Adding the
// table first makes the delete succeed whether or not it existed (nft
// 1.0.6 has no `destroy`), in one transaction.
func CleanupInterface(nft knftables.Interface) error {
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{})
	tx.Delete(&knftables.Table{})
	if err := nft.Run(context.TODO(), tx); err != nil {
		return fmt.Errorf("delete nftables table %s: %w", TableName, err)
	}
	return nil
}

// SaveRules returns nodenet's table of family as `nft list table` prints
// it (valid `nft -f` input), or "" when there is none.
func SaveRules(ipFamily v1.IPFamily) (string, error) {
	f, err := familyFor(ipFamily)
	if err != nil {
		return "", err
	}
	out, err := exec.Command("nft", "list", "table", string(f.nft), TableName).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No such file or directory") {
			return "", nil
		}
		return "", fmt.Errorf("nft list table %s %s: %w: %s", f.nft, TableName, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
