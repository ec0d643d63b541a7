package app

import (
	"k8s.io/klog/v2"

	"github.com/nodenet/nodenet/proxymode"
)

// cleanupOtherModes removes, before the agent programs anything, what the
// other registered modes left on this node: a node switched from iptables
// to nftables mode (or back) must not keep the old mode's rules catching
// Service traffic (kube-proxy cleans up its other modes at start too).
// Failures are logged, not fatal: the agent's own mode still works.
func cleanupOtherModes(mine proxymode.Mode, modes []proxymode.Mode) {
	for _, m := range modes {
		if mine != nil && m.Name() == mine.Name() {
			continue
		}
		for _, fam := range proxymode.Families {
			if m.Usable(fam) != nil {
				continue
			}
			if err := m.Cleanup(fam); err != nil {
				klog.ErrorS(err, "Removing another proxy mode's rules failed", "mode", m.Name(), "family", fam)
			}
		}
	}
}
