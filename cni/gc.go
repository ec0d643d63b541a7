package cni

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/vishvananda/netlink"

	"github.com/nodenet/nodenet/cni/hostlocal"
)

// cmdGC releases everything of this network not in cni.dev/valid-attachments:
// addresses, host veths left on the bridge, masquerade chains. It covers
// what a killed ADD leaves behind.
func cmdGC(args *skel.CmdArgs) error {
	n, err := parseConfig(args.StdinData)
	if err != nil {
		return err
	}
	if n.ValidAttachments == nil {
		// Without the list we cannot tell live from leaked; releasing
		// everything would cut every pod off.
		return errConfig("GC requires cni.dev/valid-attachments")
	}
	valid := map[hostlocal.Attachment]bool{}
	for _, a := range n.ValidAttachments {
		valid[hostlocal.Attachment{ContainerID: a.ContainerID, IfName: a.IfName}] = true
	}
	if _, err := n.ipam().gc(args, valid); err != nil {
		return err
	}
	if err := gcPorts(n, valid); err != nil {
		return err
	}
	if n.IPMasq {
		return gcMasq(n, valid)
	}
	return nil
}

// gcPorts deletes our host veths whose attachment is not valid. Ours means
// our name prefix and this network's alias (set atomically at creation), so
// a veth from an ADD killed before it joined the bridge is found too, and
// another network sharing the bridge is left alone.
func gcPorts(n *NetConf, valid map[hostlocal.Attachment]bool) error {
	keep := map[string]bool{}
	for a := range valid {
		keep[hostVethName(a.ContainerID, a.IfName)] = true
	}
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}
	alias := portAlias(n.Name)
	for _, l := range links {
		a := l.Attrs()
		if !strings.HasPrefix(a.Name, "nnv") || a.Alias != alias || keep[a.Name] {
			continue
		}
		if err := deleteHostVeth(a.Name); err != nil {
			return err
		}
	}
	return nil
}

// gcMasq removes NODENET- chains whose rules carry this network's comment
// and which belong to no valid attachment.
func gcMasq(n *NetConf, valid map[hostlocal.Attachment]bool) error {
	keep := map[string]bool{}
	for a := range valid {
		keep[masqChainName(n.Name, a.ContainerID, a.IfName)] = true
	}
	for _, f := range n.families() {
		out, err := exec.Command(f.save, "-t", "nat").Output()
		if err != nil {
			return fmt.Errorf("%s: %w", f.save, execErr(err))
		}
		for _, chain := range ownedChains(string(out), n.Name) {
			if keep[chain] {
				continue
			}
			if script := teardownScript(string(out), chain); script != "" {
				if err := runRestore(f, []byte(script)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ownedChains lists NODENET- chains with a rule commented with network.
func ownedChains(save, network string) []string {
	marker := "nodenet name=" + network + " "
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(save, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || !strings.HasPrefix(f[1], chainPrefix) || !strings.Contains(line, marker) {
			continue
		}
		if !seen[f[1]] {
			seen[f[1]] = true
			out = append(out, f[1])
		}
	}
	return out
}
