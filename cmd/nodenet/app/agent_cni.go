package app

import "github.com/nodenet/nodenet/cni"

// cniInstallOptions: pods reach the cluster's pod network (--cluster-cidr)
// without masquerade, so a pod on another node sees the real source
// address, which NetworkPolicy peers are matched by; everything else a
// pod sends out is masqueraded as before.
func cniInstallOptions(cfg *agentConfig) []cni.InstallOption {
	if len(cfg.ClusterCIDRs) == 0 {
		return nil
	}
	cidrs := make([]string, len(cfg.ClusterCIDRs))
	for i, p := range cfg.ClusterCIDRs {
		cidrs[i] = p.String()
	}
	return []cni.InstallOption{cni.WithNonMasqueradeCIDRs(cidrs)}
}
