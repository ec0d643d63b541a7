package iptables

import v1 "k8s.io/api/core/v1"

// NewExecKernel returns the exec Kernel (iptables-restore, go-iptables) of
// ipFamily in the current network namespace, for other packages that
// program their own chains, such as the NetworkPolicy firewall.
func NewExecKernel(ipFamily v1.IPFamily) (Kernel, error) {
	return execKernelFor(ipFamily)
}
